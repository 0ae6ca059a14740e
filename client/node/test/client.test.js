'use strict';
// End-to-end tests of the Node client against a live brazesync_server and the
// Braze emulator, both started on free loopback ports (readiness through their
// --port_file). Needs BRAZESYNC_SERVER_BIN, BRAZE_EMULATOR_BIN and
// BRAZESYNC_PROTOS_DIR (run_tests.sh sets them).
const {test, before, after, beforeEach} = require('node:test');
const assert = require('node:assert/strict');
const {spawn} = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const crypto = require('node:crypto');

const {BrazeSyncClient, BrazeSyncError, foundUser, fromStruct, allAccepted,
  normalizeActionRequest} = require('../brazesync');

const SERVER_BIN = process.env.BRAZESYNC_SERVER_BIN;
const EMULATOR_BIN = process.env.BRAZE_EMULATOR_BIN;
const PROTOS_DIR = process.env.BRAZESYNC_PROTOS_DIR;
const API_KEY = 'node-client-key';

let workDir;
const children = [];
let emulatorPort;
let client;

// Starts BIN with --listen=127.0.0.1:0 --port_file and resolves with the port
// once the file is written; bounded polling (20 s), fails early if it exits.
async function startWithPortFile(name, bin, args) {
  const portFile = path.join(workDir, `${name}.port`);
  const log = fs.openSync(path.join(workDir, `${name}.log`), 'w');
  const child = spawn(bin, ['--listen=127.0.0.1:0', `--port_file=${portFile}`, ...args], {
    env: {...process.env, BRAZE_API_KEY: API_KEY},
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  children.push(child);
  let exited = null;
  child.on('exit', (code, signal) => { exited = {code, signal}; });
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    if (exited) {
      const out = fs.readFileSync(path.join(workDir, `${name}.log`), 'utf8');
      throw new Error(`${name} exited early (${JSON.stringify(exited)}):\n${out}`);
    }
    const text = fs.existsSync(portFile) ? fs.readFileSync(portFile, 'utf8').trim() : '';
    if (/^\d+$/.test(text)) return Number(text);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} did not write ${portFile} within 20 s`);
}

async function emulatorRequests() {
  const res = await fetch(`http://127.0.0.1:${emulatorPort}/_emulator/requests`);
  assert.equal(res.status, 200);
  return res.json();
}

before(async () => {
  for (const [name, value] of Object.entries({BRAZESYNC_SERVER_BIN: SERVER_BIN,
    BRAZE_EMULATOR_BIN: EMULATOR_BIN, BRAZESYNC_PROTOS_DIR: PROTOS_DIR})) {
    assert.ok(value, `${name} must be set (see run_tests.sh)`);
  }
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'brazesync-node-'));
  // Braze's export shows a write tens of seconds late; here ten minutes, so a
  // lookup right after Track finds the tracked values only through
  // BrazeSync's read-your-writes overlay.
  emulatorPort = await startWithPortFile('emulator', EMULATOR_BIN, ['--export_lag_ms=600000']);
  const serverPort = await startWithPortFile('server', SERVER_BIN,
    [`--braze_endpoint=http://127.0.0.1:${emulatorPort}`]);
  client = new BrazeSyncClient(`127.0.0.1:${serverPort}`, {timeoutMs: 15000, protosDir: PROTOS_DIR});
});

after(async () => {
  if (client) client.close();
  await Promise.all(children.map((c) => new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.on('exit', resolve);
    c.kill('SIGTERM');
  })));
  if (workDir) fs.rmSync(workDir, {recursive: true, force: true});
});

beforeEach(async () => {
  const res = await fetch(`http://127.0.0.1:${emulatorPort}/_emulator/reset`, {method: 'POST'});
  assert.ok(res.ok, `emulator reset: HTTP ${res.status}`);
});

test('a profile and an event are delivered and Braze receives the exact JSON', async () => {
  const result = await client.track({
    attributes: [{user: {external_id: 'node-user'}, first_name: 'Ada', email: 'ada@example.com'}],
    events: [{
      user: {external_id: 'node-user'},
      name: 'quote_requested',
      time: {seconds: '1714566896', nanos: 789000000},
      properties: {plan: 'premium', amount: 120},
    }],
  });
  assert.equal(result.outcome, 'OUTCOME_DELIVERED');
  assert.equal(result.items.length, 2);
  assert.deepEqual(result.items.map((i) => [i.kind, i.index, i.status]), [
    ['ITEM_KIND_ATTRIBUTES', 0, 'ITEM_STATUS_DELIVERED'],
    ['ITEM_KIND_EVENT', 0, 'ITEM_STATUS_DELIVERED'],
  ]);
  assert.equal(result.braze_requests, 1);

  const requests = await emulatorRequests();
  assert.equal(requests.length, 1, JSON.stringify(requests));
  assert.deepEqual(requests[0].body, {
    attributes: [{external_id: 'node-user', first_name: 'Ada', email: 'ada@example.com'}],
    events: [{external_id: 'node-user', name: 'quote_requested', time: '2024-05-01T12:34:56.789Z',
      properties: {plan: 'premium', amount: 120}}],
  });
  assert.match(requests[0].headers['content-type'], /^application\/json/);
});

test('trackUser and trackEvent build Braze-shaped items from plain values', async () => {
  const user = await client.trackUser({externalId: 'node-user-2', firstName: 'Grace', country: 'GB',
    gender: 'F', customAttributes: {plan: 'premium', visits: 3, vip: true, tags: ['a', 'b']}});
  assert.equal(user.outcome, 'OUTCOME_DELIVERED');
  const event = await client.trackEvent({externalId: 'node-user-2', name: 'appointment_booked',
    time: new Date('2024-05-02T09:00:00.000Z'), properties: {slot: '10:00', party: {size: 2}}});
  assert.equal(event.outcome, 'OUTCOME_DELIVERED');

  const bodies = (await emulatorRequests()).map((r) => r.body);
  assert.deepEqual(bodies, [
    {attributes: [{external_id: 'node-user-2', first_name: 'Grace', country: 'GB', gender: 'F',
      plan: 'premium', visits: 3, vip: true, tags: ['a', 'b']}]},
    {events: [{external_id: 'node-user-2', name: 'appointment_booked', time: '2024-05-02T09:00:00.000Z',
      properties: {slot: '10:00', party: {size: 2}}}]},
  ]);
});

test('an invalid request rejects with INVALID_ARGUMENT and names the field', async () => {
  await assert.rejects(client.trackUser({externalId: 'node-user', dob: '12/21/1980'}), (err) => {
    assert.ok(err instanceof BrazeSyncError, String(err));
    assert.equal(err.code, 3);
    assert.equal(err.codeName, 'INVALID_ARGUMENT');
    assert.equal(typeof err.details, 'string');
    assert.ok(err.violations.length >= 1, JSON.stringify(err.violations));
    assert.ok(err.violations.some((v) => v.field === 'attributes[0].dob' && v.description),
      JSON.stringify(err.violations));
    return true;
  });
  await assert.rejects(client.trackEvent({externalId: 'node-user', name: ''}), (err) => {
    assert.equal(err.code, 3);
    assert.ok(err.violations.some((v) => v.field === 'events[0].name'), JSON.stringify(err.violations));
    return true;
  });
  assert.deepEqual(await emulatorRequests(), [], 'nothing reaches Braze for invalid input');
});

// An external id no other test has used: the server caches lookups (also
// negative answers) across emulator resets.
function uniqueId(prefix) {
  return `${prefix}-${crypto.randomBytes(6).toString('hex')}`;
}

test('lookupUsers reads its own writes; an unknown external id is NOT_FOUND', async () => {
  const known = uniqueId('node-lookup');
  const unknown = uniqueId('node-nobody');
  const tracked = await client.trackUser({externalId: known, firstName: 'Ada',
    customAttributes: {tier: 'gold'}});
  assert.equal(tracked.outcome, 'OUTCOME_DELIVERED');

  const response = await client.lookupUsers({external_ids: [known, unknown],
    fields_to_export: ['first_name', 'custom_attributes'], max_wait: 5000});
  assert.deepEqual(response.results.map((r) => [r.field, r.index]),
    [['external_ids', 0], ['external_ids', 1]]);
  const [found, missing] = response.results;
  assert.equal(found.outcome, 'LOOKUP_OUTCOME_FOUND', JSON.stringify(response));
  const user = foundUser(response, found);
  assert.ok(user, JSON.stringify(response));
  assert.equal(user.external_id, known);
  assert.equal(user.first_name, 'Ada');
  assert.equal(fromStruct(user.custom_attributes).tier, 'gold', JSON.stringify(response));
  assert.equal(found.pending_own_write, true, 'Braze\'s export lags: the overlay answered');
  assert.equal(missing.outcome, 'LOOKUP_OUTCOME_NOT_FOUND', JSON.stringify(response));
  assert.deepEqual(missing.user_indexes, []);
  assert.equal(foundUser(response, missing), null);
});

test('lookupUser looks one user up; bad input rejects with INVALID_ARGUMENT', async () => {
  const known = uniqueId('node-lookup-one');
  await client.trackUser({externalId: known, firstName: 'Grace', customAttributes: {tier: 'silver'}});
  const one = await client.lookupUser({externalId: known, max_wait: 5000, max_stale: 3600000,
    cache_policy: 'prefer_cache', fields_to_export: ['first_name', 'custom_attributes']});
  assert.equal(one.outcome, 'LOOKUP_OUTCOME_FOUND', JSON.stringify(one.response));
  assert.equal(one.user.first_name, 'Grace');
  assert.deepEqual(one.customAttributes, {tier: 'silver'});

  const none = await client.lookupUser({externalId: uniqueId('node-nobody'), max_wait: 5000});
  assert.equal(none.outcome, 'LOOKUP_OUTCOME_NOT_FOUND', JSON.stringify(none.response));
  assert.equal(none.user, null);

  await assert.rejects(client.lookupUsers({}), (err) => {
    assert.ok(err instanceof BrazeSyncError, String(err));
    assert.equal(err.codeName, 'INVALID_ARGUMENT');
    assert.ok(err.violations.length >= 1, JSON.stringify(err));
    return true;
  });
  await assert.rejects(client.lookupUsers({external_ids: ['u1'], max_wait: -1}), (err) => {
    assert.equal(err.codeName, 'INVALID_ARGUMENT');
    assert.ok(err.violations.some((v) => v.field.includes('max_wait')), JSON.stringify(err.violations));
    return true;
  });
});

// ---- the Braze actions (identity, messaging, subscriptions) ----------------

async function emulatorGet(pathName) {
  const res = await fetch(`http://127.0.0.1:${emulatorPort}${pathName}`);
  assert.equal(res.status, 200, `GET ${pathName}: HTTP ${res.status}`);
  return res.json();
}

// The bodies Braze received at `braze` (e.g. '/users/identify').
async function bodiesTo(braze) {
  return (await emulatorRequests()).filter((r) => r.path === braze).map((r) => r.body);
}

// The emulator's live (never lagged) profile with this external id, or undefined.
async function liveProfile(externalId) {
  return (await emulatorGet('/_emulator/profiles')).find((p) => p.external_id === externalId);
}

// Messages the emulator's triggers sent whose JSON contains every needle.
async function messagesMentioning(...needles) {
  const answer = await emulatorGet('/_emulator/messages');
  const messages = Array.isArray(answer) ? answer : (answer.messages || []);
  return messages.filter((m) => needles.every((n) => JSON.stringify(m).includes(n)));
}

// Polls `check` (bounded, 10 s) until it resolves truthy: Braze queues merges and deletes.
async function eventually(check) {
  const deadline = Date.now() + 10000;
  for (;;) {
    const value = await check();
    if (value || Date.now() >= deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const uid = (prefix) => `${prefix}-${crypto.randomBytes(6).toString('hex')}`;

test('createUserAlias then identifyAlias: the alias profile becomes the user', async () => {
  const user = uid('node-ident');
  const visitor = uid('visitor');
  assert.equal((await client.trackUser({externalId: user, firstName: 'Ada'})).outcome, 'OUTCOME_DELIVERED');
  const created = await client.createUserAlias({aliasLabel: 'chat_visitor', aliasName: visitor});
  assert.equal(created.status, 'ACTION_STATUS_ACCEPTED', JSON.stringify(created.response));
  assert.ok(created.warnings.includes('ACTION_WARNING_SUCCESS_MAY_BE_NOOP'), created.warnings);
  assert.deepEqual(await bodiesTo('/users/alias/new'),
    [{user_aliases: [{alias_label: 'chat_visitor', alias_name: visitor}]}]);

  const identified = await client.identifyAlias({externalId: user, aliasLabel: 'chat_visitor',
    aliasName: visitor});
  assert.equal(identified.status, 'ACTION_STATUS_ACCEPTED', JSON.stringify(identified.response));
  assert.ok(identified.accepted);
  assert.deepEqual(await bodiesTo('/users/identify'), [{aliases_to_identify: [{external_id: user,
    user_alias: {alias_label: 'chat_visitor', alias_name: visitor}}]}]);
  const alias = {alias_label: 'chat_visitor', alias_name: visitor};
  const profile = await eventually(async () => {
    const p = await liveProfile(user);
    return p && (p.user_aliases || []).some((a) => JSON.stringify(a) === JSON.stringify(alias)) ? p : null;
  });
  assert.ok(profile, 'the identified user holds the alias');
});

test('triggerCanvasFor sends the Canvas with the context; the emulator sent one message', async () => {
  const user = uid('node-canvas');
  assert.equal((await client.trackUser({externalId: user, firstName: 'Ada'})).outcome, 'OUTCOME_DELIVERED');
  const sent = await client.triggerCanvasFor({externalId: user, canvasId: 'cv-node',
    context: {topic: 'upgrade', score: 7}, attributes: {firstName: 'Ada'}});
  assert.equal(sent.status, 'ACTION_STATUS_ACCEPTED', JSON.stringify(sent.response));
  assert.ok(sent.response.dispatch_ids.length >= 1);
  const call = sent.response.braze_calls[sent.result.braze_call];
  assert.equal(call.endpoint, '/canvas/trigger/send');
  const [body] = await bodiesTo('/canvas/trigger/send');
  assert.equal(body.canvas_id, 'cv-node');
  assert.equal(body.recipients[0].external_user_id, user);
  assert.deepEqual({...(body.context || {}), ...(body.recipients[0].context || {})},
    {topic: 'upgrade', score: 7});
  assert.deepEqual(body.recipients[0].attributes, {first_name: 'Ada'});
  assert.equal((await messagesMentioning('cv-node', user, 'upgrade')).length, 1);
});

test('triggerCanvas with broadcast and recipients rejects with INVALID_ARGUMENT', async () => {
  await assert.rejects(client.triggerCanvas({canvas_id: 'cv-1', broadcast: true, recipients: ['u1']}),
    (err) => err instanceof BrazeSyncError && err.codeName === 'INVALID_ARGUMENT');
  assert.deepEqual(await bodiesTo('/canvas/trigger/send'), []);
});

test('subscribeUser and setSubscriptionStatus reach /v2/subscription/status/set', async () => {
  const user = uid('node-sub');
  const subscribed = await client.subscribeUser({externalId: user, groupId: 'sg-news'});
  assert.equal(subscribed.status, 'ACTION_STATUS_ACCEPTED', JSON.stringify(subscribed.response));
  const response = await client.setSubscriptionStatus({subscription_groups: [{
    subscription_group_id: 'sg-news', subscription_state: 'unsubscribed', external_ids: [user]}]});
  assert.ok(allAccepted(response), JSON.stringify(response));
  assert.deepEqual((await bodiesTo('/v2/subscription/status/set')).map((b) => b.subscription_groups), [
    [{subscription_group_id: 'sg-news', subscription_state: 'subscribed', external_ids: [user]}],
    [{subscription_group_id: 'sg-news', subscription_state: 'unsubscribed', external_ids: [user]}],
  ]);
});

test('deleteUsers deletes the profile; without confirm_irreversible it is INVALID_ARGUMENT', async () => {
  const user = uid('node-delete');
  assert.equal((await client.trackUser({externalId: user, firstName: 'Ada'})).outcome, 'OUTCOME_DELIVERED');
  await assert.rejects(client.deleteUsers({external_ids: [user]}),
    (err) => err.codeName === 'INVALID_ARGUMENT');
  const response = await client.deleteUsers({external_ids: [user], confirm_irreversible: true});
  assert.deepEqual(response.results.map((r) => r.status), ['ACTION_STATUS_ACCEPTED']);
  assert.deepEqual(await bodiesTo('/users/delete'), [{external_ids: [user]}]);
  assert.ok(await eventually(async () => !(await liveProfile(user))), 'the profile is gone');
  const found = await client.lookupUser({externalId: user, max_wait: 5000});
  assert.equal(found.outcome, 'LOOKUP_OUTCOME_NOT_FOUND');
});

test('validate_only answers VALID with the Braze body and sends nothing', async () => {
  const response = await client.mergeUsers({validate_only: true, merge_updates: [{
    identifier_to_merge: {email: 'old@example.com', prioritization: ['unidentified', 'most_recently_updated']},
    identifier_to_keep: {external_id: 'node-keep'}}]});
  assert.deepEqual(response.results.map((r) => r.status), ['ACTION_STATUS_VALID']);
  assert.deepEqual(JSON.parse(response.braze_request_bodies[0]), {merge_updates: [{
    identifier_to_merge: {email: 'old@example.com', prioritization: ['unidentified', 'most_recently_updated']},
    identifier_to_keep: {external_id: 'node-keep'}}]});
  assert.deepEqual(await bodiesTo('/users/merge'), []);
});

test('normalizeActionRequest: prioritization names, Structs, recipients (offline)', () => {
  const req = normalizeActionRequest({canvas_id: 'c', context: {a: 1},
    recipients: ['u1', {email: 'a@b.co', prioritization: ['identified']}]});
  assert.deepEqual(req.context, {fields: {a: {numberValue: 1}}});
  assert.deepEqual(req.recipients, [{external_user_id: 'u1'},
    {email: 'a@b.co', prioritization: ['PRIORITIZATION_IDENTIFIED']}]);
  assert.equal(allAccepted({results: []}), false);
  assert.equal(allAccepted({results: [{status: 'ACTION_STATUS_APPLIED'}]}), true);
  assert.equal(allAccepted({results: [{status: 'ACTION_STATUS_FAILED'}]}), false);
});
