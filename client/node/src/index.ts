// @brazesync/client: the BrazeSync client (BrazeSyncClient), its error type,
// the plain-value builders, and every generated message, enum and service
// descriptor of protos/brazesync/v1 and google/rpc (from protoc-gen-es).
export { BrazeSyncClient } from "./client.js";
export type { BrazeSyncClientOptions, CallOptions, RequestOf, ResponseOf } from "./client.js";
export { BrazeSyncError, GrpcCode, codeName, decodeStatus } from "./errors.js";
export type { ErrorInfoDetail, FieldViolation, GrpcCodeName, StatusDetails } from "./errors.js";
export {
  allAccepted,
  allDelivered,
  attributeValue,
  buildEvent,
  buildProfile,
  buildPurchase,
  foundUser,
  toTimestamp,
  userRef,
} from "./build.js";
export type {
  AttributeValueInit,
  CustomAttributeInput,
  EventInit,
  EventInput,
  ProfileInput,
  PurchaseInit,
  PurchaseInput,
  TimeInput,
  UserIdentifier,
  UserProfileInit,
  UserRefInit,
} from "./build.js";
export * from "./gen/brazesync/v1/actions_pb.js";
export * from "./gen/brazesync/v1/admin_pb.js";
export * from "./gen/brazesync/v1/brazesync_pb.js";
export * from "./gen/brazesync/v1/config_pb.js";
export * from "./gen/brazesync/v1/identity_pb.js";
export * from "./gen/brazesync/v1/lookup_pb.js";
export * from "./gen/brazesync/v1/messaging_pb.js";
export * from "./gen/brazesync/v1/subscriptions_pb.js";
export * from "./gen/brazesync/v1/types_pb.js";
export * from "./gen/google/rpc/error_details_pb.js";
export * from "./gen/google/rpc/status_pb.js";
