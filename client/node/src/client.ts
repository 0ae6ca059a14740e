// BrazeSyncClient: one typed method per rpc of every BrazeSync service, over
// gRPC (HTTP/2, the server's --listen port) or the Connect protocol
// (HTTP/1.1 + JSON, the server's HTTP listener), with the bearer token,
// deadlines, Track's retries and BrazeSyncError added on top of the
// @connectrpc/connect clients generated from protos/.
import type { DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { createRegistry } from "@bufbuild/protobuf";
import {
  createClient,
  type CallOptions as ConnectCallOptions,
  type Client,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { BrazeSync } from "./gen/brazesync/v1/brazesync_pb.js";
import { BrazeSyncAdmin } from "./gen/brazesync/v1/admin_pb.js";
import { BrazeLookup } from "./gen/brazesync/v1/lookup_pb.js";
import { BrazeIdentity } from "./gen/brazesync/v1/identity_pb.js";
import { BrazeMessaging } from "./gen/brazesync/v1/messaging_pb.js";
import { BrazeSubscriptions } from "./gen/brazesync/v1/subscriptions_pb.js";
import { file_google_rpc_error_details } from "./gen/google/rpc/error_details_pb.js";
import { BrazeSyncError, decodeStatus, GrpcCode, type StatusDetails } from "./errors.js";
import {
  buildEvent,
  buildProfile,
  buildPurchase,
  type EventInput,
  type ProfileInput,
  type PurchaseInput,
  type UserIdentifier,
} from "./build.js";
import type { Status } from "./gen/google/rpc/status_pb.js";

/** The request (init shape: plain object, every field optional) of an rpc. */
export type RequestOf<M extends DescMethod> = MessageInitShape<M["input"]>;
/** The response message of an rpc. */
export type ResponseOf<M extends DescMethod> = MessageShape<M["output"]>;

export interface BrazeSyncClientOptions {
  /** gRPC listener host:port. Default: $BRAZESYNC_TARGET, else 127.0.0.1:50051. */
  target?: string;
  /**
   * Base URL of the server's HTTP/JSON (Connect) listener, e.g.
   * "http://127.0.0.1:8080". Setting it selects the Connect transport
   * (HTTP/1.1, JSON) instead of gRPC; `target` and `tls` are then ignored.
   */
  baseUrl?: string;
  /** gRPC over TLS (https) with the system roots. Default false (plaintext h2c). */
  tls?: boolean;
  /** Sent as `authorization: Bearer <token>`. Default: $BRAZESYNC_TOKEN. */
  token?: string;
  /** Deadline of each attempt in ms (0 = none). Default 10000. */
  timeoutMs?: number;
  /** The workspace of requests that name none (not applied to BrazeSyncAdmin). */
  workspace?: string;
  /**
   * Attempts per retryable call, the first included (1 = never retry).
   * Default 3. See BrazeSyncClient for what is retried.
   */
  retries?: number;
  /** First backoff ceiling in ms (doubles per attempt, full jitter). Default 100. */
  backoffInitialMs?: number;
  /** Largest backoff ceiling in ms. Default 2000. */
  backoffMaxMs?: number;
  /** Extra Connect interceptors (metrics, tracing), run on every attempt. */
  interceptors?: Interceptor[];
}

/** Per-call options: a deadline overriding the client's, an AbortSignal, headers. */
export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

const DEFAULT_TARGET = "127.0.0.1:50051";
const RETRYABLE_CODES = new Set<number>([GrpcCode.UNAVAILABLE, GrpcCode.RESOURCE_EXHAUSTED]);

type Retry = "retry" | "once";

/**
 * A BrazeSync client. Every unary call resolves with the generated response
 * message or rejects with a BrazeSyncError. Calls that cannot have taken
 * effect when refused with UNAVAILABLE or RESOURCE_EXHAUSTED (Track, lookups,
 * identity, subscriptions and admin calls) are retried up to `retries`
 * attempts with exponential backoff and full jitter, honouring the server's
 * RetryInfo delay. Triggers (triggerCanvas, triggerCampaign) and trackStream
 * are never retried: a trigger that reached the server may have been sent.
 */
export class BrazeSyncClient {
  /** "grpc" or "connect": the transport this client speaks. */
  readonly protocol: "grpc" | "connect";
  /** The URL calls go to (http://host:port for gRPC). */
  readonly url: string;

  private readonly sync: Client<typeof BrazeSync>;
  private readonly admin: Client<typeof BrazeSyncAdmin>;
  private readonly lookup: Client<typeof BrazeLookup>;
  private readonly identity: Client<typeof BrazeIdentity>;
  private readonly messaging: Client<typeof BrazeMessaging>;
  private readonly subscriptions: Client<typeof BrazeSubscriptions>;
  private readonly sessionManager: Http2SessionManager | null;
  private readonly timeoutMs: number;
  private readonly workspace: string;
  private readonly maxAttempts: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;

  constructor(options: BrazeSyncClientOptions = {}) {
    const token = options.token ?? process.env.BRAZESYNC_TOKEN ?? "";
    const auth: Interceptor = (next) => (req) => {
      if (token) req.header.set("authorization", `Bearer ${token}`);
      return next(req);
    };
    const interceptors = [auth, ...(options.interceptors ?? [])];
    let transport: Transport;
    if (options.baseUrl) {
      this.protocol = "connect";
      this.url = options.baseUrl;
      this.sessionManager = null;
      // JSON on the wire; the registry lets google.rpc.Status details
      // (TrackResult.error) be read from JSON.
      transport = createConnectTransport({
        baseUrl: options.baseUrl,
        httpVersion: "1.1",
        useBinaryFormat: false,
        interceptors,
        jsonOptions: { registry: createRegistry(file_google_rpc_error_details) },
      });
    } else {
      const target = options.target || process.env.BRAZESYNC_TARGET || DEFAULT_TARGET;
      if (!/^[^/:]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/.test(target)) {
        throw new TypeError(`target must be host:port, got ${JSON.stringify(target)}`);
      }
      this.protocol = "grpc";
      this.url = `${options.tls ? "https" : "http"}://${target}`;
      this.sessionManager = new Http2SessionManager(this.url);
      transport = createGrpcTransport({ baseUrl: this.url, sessionManager: this.sessionManager, interceptors });
    }
    this.sync = createClient(BrazeSync, transport);
    this.admin = createClient(BrazeSyncAdmin, transport);
    this.lookup = createClient(BrazeLookup, transport);
    this.identity = createClient(BrazeIdentity, transport);
    this.messaging = createClient(BrazeMessaging, transport);
    this.subscriptions = createClient(BrazeSubscriptions, transport);
    this.timeoutMs = options.timeoutMs ?? 10000;
    this.workspace = options.workspace ?? "";
    this.maxAttempts = Math.max(1, Math.floor(options.retries ?? 3));
    this.backoffInitialMs = options.backoffInitialMs ?? 100;
    this.backoffMaxMs = options.backoffMaxMs ?? 2000;
  }

  // ---- BrazeSync --------------------------------------------------------------

  /** BrazeSync.Track: one batch; one ItemResult per item. Retried (see class). */
  track(request: RequestOf<typeof BrazeSync.method.track>, options?: CallOptions): Promise<ResponseOf<typeof BrazeSync.method.track>> {
    return this.unary((r, o) => this.sync.track(r, o), this.withWorkspace(request), options, "retry");
  }

  /**
   * BrazeSync.TrackStream: one TrackResult per request, in order, over one
   * HTTP/2 stream (gRPC transport only). A request Track would refuse comes
   * back as a result whose `error` is set (decode it with decodeStatus); the
   * iteration throws a BrazeSyncError only when the stream itself fails.
   * Never retried.
   */
  async *trackStream(
    requests: AsyncIterable<RequestOf<typeof BrazeSync.method.trackStream>> | Iterable<RequestOf<typeof BrazeSync.method.trackStream>>,
    options?: CallOptions,
  ): AsyncGenerator<ResponseOf<typeof BrazeSync.method.trackStream>> {
    if (this.protocol !== "grpc") {
      throw new BrazeSyncError({
        code: GrpcCode.UNIMPLEMENTED,
        details: "trackStream is a bidirectional stream: it needs the gRPC transport (target), not baseUrl",
      });
    }
    const self = this;
    async function* withWorkspace() {
      for await (const request of requests) yield self.withWorkspace(request);
    }
    try {
      yield* this.sync.trackStream(withWorkspace(), this.callOptions(options));
    } catch (err) {
      throw BrazeSyncError.from(err);
    }
  }

  /** One profile from plain values (see buildProfile); resolves with the TrackResult. */
  trackUser(profile: UserIdentifier & ProfileInput, options?: CallOptions) {
    return this.track({ attributes: [buildProfile(profile)] }, options);
  }

  /** One custom event from plain values (see buildEvent). */
  trackEvent(event: UserIdentifier & EventInput, options?: CallOptions) {
    return this.track({ events: [buildEvent(event)] }, options);
  }

  /** One purchase from plain values (see buildPurchase). */
  trackPurchase(purchase: UserIdentifier & PurchaseInput, options?: CallOptions) {
    return this.track({ purchases: [buildPurchase(purchase)] }, options);
  }

  /** The google.rpc details of a TrackStream result's `error`. */
  decodeStatus(status: Status | undefined): StatusDetails {
    return decodeStatus(status);
  }

  // ---- BrazeSyncAdmin (needs the admin role and a server with --data_dir) ----

  /** BrazeSyncAdmin.GetItemStatus: where an accepted item is. */
  getItemStatus(request: RequestOf<typeof BrazeSyncAdmin.method.getItemStatus>, options?: CallOptions): Promise<ResponseOf<typeof BrazeSyncAdmin.method.getItemStatus>> {
    return this.unary((r, o) => this.admin.getItemStatus(r, o), request, options, "retry");
  }

  /** BrazeSyncAdmin.ListDeadLetters. */
  listDeadLetters(request: RequestOf<typeof BrazeSyncAdmin.method.listDeadLetters>, options?: CallOptions): Promise<ResponseOf<typeof BrazeSyncAdmin.method.listDeadLetters>> {
    return this.unary((r, o) => this.admin.listDeadLetters(r, o), request, options, "retry");
  }

  /** BrazeSyncAdmin.GetDeadLetter. */
  getDeadLetter(request: RequestOf<typeof BrazeSyncAdmin.method.getDeadLetter>, options?: CallOptions): Promise<ResponseOf<typeof BrazeSyncAdmin.method.getDeadLetter>> {
    return this.unary((r, o) => this.admin.getDeadLetter(r, o), request, options, "retry");
  }

  /** BrazeSyncAdmin.ReplayDeadLetters: queues dead letters for delivery again. */
  replayDeadLetters(request: RequestOf<typeof BrazeSyncAdmin.method.replayDeadLetters>, options?: CallOptions): Promise<ResponseOf<typeof BrazeSyncAdmin.method.replayDeadLetters>> {
    return this.unary((r, o) => this.admin.replayDeadLetters(r, o), request, options, "retry");
  }

  /** BrazeSyncAdmin.PurgeDeadLetters. */
  purgeDeadLetters(request: RequestOf<typeof BrazeSyncAdmin.method.purgeDeadLetters>, options?: CallOptions): Promise<ResponseOf<typeof BrazeSyncAdmin.method.purgeDeadLetters>> {
    return this.unary((r, o) => this.admin.purgeDeadLetters(r, o), request, options, "retry");
  }

  // ---- BrazeLookup ------------------------------------------------------------

  /**
   * BrazeLookup.LookupUsers: one LookupResult per identifier; Braze being
   * slow or down is an outcome (DEFERRED, ERROR), never a rejection. Keep
   * timeoutMs above max_wait.
   */
  lookupUsers(request: RequestOf<typeof BrazeLookup.method.lookupUsers>, options?: CallOptions): Promise<ResponseOf<typeof BrazeLookup.method.lookupUsers>> {
    return this.unary((r, o) => this.lookup.lookupUsers(r, o), this.withWorkspace(request), options, "retry");
  }

  // ---- BrazeIdentity ----------------------------------------------------------

  /** BrazeIdentity.CreateAlias. */
  createAlias(request: RequestOf<typeof BrazeIdentity.method.createAlias>, options?: CallOptions): Promise<ResponseOf<typeof BrazeIdentity.method.createAlias>> {
    return this.unary((r, o) => this.identity.createAlias(r, o), this.withWorkspace(request), options, "retry");
  }

  /** BrazeIdentity.IdentifyUsers. */
  identifyUsers(request: RequestOf<typeof BrazeIdentity.method.identifyUsers>, options?: CallOptions): Promise<ResponseOf<typeof BrazeIdentity.method.identifyUsers>> {
    return this.unary((r, o) => this.identity.identifyUsers(r, o), this.withWorkspace(request), options, "retry");
  }

  /** BrazeIdentity.MergeUsers. */
  mergeUsers(request: RequestOf<typeof BrazeIdentity.method.mergeUsers>, options?: CallOptions): Promise<ResponseOf<typeof BrazeIdentity.method.mergeUsers>> {
    return this.unary((r, o) => this.identity.mergeUsers(r, o), this.withWorkspace(request), options, "retry");
  }

  /** BrazeIdentity.DeleteUsers: irreversible, needs confirmIrreversible: true. */
  deleteUsers(request: RequestOf<typeof BrazeIdentity.method.deleteUsers>, options?: CallOptions): Promise<ResponseOf<typeof BrazeIdentity.method.deleteUsers>> {
    return this.unary((r, o) => this.identity.deleteUsers(r, o), this.withWorkspace(request), options, "retry");
  }

  /** BrazeIdentity.RenameExternalIds. */
  renameExternalIds(request: RequestOf<typeof BrazeIdentity.method.renameExternalIds>, options?: CallOptions): Promise<ResponseOf<typeof BrazeIdentity.method.renameExternalIds>> {
    return this.unary((r, o) => this.identity.renameExternalIds(r, o), this.withWorkspace(request), options, "retry");
  }

  /** BrazeIdentity.RemoveExternalIds. */
  removeExternalIds(request: RequestOf<typeof BrazeIdentity.method.removeExternalIds>, options?: CallOptions): Promise<ResponseOf<typeof BrazeIdentity.method.removeExternalIds>> {
    return this.unary((r, o) => this.identity.removeExternalIds(r, o), this.withWorkspace(request), options, "retry");
  }

  // ---- BrazeMessaging (never retried: a trigger may have been sent) ----------

  /** BrazeMessaging.TriggerCanvas. One attempt, never retried. */
  triggerCanvas(request: RequestOf<typeof BrazeMessaging.method.triggerCanvas>, options?: CallOptions): Promise<ResponseOf<typeof BrazeMessaging.method.triggerCanvas>> {
    return this.unary((r, o) => this.messaging.triggerCanvas(r, o), this.withWorkspace(request), options, "once");
  }

  /** BrazeMessaging.TriggerCampaign. One attempt, never retried. */
  triggerCampaign(request: RequestOf<typeof BrazeMessaging.method.triggerCampaign>, options?: CallOptions): Promise<ResponseOf<typeof BrazeMessaging.method.triggerCampaign>> {
    return this.unary((r, o) => this.messaging.triggerCampaign(r, o), this.withWorkspace(request), options, "once");
  }

  // ---- BrazeSubscriptions -----------------------------------------------------

  /** BrazeSubscriptions.SetSubscriptionStatus. */
  setSubscriptionStatus(request: RequestOf<typeof BrazeSubscriptions.method.setSubscriptionStatus>, options?: CallOptions): Promise<ResponseOf<typeof BrazeSubscriptions.method.setSubscriptionStatus>> {
    return this.unary((r, o) => this.subscriptions.setSubscriptionStatus(r, o), this.withWorkspace(request), options, "retry");
  }

  /** Closes the HTTP/2 connection (gRPC transport); in-flight calls fail. */
  close(): void {
    this.sessionManager?.abort();
  }

  // ---- internals --------------------------------------------------------------

  private withWorkspace<R extends { workspace?: string }>(request: R): R {
    return this.workspace && !request.workspace ? { ...request, workspace: this.workspace } : request;
  }

  private callOptions(options: CallOptions = {}): ConnectCallOptions {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return { timeoutMs: timeoutMs > 0 ? timeoutMs : undefined, signal: options.signal, headers: options.headers };
  }

  private async unary<Req, Res>(
    call: (request: Req, options: ConnectCallOptions) => Promise<Res>,
    request: Req,
    options: CallOptions | undefined,
    retry: Retry,
  ): Promise<Res> {
    const attempts = retry === "retry" ? this.maxAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await call(request, this.callOptions(options));
      } catch (err) {
        const error = BrazeSyncError.from(err, attempt);
        if (attempt >= attempts || !RETRYABLE_CODES.has(error.code) || options?.signal?.aborted) throw error;
        const ceiling = Math.min(this.backoffMaxMs, this.backoffInitialMs * 2 ** (attempt - 1));
        const delayMs = Math.max(Math.random() * ceiling, error.retryDelayMs ?? 0);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }
}
