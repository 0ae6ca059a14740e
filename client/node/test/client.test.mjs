// End-to-end tests of the installed @brazesync/client package (run_tests.sh
// copies this file into a fresh npm project that installed the packed
// tarball) against a live brazesync_server that checks callers and the Braze
// emulator. Environment (set by run_tests.sh): BRAZESYNC_TARGET,
// BRAZESYNC_TOKEN (a caller with every role), BRAZE_EMULATOR_URL, and
// BRAZESYNC_URL when the server has an HTTP/JSON (Connect) listener.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { ConnectError, Code } from '@connectrpc/connect';
import * as pkg from '@brazesync/client';

const {
  BrazeSyncClient, BrazeSyncError, GrpcCode, ItemStatus, Outcome, LookupOutcome, ActionStatus,
  allAccepted, allDelivered, foundUser, buildProfile, buildEvent, decodeStatus,
} = pkg;

const EMULATOR = process.env.BRAZE_EMULATOR_URL;
const CONNECT_URL = process.env.BRAZESYNC_URL;
for (const name of ['BRAZESYNC_TARGET', 'BRAZESYNC_TOKEN', 'BRAZE_EMULATOR_URL']) {
  assert.ok(process.env[name], `${name} must be set (see run_tests.sh)`);
}

// Target and token come from $BRAZESYNC_TARGET and $BRAZESYNC_TOKEN.
const client = new BrazeSyncClient({ timeoutMs: 15000 });
const uid = (prefix) => `${prefix}-${crypto.randomBytes(6).toString('hex')}`;
// JSON for assertion messages (responses hold 64-bit fields as BigInt).
const show = (value) => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}` : v));
const ext = (id) => ({ id: { case: 'externalId', value: id } });

async function emulatorGet(path) {
  const res = await fetch(`${EMULATOR}${path}`);
  assert.equal(res.status, 200, `GET ${path}: HTTP ${res.status}`);
  return res.json();
}
// The bodies Braze received at `path` (e.g. '/users/track').
async function bodiesTo(path) {
  return (await emulatorGet('/_emulator/requests')).filter((r) => r.path === path).map((r) => r.body);
}

beforeEach(async () => {
  const res = await fetch(`${EMULATOR}/_emulator/reset`, { method: 'POST' });
  assert.ok(res.ok, `emulator reset: HTTP ${res.status}`);
});

test('every rpc of every generated service has a BrazeSyncClient method', () => {
  // Walks the file descriptors the package exports (file_brazesync_v1_*),
  // so a service or rpc added to protos/ without a method fails here.
  const services = Object.entries(pkg)
    .filter(([name]) => name.startsWith('file_brazesync_v1_'))
    .flatMap(([, file]) => file.services);
  const names = services.map((s) => s.name);
  for (const expected of ['BrazeIdentity', 'BrazeLookup', 'BrazeMessaging', 'BrazeSubscriptions', 'BrazeSync',
    'BrazeSyncAdmin']) {
    assert.ok(names.includes(expected), `${expected} not among the generated services: ${names}`);
  }
  const missing = [];
  let rpcs = 0;
  for (const service of services) {
    for (const method of service.methods) {
      rpcs++;
      if (typeof client[method.localName] !== 'function') missing.push(`${service.name}.${method.name}`);
    }
  }
  assert.deepEqual(missing, []);
  assert.ok(rpcs >= 17, `only ${rpcs} rpcs found`);
});

test('track: a valid and an invalid item with allowPartial answer one result each', async () => {
  const user = uid('node-track');
  const result = await client.track({
    allowPartial: true,
    attributes: [{ user: ext(user), firstName: 'Ada', email: 'ada@example.com' }],
    events: [{ user: ext(user), name: '' }],
  });
  assert.equal(result.outcome, Outcome.PARTIAL);
  assert.deepEqual(result.items.map((i) => [i.index, i.status]),
    [[0, ItemStatus.DELIVERED], [0, ItemStatus.REJECTED_INVALID]]);
  assert.ok(result.items[1].violations.some((v) => v.field === 'events[0].name'),
    show(result.items[1].violations));
  assert.deepEqual(await bodiesTo('/users/track'),
    [{ attributes: [{ external_id: user, first_name: 'Ada', email: 'ada@example.com' }] }]);
});

test('trackUser and trackEvent build Braze items from plain values', async () => {
  const user = uid('node-builders');
  const profile = await client.trackUser({ externalId: user, firstName: 'Grace',
    customAttributes: { plan: 'premium', visits: 3, vip: true, tags: ['a', 'b'] } });
  assert.ok(allDelivered(profile), show(profile.items));
  const event = await client.trackEvent({ externalId: user, name: 'quote_requested',
    time: '2024-05-01T12:34:56.789Z', properties: { plan: 'premium', amount: 120 } });
  assert.ok(allDelivered(event));
  assert.deepEqual(await bodiesTo('/users/track'), [
    { attributes: [{ external_id: user, first_name: 'Grace', plan: 'premium', visits: 3, vip: true,
      tags: ['a', 'b'] }] },
    { events: [{ external_id: user, name: 'quote_requested', time: '2024-05-01T12:34:56.789Z',
      properties: { plan: 'premium', amount: 120 } }] },
  ]);
});

test('an invalid request rejects with a BrazeSyncError naming the field', async () => {
  await assert.rejects(client.trackUser({ externalId: 'node-user', dob: '12/21/1980' }), (err) => {
    assert.ok(err instanceof BrazeSyncError, String(err));
    assert.equal(err.code, GrpcCode.INVALID_ARGUMENT);
    assert.equal(err.codeName, 'INVALID_ARGUMENT');
    assert.equal(err.attempts, 1, 'INVALID_ARGUMENT is not retried');
    assert.ok(err.violations.some((v) => v.field === 'attributes[0].dob' && v.description),
      show(err.violations));
    return true;
  });
  assert.deepEqual(await bodiesTo('/users/track'), [], 'nothing reaches Braze');
});

test('trackStream: one result per request, in order; a refused request carries its error', async () => {
  const user = uid('node-stream');
  async function* requests() {
    yield { requestId: 'r1', events: [buildEvent({ externalId: user, name: 'first' })] };
    yield { requestId: 'r2', events: [buildEvent({ externalId: user, name: '' })] };
    yield { requestId: 'r3', attributes: [buildProfile({ externalId: user, firstName: 'Ada' })] };
  }
  const results = [];
  for await (const result of client.trackStream(requests())) results.push(result);
  assert.deepEqual(results.map((r) => r.requestId), ['r1', 'r2', 'r3']);
  assert.equal(results[0].outcome, Outcome.DELIVERED);
  assert.equal(results[2].outcome, Outcome.DELIVERED);
  assert.equal(results[1].error?.code, GrpcCode.INVALID_ARGUMENT, show(results[1]));
  assert.ok(decodeStatus(results[1].error).violations.some((v) => v.field === 'events[0].name'));
});

test('lookupUsers reads its own write; an unknown external id is NOT_FOUND', async () => {
  const known = uid('node-lookup');
  const unknown = uid('node-nobody');
  assert.ok(allDelivered(await client.trackUser({ externalId: known, firstName: 'Ada',
    customAttributes: { tier: 'gold' } })));
  const response = await client.lookupUsers({ externalIds: [known, unknown],
    fieldsToExport: ['first_name', 'custom_attributes'], maxWait: { seconds: 5n } });
  const [found, missing] = response.results;
  assert.equal(found.outcome, LookupOutcome.FOUND, show(response.results));
  const user = foundUser(response, found);
  assert.equal(user?.externalId, known);
  assert.equal(user?.firstName, 'Ada');
  assert.equal(user?.customAttributes?.tier, 'gold');
  assert.equal(missing.outcome, LookupOutcome.NOT_FOUND);
  assert.equal(foundUser(response, missing), null);
});

test('identity: createAlias reaches /users/alias/new and is accepted', async () => {
  const visitor = uid('visitor');
  const response = await client.createAlias({ userAliases: [{ aliasLabel: 'chat_visitor', aliasName: visitor }] });
  assert.deepEqual(response.results.map((r) => r.status), [ActionStatus.ACCEPTED]);
  assert.ok(allAccepted(response));
  assert.deepEqual(await bodiesTo('/users/alias/new'),
    [{ user_aliases: [{ alias_label: 'chat_visitor', alias_name: visitor }] }]);
});

test('messaging: triggerCanvas sends the Canvas with the context', async () => {
  const user = uid('node-canvas');
  assert.ok(allDelivered(await client.trackUser({ externalId: user, firstName: 'Ada' })));
  const response = await client.triggerCanvas({ canvasId: 'cv-node', recipients: [{
    id: { case: 'externalUserId', value: user }, context: { topic: 'upgrade', score: 7 } }] });
  assert.deepEqual(response.results.map((r) => r.status), [ActionStatus.ACCEPTED], show(response.results));
  assert.ok(response.dispatchIds.length >= 1);
  const [body] = await bodiesTo('/canvas/trigger/send');
  assert.equal(body.canvas_id, 'cv-node');
  assert.equal(body.recipients[0].external_user_id, user);
  assert.deepEqual(body.recipients[0].context, { topic: 'upgrade', score: 7 });
});

test('subscriptions: setSubscriptionStatus reaches /v2/subscription/status/set', async () => {
  const user = uid('node-sub');
  const response = await client.setSubscriptionStatus({ subscriptionGroups: [{
    subscriptionGroupId: 'sg-news', subscriptionState: pkg.SubscriptionState.SUBSCRIBED,
    externalIds: [user] }] });
  assert.ok(allAccepted(response), show(response.results));
  assert.deepEqual((await bodiesTo('/v2/subscription/status/set')).map((b) => b.subscription_groups),
    [[{ subscription_group_id: 'sg-news', subscription_state: 'subscribed', external_ids: [user] }]]);
});

test('admin: listDeadLetters answers (an empty store)', async () => {
  const response = await client.listDeadLetters({ pageSize: 10 });
  assert.deepEqual(response.deadLetters, []);
});

test('a bad token is UNAUTHENTICATED, not retried', async () => {
  const intruder = new BrazeSyncClient({ token: 'not-a-caller' });
  try {
    await assert.rejects(intruder.trackEvent({ externalId: 'u1', name: 'e' }), (err) => {
      assert.ok(err instanceof BrazeSyncError, String(err));
      assert.equal(err.code, GrpcCode.UNAUTHENTICATED);
      assert.equal(err.codeName, 'UNAUTHENTICATED');
      assert.equal(err.attempts, 1);
      return true;
    });
  } finally {
    intruder.close();
  }
  assert.deepEqual(await bodiesTo('/users/track'), []);
});

test('UNAVAILABLE: track is retried with backoff, a trigger is sent once', async () => {
  // A loopback port nothing listens on: every attempt is refused.
  const port = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
  const down = new BrazeSyncClient({ target: `127.0.0.1:${port}`, retries: 3, backoffInitialMs: 1,
    backoffMaxMs: 5, timeoutMs: 5000 });
  try {
    await assert.rejects(down.trackEvent({ externalId: 'u1', name: 'e' }), (err) => {
      assert.equal(err.codeName, 'UNAVAILABLE', String(err));
      assert.equal(err.attempts, 3);
      return true;
    });
    await assert.rejects(down.triggerCanvas({ canvasId: 'cv', broadcast: true }), (err) => {
      assert.equal(err.codeName, 'UNAVAILABLE', String(err));
      assert.equal(err.attempts, 1);
      return true;
    });
  } finally {
    down.close();
  }
});

test('timeoutMs reaches the server as the deadline: a lookup of a slow Braze is DEFERRED in time', async () => {
  // Braze (the emulator) answers exports 1.5 s late. maxWait allows 10 s, so
  // only the call's 400 ms deadline (grpc-timeout) can make the server answer
  // DEFERRED early; without it the answer would be NOT_FOUND after 1.5 s.
  const slow = await fetch(`${EMULATOR}/_emulator/faults`, { method: 'POST', body: '{"latency_ms": 1500}' });
  assert.ok(slow.ok, `emulator faults: HTTP ${slow.status}`);
  try {
    const started = Date.now();
    const response = await client.lookupUsers({ externalIds: [uid('node-slow')], maxWait: { seconds: 10n } },
      { timeoutMs: 400 });
    const elapsed = Date.now() - started;
    assert.equal(response.results[0].outcome, LookupOutcome.DEFERRED, show(response.results));
    assert.ok(elapsed < 1400, `the call took ${elapsed} ms, past its deadline`);
  } finally {
    const fast = await fetch(`${EMULATOR}/_emulator/faults`, { method: 'POST', body: '{}' });
    assert.ok(fast.ok, `emulator faults reset: HTTP ${fast.status}`);
  }
});

test('Connect transport: JSON over HTTP/1.1 to an in-process Connect server (no BrazeSync server needed)', async () => {
  // Pins the client side of the Connect protocol while the real server's
  // HTTP/JSON listener is optional: JSON bodies, the bearer token, and the
  // error details (google.rpc.BadRequest) read into BrazeSyncError.
  const seen = [];
  const handler = connectNodeAdapter({ routes(router) {
    router.service(pkg.BrazeSync, {
      async track(request, context) {
        seen.push({ auth: context.requestHeader.get('authorization'),
          contentType: context.requestHeader.get('content-type') });
        if (request.attributes[0]?.dob) {
          throw new ConnectError('invalid dob', Code.InvalidArgument, undefined, [{ desc: pkg.BadRequestSchema,
            value: { fieldViolations: [{ field: 'attributes[0].dob', description: 'not a date' }] } }]);
        }
        return { outcome: Outcome.DELIVERED, items: [{ status: ItemStatus.DELIVERED }] };
      },
    });
  } });
  const server = http.createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const http1 = new BrazeSyncClient({ baseUrl: `http://127.0.0.1:${server.address().port}`, token: 'connect-token' });
    assert.equal(http1.protocol, 'connect');
    assert.ok(allDelivered(await http1.trackUser({ externalId: 'u1', firstName: 'Ada' })));
    assert.deepEqual(seen, [{ auth: 'Bearer connect-token', contentType: 'application/json' }]);
    await assert.rejects(http1.trackUser({ externalId: 'u1', dob: '12/21/1980' }), (err) => {
      assert.ok(err instanceof BrazeSyncError, String(err));
      assert.equal(err.code, GrpcCode.INVALID_ARGUMENT);
      assert.deepEqual(err.violations, [{ field: 'attributes[0].dob', description: 'not a date' }]);
      return true;
    });
  } finally {
    server.close();
  }
});

test('Connect (HTTP/JSON) transport: track, lookup and errors over baseUrl', async () => {
  assert.ok(CONNECT_URL, 'BRAZESYNC_URL: the server\'s HTTP/JSON listener (run_tests.sh sets it)');
  const http = new BrazeSyncClient({ baseUrl: CONNECT_URL });
  assert.equal(http.protocol, 'connect');
  const user = uid('node-connect');
  const result = await http.trackUser({ externalId: user, firstName: 'Ada' });
  assert.ok(allDelivered(result), show(result.items));
  assert.deepEqual(await bodiesTo('/users/track'), [{ attributes: [{ external_id: user, first_name: 'Ada' }] }]);
  const response = await http.lookupUsers({ externalIds: [user], maxWait: { seconds: 5n } });
  assert.equal(response.results[0].outcome, LookupOutcome.FOUND);
  await assert.rejects(http.trackUser({ externalId: user, dob: '12/21/1980' }), (err) => {
    assert.equal(err.code, GrpcCode.INVALID_ARGUMENT);
    assert.ok(err.violations.some((v) => v.field === 'attributes[0].dob'), show(err.violations));
    return true;
  });
  await assert.rejects(new BrazeSyncClient({ baseUrl: CONNECT_URL, token: 'not-a-caller' })
    .trackEvent({ externalId: 'u1', name: 'e' }), (err) => err.code === GrpcCode.UNAUTHENTICATED);
  await assert.rejects(async () => {
    for await (const r of http.trackStream([{}])) assert.fail(`unexpected ${r}`);
  }, (err) => err.code === GrpcCode.UNIMPLEMENTED);
});
