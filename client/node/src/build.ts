// Plain-value builders for the common Track items (a profile, an event, a
// purchase) and small readers of results. Every rpc also takes the generated
// message shapes directly; these only spare callers the oneof wrappers
// ({id: {case: "externalId", value}}, {value: {case: "intValue", ...}}).
import { fromJson, type JsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import {
  ListValueSchema,
  NullValue,
  timestampFromDate,
  timestampFromMs,
  type Timestamp,
} from "@bufbuild/protobuf/wkt";
import {
  Gender,
  SubscriptionState,
  type AttributeValueSchema,
  type EventSchema,
  type PurchaseSchema,
  type UserProfileSchema,
  type UserRefSchema,
} from "./gen/brazesync/v1/types_pb.js";
import type { TrackResult } from "./gen/brazesync/v1/brazesync_pb.js";
import { ItemStatus } from "./gen/brazesync/v1/brazesync_pb.js";
import {
  LookupOutcome,
  type ExportedUser,
  type LookupResult,
  type LookupUsersResponse,
} from "./gen/brazesync/v1/lookup_pb.js";
import { ActionStatus, type ActionResult } from "./gen/brazesync/v1/actions_pb.js";

export type UserRefInit = MessageInitShape<typeof UserRefSchema>;
export type UserProfileInit = MessageInitShape<typeof UserProfileSchema>;
export type EventInit = MessageInitShape<typeof EventSchema>;
export type PurchaseInit = MessageInitShape<typeof PurchaseSchema>;
export type AttributeValueInit = MessageInitShape<typeof AttributeValueSchema>;

/** A time as a Date, epoch milliseconds or an ISO 8601 string. */
export type TimeInput = Date | number | string;

/** Who an item is about: exactly one identifier. */
export type UserIdentifier =
  | { externalId: string }
  | { userAlias: { aliasName: string; aliasLabel: string } }
  | { brazeId: string }
  | { user: UserRefInit };

/** A custom attribute as a plain value: null removes it; objects nest. */
export type CustomAttributeInput =
  | string
  | number
  | bigint
  | boolean
  | null
  | Date
  | string[]
  | JsonObject
  | JsonObject[];

export interface ProfileInput {
  firstName?: string;
  lastName?: string;
  email?: string;
  phone?: string;
  homeCity?: string;
  country?: string;
  language?: string;
  timeZone?: string;
  /** YYYY-MM-DD. */
  dob?: string;
  gender?: Gender;
  emailSubscribe?: SubscriptionState;
  pushSubscribe?: SubscriptionState;
  customAttributes?: Record<string, CustomAttributeInput>;
  updateExistingOnly?: boolean;
  mergeObjects?: boolean;
  clearFields?: string[];
}

export interface EventInput {
  name: string;
  properties?: JsonObject;
  /** Without it the server stamps the time it received the event. */
  time?: TimeInput;
  appId?: string;
  eventId?: string;
  updateExistingOnly?: boolean;
}

export interface PurchaseInput {
  productId: string;
  currency: string;
  price: number;
  quantity?: number;
  properties?: JsonObject;
  time?: TimeInput;
  appId?: string;
  purchaseId?: string;
  updateExistingOnly?: boolean;
}

/** google.protobuf.Timestamp from a Date, epoch milliseconds or an ISO 8601 string. */
export function toTimestamp(t: TimeInput): Timestamp {
  const ms = t instanceof Date ? t.getTime() : typeof t === "number" ? t : Date.parse(t);
  if (!Number.isFinite(ms)) throw new TypeError(`invalid time: ${String(t)}`);
  return typeof t === "object" ? timestampFromDate(t) : timestampFromMs(ms);
}

/** brazesync.v1.UserRef from {externalId} | {userAlias} | {brazeId} | {user}. */
export function userRef(who: UserIdentifier): UserRefInit {
  if ("user" in who) return who.user;
  if ("externalId" in who) return { id: { case: "externalId", value: String(who.externalId) } };
  if ("userAlias" in who) return { id: { case: "userAlias", value: who.userAlias } };
  if ("brazeId" in who) return { id: { case: "brazeId", value: who.brazeId } };
  throw new TypeError("a user identifier is required: externalId, userAlias, brazeId or user");
}

/** brazesync.v1.AttributeValue from a plain value (see CustomAttributeInput). */
export function attributeValue(v: CustomAttributeInput): AttributeValueInit {
  if (v === null) return { value: { case: "nullValue", value: NullValue.NULL_VALUE } };
  if (typeof v === "string") return { value: { case: "stringValue", value: v } };
  if (typeof v === "boolean") return { value: { case: "boolValue", value: v } };
  if (typeof v === "bigint") return { value: { case: "intValue", value: v } };
  if (typeof v === "number") {
    return Number.isInteger(v)
      ? { value: { case: "intValue", value: BigInt(v) } }
      : { value: { case: "doubleValue", value: v } };
  }
  if (v instanceof Date) return { value: { case: "timeValue", value: timestampFromDate(v) } };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === "string")) {
      return { value: { case: "arrayValue", value: { values: v as string[] } } };
    }
    return { value: { case: "objectArrayValue", value: fromJson(ListValueSchema, v) } };
  }
  if (typeof v === "object") return { value: { case: "objectValue", value: v } };
  throw new TypeError(`cannot send ${typeof v} as a custom attribute`);
}

/** A brazesync.v1.UserProfile (a Braze "attributes" object) from plain values. */
export function buildProfile(profile: UserIdentifier & ProfileInput): UserProfileInit {
  const { customAttributes, ...rest } = profile as unknown as ProfileInput & Record<string, unknown>;
  const out: UserProfileInit = { user: userRef(profile) };
  const copy = [
    "firstName", "lastName", "email", "phone", "homeCity", "country", "language", "timeZone", "dob",
    "gender", "emailSubscribe", "pushSubscribe", "updateExistingOnly", "mergeObjects", "clearFields",
  ] as const;
  for (const key of copy) {
    if (rest[key] !== undefined) (out as Record<string, unknown>)[key] = rest[key];
  }
  if (customAttributes) {
    out.customAttributes = Object.fromEntries(
      Object.entries(customAttributes).map(([k, v]) => [k, attributeValue(v)]),
    );
  }
  return out;
}

/** A brazesync.v1.Event (a Braze custom event) from plain values. */
export function buildEvent(event: UserIdentifier & EventInput): EventInit {
  const out: EventInit = { user: userRef(event), name: event.name };
  if (event.properties) out.properties = event.properties;
  if (event.time !== undefined) out.time = toTimestamp(event.time);
  if (event.appId) out.appId = event.appId;
  if (event.eventId) out.eventId = event.eventId;
  if (event.updateExistingOnly !== undefined) out.updateExistingOnly = event.updateExistingOnly;
  return out;
}

/** A brazesync.v1.Purchase from plain values. */
export function buildPurchase(purchase: UserIdentifier & PurchaseInput): PurchaseInit {
  const out: PurchaseInit = {
    user: userRef(purchase),
    productId: purchase.productId,
    currency: purchase.currency,
    price: purchase.price,
  };
  if (purchase.quantity !== undefined) out.quantity = purchase.quantity;
  if (purchase.properties) out.properties = purchase.properties;
  if (purchase.time !== undefined) out.time = toTimestamp(purchase.time);
  if (purchase.appId) out.appId = purchase.appId;
  if (purchase.purchaseId) out.purchaseId = purchase.purchaseId;
  if (purchase.updateExistingOnly !== undefined) out.updateExistingOnly = purchase.updateExistingOnly;
  return out;
}

/** True when a TrackResult has items and every one is DELIVERED. */
export function allDelivered(result: TrackResult): boolean {
  return result.items.length > 0 && result.items.every((i) => i.status === ItemStatus.DELIVERED);
}

const ACCEPTED = new Set([ActionStatus.ACCEPTED, ActionStatus.APPLIED, ActionStatus.VALID, ActionStatus.DUPLICATE]);

/**
 * True when an action response (identity, messaging, subscriptions) has
 * results and every one went through: ACCEPTED, APPLIED, VALID or DUPLICATE.
 */
export function allAccepted(response: { results: ActionResult[] }): boolean {
  return response.results.length > 0 && response.results.every((r) => ACCEPTED.has(r.status));
}

/** The user a LookupResult found (FOUND; the first one when AMBIGUOUS), or null. */
export function foundUser(response: LookupUsersResponse, result: LookupResult | undefined): ExportedUser | null {
  if (!result || (result.outcome !== LookupOutcome.FOUND && result.outcome !== LookupOutcome.AMBIGUOUS)) return null;
  const index = result.userIndexes[0];
  return index === undefined ? null : response.users[index] ?? null;
}

