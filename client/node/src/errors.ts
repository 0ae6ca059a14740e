// BrazeSyncError: the one error type every BrazeSyncClient call rejects with.
// It carries the gRPC status code (the same numbers over the gRPC and the
// Connect transport) and the google.rpc details the server attaches:
// BadRequest field violations, ErrorInfo, and RetryInfo's delay.
import { ConnectError } from "@connectrpc/connect";
import type { Status } from "./gen/google/rpc/status_pb.js";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  RetryInfoSchema,
} from "./gen/google/rpc/error_details_pb.js";
import { anyUnpack } from "@bufbuild/protobuf/wkt";

/** One invalid field, as google.rpc.BadRequest.FieldViolation names it. */
export interface FieldViolation {
  field: string;
  description: string;
}

/** google.rpc.ErrorInfo: a machine-readable reason for the failure. */
export interface ErrorInfoDetail {
  reason: string;
  domain: string;
  metadata: Record<string, string>;
}

/** The google.rpc details of a failed call or of a TrackStream result's `error`. */
export interface StatusDetails {
  violations: FieldViolation[];
  errorInfo: ErrorInfoDetail | null;
  /** google.rpc.RetryInfo's delay in milliseconds, when the server sent one. */
  retryDelayMs: number | null;
}

/** The gRPC status codes (OK = 0 ... UNAUTHENTICATED = 16), by name. */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type GrpcCodeName = keyof typeof GrpcCode;

/** The name of a numeric gRPC status code ("INVALID_ARGUMENT" for 3). */
export function codeName(code: number): string {
  const entry = Object.entries(GrpcCode).find(([, value]) => value === code);
  return entry ? entry[0] : `CODE_${code}`;
}

function durationMs(d: { seconds: bigint; nanos: number } | undefined): number | null {
  if (!d) return null;
  return Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6);
}

function emptyDetails(): StatusDetails {
  return { violations: [], errorInfo: null, retryDelayMs: null };
}

/** Decodes the details of a failed call (a ConnectError) into StatusDetails. */
function detailsOfConnectError(err: ConnectError): StatusDetails {
  const out = emptyDetails();
  for (const br of err.findDetails(BadRequestSchema)) {
    for (const v of br.fieldViolations) out.violations.push({ field: v.field, description: v.description });
  }
  const [info] = err.findDetails(ErrorInfoSchema);
  if (info) out.errorInfo = { reason: info.reason, domain: info.domain, metadata: { ...info.metadata } };
  const [retry] = err.findDetails(RetryInfoSchema);
  if (retry) out.retryDelayMs = durationMs(retry.retryDelay);
  return out;
}

/**
 * Decodes a google.rpc.Status carried in a message (TrackResult.error of a
 * TrackStream result) the same way as a rejected call's details.
 */
export function decodeStatus(status: Status | undefined): StatusDetails {
  const out = emptyDetails();
  for (const any of status?.details ?? []) {
    const badRequest = anyUnpack(any, BadRequestSchema);
    const info = anyUnpack(any, ErrorInfoSchema);
    const retry = anyUnpack(any, RetryInfoSchema);
    for (const v of badRequest?.fieldViolations ?? []) {
      out.violations.push({ field: v.field, description: v.description });
    }
    if (info) out.errorInfo = { reason: info.reason, domain: info.domain, metadata: { ...info.metadata } };
    if (retry) out.retryDelayMs = durationMs(retry.retryDelay);
  }
  return out;
}

/**
 * A failed BrazeSync call. `code` is the numeric gRPC status code
 * (GrpcCode.INVALID_ARGUMENT = 3), `codeName` its name, `details` the
 * server's message, `violations` the fields google.rpc.BadRequest names.
 */
export class BrazeSyncError extends Error {
  readonly code: number;
  readonly codeName: string;
  readonly details: string;
  readonly violations: FieldViolation[];
  readonly errorInfo: ErrorInfoDetail | null;
  readonly retryDelayMs: number | null;
  /** How many attempts were made (more than 1 after retries). */
  readonly attempts: number;
  /** Response headers and trailers (e.g. for a request id). */
  readonly metadata: Headers | null;

  constructor(init: {
    code: number;
    details: string;
    attempts?: number;
    metadata?: Headers | null;
    cause?: unknown;
  } & Partial<StatusDetails>) {
    const name = codeName(init.code);
    const violations = init.violations ?? [];
    const suffix = violations.length
      ? ` (${violations.map((v) => `${v.field}: ${v.description}`).join("; ")})`
      : "";
    super(`${name}: ${init.details}${suffix}`, { cause: init.cause });
    this.name = "BrazeSyncError";
    this.code = init.code;
    this.codeName = name;
    this.details = init.details;
    this.violations = violations;
    this.errorInfo = init.errorInfo ?? null;
    this.retryDelayMs = init.retryDelayMs ?? null;
    this.attempts = init.attempts ?? 1;
    this.metadata = init.metadata ?? null;
  }

  /** Wraps anything a Connect call threw; ConnectError codes are gRPC codes. */
  static from(err: unknown, attempts = 1): BrazeSyncError {
    if (err instanceof BrazeSyncError) return err;
    const connectError = ConnectError.from(err);
    return new BrazeSyncError({
      code: connectError.code,
      details: connectError.rawMessage,
      attempts,
      metadata: connectError.metadata,
      cause: err,
      ...detailsOfConnectError(connectError),
    });
  }
}

