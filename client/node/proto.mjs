import {createClient, ConnectError, Code} from '@connectrpc/connect';
import {createGrpcTransport} from '@connectrpc/connect-node';
import {create} from '@bufbuild/protobuf';
import {BrazeSync, TrackRequestSchema} from './dist/gen/brazesync/v1/brazesync_pb.js';
import {BrazeSyncAdmin} from './dist/gen/brazesync/v1/admin_pb.js';
const token = process.argv[3];
const transport = createGrpcTransport({baseUrl: `http://127.0.0.1:${process.argv[2]}`,
  interceptors: [(next) => async (req) => { req.header.set('authorization', `Bearer ${token}`); return next(req); }]});
const c = createClient(BrazeSync, transport);
const r = await c.track({attributes: [{user: {id: {case: 'externalId', value: 'u1'}}, firstName: 'Ada'}]}, {timeoutMs: 5000});
console.log('track', r.outcome, r.items.length);
async function* reqs() { for (let i = 0; i < 3; i++) yield {events: [{user: {id: {case: 'externalId', value: 'u'+i}}, name: 'e'}]}; }
for await (const res of c.trackStream(reqs(), {timeoutMs: 5000})) console.log('stream', res.outcome);
try { await createClient(BrazeSyncAdmin, transport).listDeadLetters({}); console.log('admin ok'); } catch (e) { console.log('admin err', e.code, e.rawMessage); }
try { await c.track({}, {timeoutMs: 5000}); } catch (e) { console.log('err', e instanceof ConnectError, Code[e.code], e.rawMessage, e.details.length); }
