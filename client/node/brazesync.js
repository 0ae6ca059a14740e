'use strict';
// Node.js client for BrazeSync (brazesync.v1.BrazeSync/Track,
// brazesync.v1.BrazeLookup/LookupUsers and the Braze actions:
// brazesync.v1.BrazeIdentity, BrazeMessaging and BrazeSubscriptions).
//
// Messages are plain objects with the proto field names (keepCase), so they
// read like Braze's /users/track JSON: {user: {external_id: 'u1'}, first_name: 'Ada'}.
// Results: enums as strings ('ITEM_STATUS_DELIVERED'), 64-bit integers as
// strings, default values filled in.
// Errors: a rejected promise with a BrazeSyncError carrying the gRPC `code`,
// `details` and `violations` decoded from the `grpc-status-details-bin`
// trailer (google.rpc.Status -> google.rpc.BadRequest).

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
const TYPE_PREFIX = 'type.googleapis.com/';

const LOADER_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

// The protos/ directory: an explicit option, $BRAZESYNC_PROTOS_DIR, a copy
// next to this file, or the repository's protos/ (client/node/../../protos).
function resolveProtosDir(explicit) {
  const candidates = [explicit, process.env.BRAZESYNC_PROTOS_DIR,
    path.join(__dirname, 'protos'), path.join(__dirname, '..', '..', 'protos')];
  for (const dir of candidates) {
    if (dir && fs.existsSync(path.join(dir, 'brazesync', 'v1', 'brazesync.proto'))) return dir;
  }
  throw new Error('BrazeSync protos not found: pass {protosDir} or set BRAZESYNC_PROTOS_DIR');
}

const loaded = new Map();  // protosDir -> {service, lookupService, ..., errorTypes}

// The service protos the client loads (every service it calls).
const SERVICE_PROTOS = ['brazesync/v1/brazesync.proto', 'brazesync/v1/lookup.proto',
  'brazesync/v1/identity.proto', 'brazesync/v1/messaging.proto',
  'brazesync/v1/subscriptions.proto'];

function load(protosDir) {
  if (loaded.has(protosDir)) return loaded.get(protosDir);
  const packageDefinition = protoLoader.loadSync(SERVICE_PROTOS,
    {...LOADER_OPTIONS, includeDirs: [protosDir]});
  const v1 = grpc.loadPackageDefinition(packageDefinition).brazesync.v1;
  const service = v1.BrazeSync;
  const lookupService = v1.BrazeLookup;
  const actionServices = {identity: v1.BrazeIdentity, messaging: v1.BrazeMessaging,
    subscriptions: v1.BrazeSubscriptions};

  // The error-detail messages, decoded with protobufjs (proto-loader's own
  // parser). google/protobuf/*.proto come bundled with protobufjs.
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    if (target in protobuf.common) return target;
    return path.isAbsolute(target) ? target : path.join(protosDir, target);
  };
  root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], {keepCase: true});
  const errorTypes = {
    Status: root.lookupType('google.rpc.Status'),
    BadRequest: root.lookupType('google.rpc.BadRequest'),
    RetryInfo: root.lookupType('google.rpc.RetryInfo'),
    ErrorInfo: root.lookupType('google.rpc.ErrorInfo'),
  };
  const entry = {service, lookupService, actionServices, errorTypes};
  loaded.set(protosDir, entry);
  return entry;
}

// A failed BrazeSync call. `code` is the numeric gRPC status code (3 =
// INVALID_ARGUMENT), `codeName` its name, `details` the server's message,
// `violations` [{field, description}] from google.rpc.BadRequest, plus
// `errorInfo` ({reason, domain, metadata}) and `retryDelayMs` when sent.
class BrazeSyncError extends Error {
  constructor({code, details, violations = [], errorInfo = null, retryDelayMs = null, metadata = null}) {
    const name = codeName(code);
    super(`${name}: ${details}` +
      (violations.length ? ` (${violations.map((v) => `${v.field}: ${v.description}`).join('; ')})` : ''));
    this.name = 'BrazeSyncError';
    this.code = code;
    this.codeName = name;
    this.details = details;
    this.violations = violations;
    this.errorInfo = errorInfo;
    this.retryDelayMs = retryDelayMs;
    this.metadata = metadata;
  }
}

function codeName(code) {
  return Object.keys(grpc.status).find((k) => grpc.status[k] === code) || `CODE_${code}`;
}

// Decodes the google.rpc.Status in a trailer (or a TrackResult.error) into
// {violations, errorInfo, retryDelayMs}. Unknown detail types are ignored.
function decodeStatusDetails(errorTypes, statusBytesOrObject) {
  const out = {violations: [], errorInfo: null, retryDelayMs: null};
  if (!statusBytesOrObject) return out;
  const status = Buffer.isBuffer(statusBytesOrObject) || statusBytesOrObject instanceof Uint8Array ?
    errorTypes.Status.decode(statusBytesOrObject) : statusBytesOrObject;
  for (const any of status.details || []) {
    const typeName = String(any.type_url || '').replace(/^.*\//, '');
    const value = any.value;
    if (!value) continue;
    if (typeName === 'google.rpc.BadRequest') {
      const br = errorTypes.BadRequest.decode(value);
      for (const v of br.field_violations) {
        out.violations.push({field: v.field, description: v.description});
      }
    } else if (typeName === 'google.rpc.ErrorInfo') {
      const info = errorTypes.ErrorInfo.toObject(errorTypes.ErrorInfo.decode(value),
        {defaults: true, objects: true});
      out.errorInfo = {reason: info.reason, domain: info.domain, metadata: info.metadata};
    } else if (typeName === 'google.rpc.RetryInfo') {
      const ri = errorTypes.RetryInfo.decode(value);
      if (ri.retry_delay) {
        out.retryDelayMs = Number(ri.retry_delay.seconds || 0) * 1000 +
          Math.floor((ri.retry_delay.nanos || 0) / 1e6);
      }
    }
  }
  return out;
}

function toBrazeSyncError(errorTypes, err) {
  if (typeof err.code !== 'number') return err;
  let decoded = {violations: [], errorInfo: null, retryDelayMs: null};
  const raw = err.metadata && err.metadata.get(STATUS_DETAILS_KEY);
  if (raw && raw.length) {
    try {
      decoded = decodeStatusDetails(errorTypes, raw[0]);
    } catch (e) {
      // A malformed trailer must not hide the status itself.
    }
  }
  const e = new BrazeSyncError({code: err.code, details: err.details || err.message,
    metadata: err.metadata || null, ...decoded});
  e.cause = err;
  return e;
}

// ---- plain JavaScript values -> BrazeSync messages -------------------------

// google.protobuf.Value from a JSON-like value. (protobufjs' bundled
// well-known types use camelCase field names even with keepCase.)
function toValue(v) {
  if (v === null || v === undefined) return {nullValue: 'NULL_VALUE'};
  if (typeof v === 'number') return {numberValue: v};
  if (typeof v === 'string') return {stringValue: v};
  if (typeof v === 'boolean') return {boolValue: v};
  if (v instanceof Date) return {stringValue: v.toISOString()};
  if (Array.isArray(v)) return {listValue: {values: v.map(toValue)}};
  if (typeof v === 'object') return {structValue: toStruct(v)};
  throw new TypeError(`cannot send ${typeof v} as a JSON value`);
}

const VALUE_KINDS = new Set(['nullValue', 'numberValue', 'stringValue', 'boolValue', 'structValue', 'listValue']);

// True for an object that already is a google.protobuf.Struct ({fields: {k: Value}}).
function isStruct(o) {
  if (!o || typeof o !== 'object' || Array.isArray(o)) return false;
  const keys = Object.keys(o);
  if (keys.length !== 1 || keys[0] !== 'fields' || !o.fields || typeof o.fields !== 'object') return false;
  return Object.values(o.fields).every((v) => v && typeof v === 'object' &&
    Object.keys(v).length === 1 && VALUE_KINDS.has(Object.keys(v)[0]));
}

// google.protobuf.Struct from a plain object (event/purchase properties).
// A Struct is returned as is.
function toStruct(obj) {
  if (isStruct(obj)) return obj;
  const fields = {};
  for (const [k, v] of Object.entries(obj || {})) fields[k] = toValue(v);
  return {fields};
}

// google.protobuf.ListValue from an array (a ListValue is returned as is).
function toListValue(v) {
  if (Array.isArray(v)) return {values: v.map(toValue)};
  return v;
}

// google.protobuf.Timestamp from a Date, epoch milliseconds or an ISO string.
function toTimestamp(t) {
  const ms = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t);
  if (!Number.isFinite(ms)) throw new TypeError(`invalid time: ${t}`);
  const seconds = Math.floor(ms / 1000);
  return {seconds: String(seconds), nanos: (ms - seconds * 1000) * 1e6};
}

const ATTRIBUTE_VALUE_KEYS = new Set(['string_value', 'int_value', 'double_value', 'bool_value',
  'time_value', 'array_value', 'object_value', 'increment', 'add', 'remove', 'null_value',
  'object_array_value']);

// brazesync.v1.AttributeValue from a plain value: strings, integers, other
// numbers, booleans, Dates, string arrays, null (removes the attribute) and
// nested objects. An object with exactly one AttributeValue key
// ({increment: 1}, {add: {values: ['x']}}) is passed through as is.
function toAttributeValue(v) {
  if (v === null) return {null_value: 'NULL_VALUE'};  // brazesync types keep snake_case
  if (typeof v === 'string') return {string_value: v};
  if (typeof v === 'boolean') return {bool_value: v};
  if (typeof v === 'bigint') return {int_value: v.toString()};
  if (typeof v === 'number') return Number.isInteger(v) ? {int_value: String(v)} : {double_value: v};
  if (v instanceof Date) return {time_value: toTimestamp(v)};
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return {array_value: {values: v}};
    return {object_array_value: toListValue(v)};
  }
  if (typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 1 && ATTRIBUTE_VALUE_KEYS.has(keys[0])) return v;
    return {object_value: toStruct(v)};
  }
  throw new TypeError(`cannot send ${typeof v} as a custom attribute`);
}

function isTimestamp(t) {
  return t && typeof t === 'object' && !(t instanceof Date) && ('seconds' in t || 'nanos' in t);
}

// Copies a raw TrackRequest, converting the conveniences this client accepts
// into proto shapes: properties / object_value as plain JSON objects,
// object_array_value as a plain array, times as Date, epoch ms or ISO string.
function normalizeRequest(request) {
  const req = {...request};
  const item = (x) => {
    const o = {...x};
    if (o.properties && !isStruct(o.properties)) o.properties = toStruct(o.properties);
    if (o.time !== undefined && o.time !== null && !isTimestamp(o.time)) o.time = toTimestamp(o.time);
    return o;
  };
  if (req.events) req.events = req.events.map(item);
  if (req.purchases) req.purchases = req.purchases.map(item);
  if (req.attributes) {
    req.attributes = req.attributes.map((p) => {
      if (!p.custom_attributes) return p;
      const custom = {};
      for (const [k, v] of Object.entries(p.custom_attributes)) {
        const a = {...v};
        if (a.object_value && !isStruct(a.object_value)) a.object_value = toStruct(a.object_value);
        if (Array.isArray(a.object_array_value)) a.object_array_value = toListValue(a.object_array_value);
        if (a.time_value !== undefined && a.time_value !== null && !isTimestamp(a.time_value)) {
          a.time_value = toTimestamp(a.time_value);
        }
        custom[k] = a;
      }
      return {...p, custom_attributes: custom};
    });
  }
  return req;
}

// brazesync.v1.UserRef from {externalId} | {userAlias: {alias_name, alias_label}}
// | {brazeId} | {email} | {phone} | {user: <UserRef>}.
function toUserRef(o) {
  if (o.user) return o.user;
  if (o.externalId !== undefined) return {external_id: String(o.externalId)};
  if (o.userAlias) {
    return {user_alias: {alias_name: o.userAlias.alias_name ?? o.userAlias.aliasName,
      alias_label: o.userAlias.alias_label ?? o.userAlias.aliasLabel}};
  }
  if (o.brazeId !== undefined) return {braze_id: o.brazeId};
  if (o.identifyByEmail !== undefined) return {email: o.identifyByEmail};
  if (o.identifyByPhone !== undefined) return {phone: o.identifyByPhone};
  throw new TypeError('a user identifier is required: externalId, userAlias, brazeId or user');
}

const PROFILE_FIELDS = {
  firstName: 'first_name', lastName: 'last_name', email: 'email', phone: 'phone',
  homeCity: 'home_city', country: 'country', language: 'language', timeZone: 'time_zone',
  dob: 'dob', updateExistingOnly: 'update_existing_only', mergeObjects: 'merge_objects',
};
const PROFILE_ENUMS = {
  gender: ['gender', 'GENDER_', {M: 'MALE', F: 'FEMALE', O: 'OTHER', N: 'NOT_APPLICABLE', P: 'PREFER_NOT_TO_SAY'}],
  emailSubscribe: ['email_subscribe', 'SUBSCRIPTION_STATE_', {}],
  pushSubscribe: ['push_subscribe', 'SUBSCRIPTION_STATE_', {}],
};

// Accepts 'GENDER_FEMALE', 'female', 'F', 'opted_in', 'SUBSCRIPTION_STATE_OPTED_IN'...
function enumValue(prefix, aliases, v) {
  const s = String(v);
  if (s.startsWith(prefix)) return s;
  const up = s.toUpperCase();
  return prefix + (aliases[up] || up);
}

function toUserProfile(p) {
  const profile = {user: toUserRef(p)};
  for (const [js, pb] of Object.entries(PROFILE_FIELDS)) {
    if (p[js] !== undefined && p[js] !== null) profile[pb] = p[js];
  }
  for (const [js, [pb, prefix, aliases]] of Object.entries(PROFILE_ENUMS)) {
    if (p[js] !== undefined && p[js] !== null) profile[pb] = enumValue(prefix, aliases, p[js]);
  }
  if (p.currentLocation) {
    profile.current_location = {latitude: p.currentLocation.latitude, longitude: p.currentLocation.longitude};
  }
  if (p.subscriptionGroups) profile.subscription_groups = p.subscriptionGroups;
  if (p.clearFields) profile.clear_fields = p.clearFields;
  if (p.customAttributes) {
    profile.custom_attributes = {};
    for (const [k, v] of Object.entries(p.customAttributes)) profile.custom_attributes[k] = toAttributeValue(v);
  }
  return profile;
}

function toEvent(e) {
  const event = {user: toUserRef(e), name: e.name};
  if (e.time !== undefined && e.time !== null) event.time = toTimestamp(e.time);
  if (e.appId) event.app_id = e.appId;
  if (e.properties) event.properties = toStruct(e.properties);
  if (e.updateExistingOnly !== undefined) event.update_existing_only = e.updateExistingOnly;
  if (e.eventId) event.event_id = e.eventId;
  return event;
}

function toPurchase(p) {
  const purchase = {user: toUserRef(p), product_id: p.productId, currency: p.currency, price: p.price};
  if (p.quantity !== undefined) purchase.quantity = p.quantity;
  if (p.time !== undefined && p.time !== null) purchase.time = toTimestamp(p.time);
  if (p.appId) purchase.app_id = p.appId;
  if (p.properties) purchase.properties = toStruct(p.properties);
  if (p.updateExistingOnly !== undefined) purchase.update_existing_only = p.updateExistingOnly;
  if (p.purchaseId) purchase.purchase_id = p.purchaseId;
  return purchase;
}

// ---- lookups ---------------------------------------------------------------

// google.protobuf.Duration from milliseconds ({seconds, nanos} is passed through).
function toDuration(ms) {
  if (ms && typeof ms === 'object') return ms;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new TypeError(`invalid duration (ms): ${ms}`);
  const seconds = Math.trunc(ms / 1000);
  return {seconds: String(seconds), nanos: Math.round((ms - seconds * 1000) * 1e6)};
}

const CACHE_POLICIES = {prefer_cache: 'CACHE_POLICY_PREFER_CACHE', refresh: 'CACHE_POLICY_REFRESH',
  cache_only: 'CACHE_POLICY_CACHE_ONLY'};

// Copies a raw LookupUsersRequest, converting this client's conveniences:
// max_age / max_stale / max_wait as milliseconds (or {seconds, nanos}),
// cache_policy as 'prefer_cache' | 'refresh' | 'cache_only' (or the enum
// name), external_ids as one string, user_aliases as {alias_label,
// alias_name} or {aliasLabel, aliasName}.
function normalizeLookupRequest(request) {
  const req = {...request};
  if (typeof req.external_ids === 'string') req.external_ids = [req.external_ids];
  if (req.user_aliases) {
    req.user_aliases = req.user_aliases.map((a) => ({alias_name: a.alias_name ?? a.aliasName,
      alias_label: a.alias_label ?? a.aliasLabel}));
  }
  for (const name of ['max_age', 'max_stale', 'max_wait']) {
    if (req[name] !== undefined && req[name] !== null) req[name] = toDuration(req[name]);
  }
  if (typeof req.cache_policy === 'string' && CACHE_POLICIES[req.cache_policy]) {
    req.cache_policy = CACHE_POLICIES[req.cache_policy];
  }
  return req;
}

// A google.protobuf.Value as decoded by proto-loader -> a plain value.
function fromValue(v) {
  if (!v) return null;
  const kind = v.kind || Object.keys(v).find((k) => VALUE_KINDS.has(k) && v[k] !== undefined && v[k] !== null);
  switch (kind) {
    case 'numberValue': return v.numberValue;
    case 'stringValue': return v.stringValue;
    case 'boolValue': return v.boolValue;
    case 'structValue': return fromStruct(v.structValue);
    case 'listValue': return ((v.listValue && v.listValue.values) || []).map(fromValue);
    default: return null;
  }
}

// A google.protobuf.Struct as decoded by proto-loader (e.g.
// ExportedUser.custom_attributes) -> a plain object; {} for none.
function fromStruct(struct) {
  const out = {};
  for (const [k, v] of Object.entries((struct && struct.fields) || {})) out[k] = fromValue(v);
  return out;
}

// The user a LookupResult found (FOUND; the first of them when AMBIGUOUS), or null.
function foundUser(response, result) {
  if (!result || !['LOOKUP_OUTCOME_FOUND', 'LOOKUP_OUTCOME_AMBIGUOUS'].includes(result.outcome)) return null;
  const index = (result.user_indexes || [])[0];
  if (index === undefined || index < 0 || index >= response.users.length) return null;
  return response.users[index];
}

// ---- the Braze actions (identity, messaging, subscriptions) -----------------

const ACCEPTED_STATUSES = new Set(['ACTION_STATUS_ACCEPTED', 'ACTION_STATUS_APPLIED',
  'ACTION_STATUS_VALID', 'ACTION_STATUS_DUPLICATE']);

// True when an action response (IdentityResponse, TriggerResponse,
// SetSubscriptionStatusResponse) has results and every one went through:
// ACCEPTED, APPLIED, VALID (validate_only) or DUPLICATE. ACCEPTED means Braze
// took the item, not that its effect is visible yet (see `warnings`).
function allAccepted(response) {
  const results = (response && response.results) || [];
  return results.length > 0 && results.every((r) => ACCEPTED_STATUSES.has(r.status));
}

// Braze's prioritization names ('unidentified', 'most_recently_updated') or
// the enum names -> enum names, in order.
function toPrioritization(list) {
  return (Array.isArray(list) ? list : [list]).map((p) => enumValue('PRIORITIZATION_', {}, p));
}

function toAlias(a) {
  return {alias_name: a.alias_name ?? a.aliasName, alias_label: a.alias_label ?? a.aliasLabel};
}

// A trigger recipient's `attributes`: a UserProfile without `user`, from
// trackUser's camelCase fields ({firstName, customAttributes: {tier: 'gold'}})
// or proto-shaped ({first_name, custom_attributes: {tier: {string_value}}}).
function toRecipientProfile(p) {
  if (!p) return undefined;
  const camel = Object.keys(p).some((k) => k in PROFILE_FIELDS || k in PROFILE_ENUMS ||
    ['customAttributes', 'currentLocation', 'subscriptionGroups', 'clearFields'].includes(k));
  if (!camel) return normalizeRequest({attributes: [p]}).attributes[0];
  const profile = toUserProfile({...p, user: {}});
  delete profile.user;
  return profile;
}

// brazesync.v1.Recipient from {externalId | userAlias | email (+ prioritization)
// | brazeId, context, triggerProperties, sendToExistingOnly, attributes}; a
// string is an external id; a proto-shaped Recipient is normalized.
function toRecipient(r) {
  if (typeof r === 'string') return {external_user_id: r};
  const out = {};
  if (r.externalId !== undefined) out.external_user_id = String(r.externalId);
  else if (r.external_user_id !== undefined) out.external_user_id = r.external_user_id;
  else if (r.userAlias || r.user_alias) out.user_alias = toAlias(r.userAlias || r.user_alias);
  else if (r.email !== undefined) out.email = r.email;
  else if (r.brazeId !== undefined || r.braze_id !== undefined) out.braze_id = r.brazeId ?? r.braze_id;
  if (r.prioritization) out.prioritization = toPrioritization(r.prioritization);
  if (r.context) out.context = toStruct(r.context);
  const props = r.triggerProperties || r.trigger_properties;
  if (props) out.trigger_properties = toStruct(props);
  const existing = r.sendToExistingOnly ?? r.send_to_existing_only;
  if (existing !== undefined && existing !== null) out.send_to_existing_only = existing;
  if (r.attributes) out.attributes = toRecipientProfile(r.attributes);
  return out;
}

const SUBSCRIPTION_STATES = {subscribed: 'SUBSCRIPTION_STATE_SUBSCRIBED',
  unsubscribed: 'SUBSCRIPTION_STATE_UNSUBSCRIBED'};

// Copies a raw action request, converting this client's conveniences:
// prioritization as Braze's names, Structs (context, audience,
// trigger_properties) as plain objects, recipients as toRecipient() accepts,
// aliases as {aliasLabel, aliasName}, subscription_state as 'subscribed' /
// 'unsubscribed'.
function normalizeActionRequest(request) {
  const req = {...request};
  for (const name of ['context', 'audience', 'trigger_properties']) {
    if (req[name]) req[name] = toStruct(req[name]);
  }
  if (req.recipients) req.recipients = req.recipients.map(toRecipient);
  const withPrioritization = (x) => (x.prioritization ?
    {...x, prioritization: toPrioritization(x.prioritization)} : x);
  for (const name of ['emails_to_identify', 'phone_numbers_to_identify', 'email_addresses',
    'phone_numbers']) {
    if (req[name]) req[name] = req[name].map(withPrioritization);
  }
  if (req.aliases_to_identify) {
    req.aliases_to_identify = req.aliases_to_identify.map((a) => ({...a,
      user_alias: toAlias(a.user_alias || a.userAlias)}));
  }
  if (req.user_aliases) {
    req.user_aliases = req.user_aliases.map((a) => ({...a, ...toAlias(a)}));
  }
  if (req.merge_updates) {
    const side = (m) => (m && m.user_alias ? withPrioritization({...m, user_alias: toAlias(m.user_alias)}) :
      withPrioritization(m || {}));
    req.merge_updates = req.merge_updates.map((u) => ({identifier_to_merge: side(u.identifier_to_merge),
      identifier_to_keep: side(u.identifier_to_keep)}));
  }
  if (req.subscription_groups) {
    req.subscription_groups = req.subscription_groups.map((g) => ({...g,
      subscription_state: SUBSCRIPTION_STATES[g.subscription_state] || g.subscription_state}));
  }
  return req;
}

// The first result of a convenience call: {status, accepted, warnings, result, response}.
function outcome(response, rpc) {
  const result = response.results[0];
  if (!result) throw new BrazeSyncError({code: grpc.status.INTERNAL, details: `${rpc} answered no result`});
  return {status: result.status, accepted: ACCEPTED_STATUSES.has(result.status),
    warnings: result.warnings || [], result, response};
}

// ---- the client -------------------------------------------------------------

class BrazeSyncClient {
  // target: 'host:port'. Options:
  //   timeoutMs  deadline of each call (default 10000; 0 = none)
  //   token      sent as `authorization: Bearer <token>` (for an auth proxy in front of BrazeSync)
  //   tls        false (default, plaintext), true (system roots) or
  //              {rootCerts, privateKey, certChain} (Buffers)
  //   workspace  default TrackRequest.workspace
  //   protosDir  BrazeSync's protos/ (default: $BRAZESYNC_PROTOS_DIR or the repository's)
  //   channelOptions  passed to grpc-js
  constructor(target, {timeoutMs = 10000, token, tls = false, workspace = '', protosDir,
    channelOptions = {}} = {}) {
    const {service, lookupService, actionServices, errorTypes} =
      load(path.resolve(resolveProtosDir(protosDir)));
    let creds;
    if (!tls) creds = grpc.credentials.createInsecure();
    else if (tls === true) creds = grpc.credentials.createSsl();
    else creds = grpc.credentials.createSsl(tls.rootCerts || null, tls.privateKey || null, tls.certChain || null);
    this._stub = new service(target, creds, channelOptions);
    // The lookup stub shares the BrazeSync stub's channel.
    this._lookupStub = new lookupService(target, creds, {...channelOptions,
      channelOverride: this._stub.getChannel()});
    // So do the action stubs (BrazeIdentity, BrazeMessaging, BrazeSubscriptions).
    this._actionStubs = {};
    for (const [name, ActionService] of Object.entries(actionServices)) {
      this._actionStubs[name] = new ActionService(target, creds, {...channelOptions,
        channelOverride: this._stub.getChannel()});
    }
    this._errorTypes = errorTypes;
    this._timeoutMs = timeoutMs;
    this._token = token;
    this._workspace = workspace;
  }

  // Sends a brazesync.v1.TrackRequest ({attributes, events, purchases,
  // validate_only, allow_partial, workspace, request_id}, proto field names).
  // Event/purchase `properties` and AttributeValue `object_value` may be plain
  // JSON objects, and times a Date, epoch milliseconds or an ISO 8601 string.
  // Resolves with the TrackResult; rejects with a BrazeSyncError.
  track(request, {timeoutMs} = {}) {
    return this._unary(this._stub, 'Track', normalizeRequest(request), timeoutMs);
  }

  // Sends a brazesync.v1.LookupUsersRequest ({workspace, external_ids,
  // user_aliases, email_address, phone, braze_id, device_id,
  // fields_to_export, cache_policy, max_age, max_stale, max_wait,
  // allow_received_fields}, proto field names). Durations may be
  // milliseconds, cache_policy 'prefer_cache' | 'refresh' | 'cache_only'.
  // Resolves with the LookupUsersResponse: {users, invalid_user_ids,
  // results: [{field, index, outcome: 'LOOKUP_OUTCOME_FOUND' | ..._NOT_FOUND |
  // ..._AMBIGUOUS | ..._DEFERRED | ..._ERROR, user_indexes, from_cache, ...}],
  // braze_requests}. Braze being slow or down is an outcome, never a
  // rejection; rejects with a BrazeSyncError (INVALID_ARGUMENT, NOT_FOUND,
  // PERMISSION_DENIED without the lookup role...). Keep timeoutMs above
  // max_wait.
  lookupUsers(request, {timeoutMs} = {}) {
    return this._unary(this._lookupStub, 'LookupUsers', normalizeLookupRequest(request), timeoutMs);
  }

  // Looks one user up: {externalId | userAlias: {alias_label, alias_name}} plus
  // any LookupUsersRequest field (max_wait: 300, max_stale: 3600000,
  // fields_to_export: [...], workspace...). Resolves with {outcome, user
  // (or null), customAttributes (plain object), result, response}.
  async lookupUser({externalId, userAlias, ...rest}, options) {
    const request = {...rest};
    if (externalId !== undefined) request.external_ids = [String(externalId)];
    if (userAlias) request.user_aliases = [userAlias];
    const response = await this.lookupUsers(request, options);
    const result = response.results[0];
    const user = foundUser(response, result);
    return {outcome: result ? result.outcome : 'LOOKUP_OUTCOME_UNSPECIFIED', user,
      customAttributes: user ? fromStruct(user.custom_attributes) : {}, result, response};
  }

  // ---- the Braze actions ----------------------------------------------------
  //
  // Each resolves with the rpc's response: one ActionResult per item
  // ({array, index, status: 'ACTION_STATUS_ACCEPTED' | ..._APPLIED |
  // ..._REJECTED_INVALID | ..._REJECTED_BY_BRAZE | ..._FAILED | ..._DEFERRED |
  // ..._VALID | ..._DUPLICATE, warnings, violations, braze_error, retryable,
  // braze_call, retry_after}) and the Braze calls made; Braze being slow or
  // down is a result, never a rejection. Rejects with a BrazeSyncError for
  // INVALID_ARGUMENT (an invalid item without allow_partial; `violations`),
  // NOT_FOUND (workspace), FAILED_PRECONDITION (Braze refused the key),
  // UNAUTHENTICATED / PERMISSION_DENIED (the identity, messaging or
  // subscriptions role), RESOURCE_EXHAUSTED. Like every call of this client,
  // one attempt, never retried. Requests use the proto field names, with
  // the conveniences of normalizeActionRequest (prioritization: ['unidentified'],
  // plain objects for context, recipients as {externalId, context, attributes}).

  // BrazeIdentity.CreateAlias ({user_aliases: [{alias_label, alias_name, external_id?}]}).
  createAlias(request, options = {}) {
    return this._action('identity', 'CreateAlias', request, options);
  }

  // BrazeIdentity.IdentifyUsers ({aliases_to_identify, emails_to_identify,
  // phone_numbers_to_identify}).
  identifyUsers(request, options = {}) {
    return this._action('identity', 'IdentifyUsers', request, options);
  }

  // BrazeIdentity.MergeUsers ({merge_updates: [{identifier_to_merge, identifier_to_keep}]}).
  mergeUsers(request, options = {}) {
    return this._action('identity', 'MergeUsers', request, options);
  }

  // BrazeIdentity.DeleteUsers: irreversible, needs confirm_irreversible: true.
  deleteUsers(request, options = {}) {
    return this._action('identity', 'DeleteUsers', request, options);
  }

  // BrazeIdentity.RenameExternalIds ({external_id_renames: [{current_external_id, new_external_id}]}).
  renameExternalIds(request, options = {}) {
    return this._action('identity', 'RenameExternalIds', request, options);
  }

  // BrazeIdentity.RemoveExternalIds ({external_ids: [deprecated ids]}).
  removeExternalIds(request, options = {}) {
    return this._action('identity', 'RemoveExternalIds', request, options);
  }

  // BrazeMessaging.TriggerCanvas ({canvas_id, context, broadcast, audience,
  // recipients}). A trigger is not idempotent: after DEADLINE_EXCEEDED or
  // UNAVAILABLE the request may have reached the server and Braze may have
  // sent, so do not resend blindly (this client never retries it).
  triggerCanvas(request, options = {}) {
    return this._action('messaging', 'TriggerCanvas', request, options);
  }

  // BrazeMessaging.TriggerCampaign ({campaign_id, send_id, trigger_properties,
  // broadcast, audience, recipients, attachments}); as triggerCanvas.
  triggerCampaign(request, options = {}) {
    return this._action('messaging', 'TriggerCampaign', request, options);
  }

  // BrazeSubscriptions.SetSubscriptionStatus ({subscription_groups:
  // [{subscription_group_id, subscription_state: 'subscribed', external_ids, emails, phones}]}).
  setSubscriptionStatus(request, options = {}) {
    return this._action('subscriptions', 'SetSubscriptionStatus', request, options);
  }

  // Adds alias (aliasLabel, aliasName) to externalId, or without externalId
  // creates an alias-only user. Resolves with {status, accepted, warnings, result, response}.
  async createUserAlias({aliasLabel, aliasName, externalId, workspace}, options) {
    const item = {alias_label: aliasLabel, alias_name: aliasName};
    if (externalId !== undefined) item.external_id = String(externalId);
    return outcome(await this.createAlias({workspace, user_aliases: [item]}, options), 'CreateAlias');
  }

  // Identifies the alias-only profile (aliasLabel, aliasName) as externalId.
  async identifyAlias({externalId, aliasLabel, aliasName, workspace}, options) {
    return outcome(await this.identifyUsers({workspace, aliases_to_identify: [{
      external_id: String(externalId), user_alias: {alias_label: aliasLabel, alias_name: aliasName}}]},
    options), 'IdentifyUsers');
  }

  // Puts one user into an API-triggered Canvas with `context`, writing
  // `attributes` (see toRecipientProfile) first. Never retried.
  async triggerCanvasFor({externalId, canvasId, context, attributes, sendToExistingOnly, workspace},
    options) {
    const recipient = toRecipient({externalId, context, attributes, sendToExistingOnly});
    return outcome(await this.triggerCanvas({workspace, canvas_id: canvasId, recipients: [recipient]},
      options), 'TriggerCanvas');
  }

  // Subscribes (subscribed: false unsubscribes) one user to a subscription group.
  async subscribeUser({externalId, groupId, subscribed = true, workspace}, options) {
    return outcome(await this.setSubscriptionStatus({workspace, subscription_groups: [{
      subscription_group_id: groupId, subscription_state: subscribed ? 'subscribed' : 'unsubscribed',
      external_ids: [String(externalId)]}]}, options), 'SetSubscriptionStatus');
  }

  _action(service, method, request, {timeoutMs} = {}) {
    return this._unary(this._actionStubs[service], method, normalizeActionRequest(request), timeoutMs);
  }

  _unary(stub, method, req, timeoutMs) {
    if (!req.workspace && this._workspace) req.workspace = this._workspace;
    const metadata = new grpc.Metadata();
    if (this._token) metadata.set('authorization', `Bearer ${this._token}`);
    const ms = timeoutMs ?? this._timeoutMs;
    const callOptions = ms ? {deadline: new Date(Date.now() + ms)} : {};
    return new Promise((resolve, reject) => {
      stub[method](req, metadata, callOptions, (err, result) => {
        if (err) reject(toBrazeSyncError(this._errorTypes, err));
        else resolve(result);
      });
    });
  }

  // Updates one profile: {externalId (or userAlias/brazeId/user), firstName,
  // lastName, email, phone, homeCity, country, language, timeZone, dob,
  // gender, emailSubscribe, pushSubscribe, currentLocation, customAttributes,
  // clearFields, updateExistingOnly, mergeObjects}.
  trackUser(profile, options) {
    return this.track({attributes: [toUserProfile(profile)]}, options);
  }

  // Records one custom event: {externalId (or ...), name, properties, time, appId, eventId}.
  trackEvent(event, options) {
    return this.track({events: [toEvent(event)]}, options);
  }

  // Records one purchase: {externalId (or ...), productId, currency, price, quantity, properties, time}.
  trackPurchase(purchase, options) {
    return this.track({purchases: [toPurchase(purchase)]}, options);
  }

  // Decodes TrackResult.error (TrackStream results) the same way as a
  // rejected call: {violations, errorInfo, retryDelayMs}.
  decodeStatus(status) {
    return decodeStatusDetails(this._errorTypes, status);
  }

  // Closes the channel (the lookup and action stubs share it).
  close() {
    this._stub.close();
  }
}

module.exports = {
  BrazeSyncClient,
  BrazeSyncError,
  status: grpc.status,
  toUserProfile,
  toEvent,
  toPurchase,
  toStruct,
  toAttributeValue,
  toTimestamp,
  toDuration,
  fromStruct,
  foundUser,
  allAccepted,
  toRecipient,
  toRecipientProfile,
  toPrioritization,
  normalizeActionRequest,
};
