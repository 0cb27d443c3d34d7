// tests/api/search_queue.test.mjs - the search index is derived state (issue 19): an order
// taken over Open311 is committed with one row in search_pending and no search document;
// the indexing job indexes it after commit (a search finds it within moments: polled); an
// order written while the job waits, then the server killed with SIGKILL, is indexed by
// the next server at start. The order's later changes (dispatch) reach the index the same
// way. SQLite, and PostgreSQL when ONEWINDOW_TEST_PG_URL is set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { demoServer, Client, apiKey, staff } from '../lib/hotline.mjs';
import { FAST } from '../lib/client.mjs';
import { poll } from '../lib/poll.mjs';

let db, key, extra = [];
before(async () => {
  db = await demoServer('search-queue');
  key = apiKey(db, 'search-queue');
});
after(async () => {
  for (const s of extra) await s.stop({ keepData: true });
  const r = await db.stop();
  assert.deepEqual(r, { code: 0, signal: null });
});

const form = (description) => ({
  api_key: key, service_code: 'water', lat: '29.6525', long: '91.1320', address_string: '八廓街 12 号',
  'attribute[division]': '540102002000', description, phone: '13900001234',
});
async function intake(srv, description) {
  const r = await new Client(srv).request('POST', '/open311/v2/requests.json', { form: form(description), json: false });
  assert.equal(r.status, 201, r.text);
  return r.body[0].service_request_id;
}
const idOf = (number) => db.sql(`SELECT id FROM hotline_orders WHERE number = '${number}'`)[0][0];
const doc = (number) => db.sql(`SELECT title, body FROM search_docs WHERE kind = 'order' AND ref_id = ${idOf(number)}`);
const pending = (number) => Number(db.sql(`SELECT count(*) FROM search_pending WHERE kind = 'order' AND doc_id = ${idOf(number)}`)[0][0]);
// A staff search through the search module (the command line runs search_run).
const staffHits = (text) => JSON.parse(db.cli(['search', 'query', text, 'order', 'staff']).stdout).hits;

test('an order is indexed after commit and a search finds it within moments', async () => {
  const word = `停水${process.pid}号楼`;
  const number = await intake(db.srv, `${word}已经两天没有水了，请尽快处理。`);
  const found = await poll(() => doc(number).length === 1 && pending(number) === 0);
  assert.ok(found, `indexed by the job: ${JSON.stringify(doc(number))}, ${pending(number)} queued`);
  assert.match(doc(number)[0][0], new RegExp(`^${number} `), 'titled by the number and the category');
  assert.ok(staffHits(word).some((h) => h.title.startsWith(number)), 'a staff search finds it');
  // A change of the order (dispatch with a category) is queued and indexed the same way.
  const agent = await staff(db.srv, 'hotline.xz');
  const dept = db.sql(`SELECT id FROM departments WHERE code = 'ls-zj'`)[0][0];
  const d = await agent.submit(`/hotline/orders/${number}/dispatch`, { category: 'noise', department: dept }, { page: '/hotline' });
  assert.equal(d.status, 303, d.text);
  const renamed = await poll(() => /噪/.test(doc(number)[0]?.[0] ?? ''));
  assert.ok(renamed, `the dispatched category's name reached the index: ${doc(number)[0][0]}`);
});

test('an order committed while the job waits survives kill -9 and is indexed at the next start', async () => {
  await db.srv.stop({ keepData: true });
  // A server whose job waits ten minutes after each write: the order stays queued.
  const held = await startServer({ init: false, data: db.data, db: db.db, args: FAST, env: { ONEWINDOW_SEARCH_DELAY: '600000' } });
  extra.push(held);
  const number = await intake(held, `杀进程${process.pid}测试：自来水管破裂，水流到路面上。`);
  assert.equal(pending(number), 1, 'queued in the transaction of the intake');
  assert.deepEqual(doc(number), [], 'not indexed inside the transaction');
  const r = await held.kill();
  assert.equal(r.signal, 'SIGKILL');
  const next = await startServer({ init: false, data: db.data, db: db.db, args: FAST });
  extra.push(next);
  const indexed = await poll(() => doc(number).length === 1 && pending(number) === 0);
  assert.ok(indexed, `indexed at start: ${JSON.stringify(doc(number))}, ${pending(number)} queued`);
  assert.ok(staffHits(`杀进程${process.pid}测试`).some((h) => h.title.startsWith(number)));
});
