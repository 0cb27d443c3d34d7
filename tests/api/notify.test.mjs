// tests/api/notify.test.mjs - notifications over HTTP (issue 4 part 5): the inbox at /messages
// and /api/v1/messages, newest first, rendered in the reader's language when shown; the
// unread count in the layout; mark read / mark all read; only the recipient sees or marks a
// message (others get 404); CSRF on the forms; the delivery job started by serve hands SMS to
// the sandbox carrier, which records the text with the number masked, while the number is
// stored only encrypted.
//
// One server for the file on a database of its own (a fresh SQLite file, or a fresh
// PostgreSQL database), `init` and `demo` first; messages are sent with `onewindow notify
// send` (system notices) since no module on this branch sends any yet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { run, backend, catalog } from '../lib/server.mjs';
import { Client as BaseClient, FAST, DEMO_PASSWORD, DEMO_CITIZEN_ID } from '../lib/client.mjs';
import { demoServer } from '../lib/db.mjs';
import { idNumbers, phones } from '../lib/ids.mjs';

const T = { zh: catalog('zh'), en: catalog('en'), bo: catalog('bo') };

let srv, tmp, dbUrl, db;
const sql = (query) => db.sql(query);

const cli = (...args) => run(['notify', ...args, '--data', tmp, '--db', dbUrl, ...FAST]);

// A client of this file's server; forms carry the token of the inbox by default.
class Client extends BaseClient {
  constructor() { super(srv, { page: '/api/v1/messages' }); }
}

async function login(c, loginName, password) {
  const r = await c.submit('/login', { login: loginName, password }, { page: '/login' });
  assert.equal(r.status, 303, r.text);
  const me = await c.get('/api/v1/account');
  assert.equal(me.status, 200, me.text);
  return me.body.account.id;
}

const newIdNumber = idNumbers({ birth: '19930405' });
const newPhone = phones('136');
async function newCitizen(name) {
  const c = new Client();
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const r = await c.submit('/register', { name, id_number: newIdNumber(), phone: newPhone(), password, password_again: password }, { page: '/register' });
  assert.equal(r.status, 303, r.text);
  const me = await c.get('/api/v1/account');
  return { client: c, accountId: me.body.account.id };
}

function send(account, kind, params, phone) {
  const args = ['send', String(account), kind];
  if (params !== undefined) args.push(JSON.stringify(params));
  if (phone !== undefined) args.push(phone);
  const r = cli(...args);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

let citizen, citizenId;

before(async () => {
  db = await demoServer('notify');
  ({ srv, data: tmp, db: dbUrl } = db);
  citizen = new Client();
  citizenId = await login(citizen, DEMO_CITIZEN_ID, DEMO_PASSWORD);
});

after(async () => {
  if (srv) {
    const r = await db.stop();
    assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
  }
});

const render = (tpl, params) => tpl.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k) => String(params[k] ?? ''));

test('the inbox needs a login', async () => {
  const anon = new Client();
  const j = await anon.get('/api/v1/messages');
  assert.equal(j.status, 401);
  assert.equal(j.body.code, 'identity.login_required');
  const h = await anon.get('/messages', { json: false });
  assert.equal(h.status, 303);
  assert.equal(h.location, '/login?next=%2Fmessages');
});

test('messages are rendered in the reader\'s language, newest first, unread counted', async () => {
  const params = { name: '扎西多吉', number: '20261126540102000001' };
  const first = send(citizenId, 'notify.test.hello', params);
  const second = send(citizenId, 'notify.test.hello', { ...params, number: 'N-2' });
  const r = await citizen.get('/api/v1/messages');
  assert.equal(r.status, 200, r.text);
  const ids = r.body.messages.map((m) => m.id);
  assert.ok(ids.indexOf(second) < ids.indexOf(first) && ids.indexOf(second) >= 0, JSON.stringify(ids));
  const m1 = r.body.messages.find((m) => m.id === first);
  assert.equal(m1.text, render(T.zh.notify.test.hello, params));
  assert.equal(m1.unread, true);
  assert.ok(r.body.unread >= 2);
  const en = await citizen.get('/api/v1/messages?lang=en');
  assert.equal(en.body.messages.find((m) => m.id === first).text, render(T.en.notify.test.hello, params));
  const bo = await citizen.get('/api/v1/messages?lang=bo');
  assert.equal(bo.body.messages.find((m) => m.id === first).text, render(T.bo.notify.test.hello, params));
  await citizen.get('/api/v1/messages?lang=zh');
  // the layout shows the unread count on every page
  const page = await citizen.get('/', { json: false });
  assert.match(page.text, new RegExp(`href="/messages">${T.zh.nav.messages} <span class="unread-count">\\(${T.zh.notify.unread} ${r.body.unread}\\)</span>`));
  const inbox = await citizen.get('/messages', { json: false });
  assert.equal(inbox.status, 200);
  assert.ok(inbox.text.includes('20261126540102000001'));
});

test('only the recipient sees and marks a message', async () => {
  const id = send(citizenId, 'notify.test.hello', { name: 'x', number: 'secret-1' });
  const other = await newCitizen('次仁');
  const list = await other.client.get('/api/v1/messages');
  assert.equal(list.status, 200);
  assert.ok(!list.text.includes('secret-1'));
  const mark = await other.client.submit(`/api/v1/messages/${id}/read`, {});
  assert.equal(mark.status, 404);
  assert.equal(mark.body.code, 'notify.not_found');
  const none = await other.client.submit('/api/v1/messages/1/read', {});
  assert.equal(none.status, 404);
  // without the CSRF token nothing happens
  const noCsrf = await citizen.post(`/api/v1/messages/${id}/read`, {});
  assert.equal(noCsrf.status, 403);
  const still = await citizen.get('/api/v1/messages');
  assert.equal(still.body.messages.find((m) => m.id === id).unread, true);
  const ok = await citizen.submit(`/api/v1/messages/${id}/read`, {});
  assert.equal(ok.status, 200, ok.text);
  const after1 = await citizen.get('/api/v1/messages');
  assert.equal(after1.body.messages.find((m) => m.id === id).unread, false);
  assert.equal(after1.body.unread, still.body.unread - 1);
  // the HTML form redirects back to the inbox
  const id2 = send(citizenId, 'notify.test.hello', {});
  const form = await citizen.post(`/messages/${id2}/read`, { _csrf: await citizen.csrf('/api/v1/messages') }, { json: false });
  assert.equal(form.status, 303);
  assert.equal(form.location, '/messages');
});

test('mark all read', async () => {
  send(citizenId, 'notify.test.hello', {});
  const all = await citizen.submit('/api/v1/messages/read-all', {});
  assert.equal(all.status, 200, all.text);
  assert.ok(all.body.marked >= 1);
  const r = await citizen.get('/api/v1/messages');
  assert.equal(r.body.unread, 0);
  assert.ok(r.body.messages.every((m) => !m.unread));
  const page = await citizen.get('/', { json: false });
  assert.ok(!page.text.includes('unread-count'));
});

test('bad notices are refused by the CLI with a usage error', () => {
  assert.equal(cli('send', String(citizenId), 'Not A Key').status, 2);
  assert.equal(cli('send', String(citizenId), 'notify.test.hello', '[1]').status, 2);
  assert.equal(cli('send', '0', 'notify.test.hello', '{}', '12345').status, 2);
  assert.equal(cli('send', '0', 'notify.test.hello').status, 2); // no recipient
  assert.equal(cli('frobnicate').status, 2);
});

test('SMS: the delivery job hands it to the sandbox carrier, number masked; stored encrypted', async () => {
  const phone = '13912345678';
  const id = send(0, 'notify.test.hello', { name: 'Dolma', number: 'SMS-1' }, phone);
  let rows = [];
  for (let i = 0; i < 100 && rows.length === 0; i++) {
    await new Promise((res) => setTimeout(res, 100));
    rows = cli('sandbox', '50').stdout.split('\n').filter((l) => l.includes('SMS-1'));
  }
  assert.equal(rows.length, 1, 'the job delivered it once');
  const [, masked, lang, body] = rows[0].split('\t');
  assert.equal(masked, '139****5678');
  assert.equal(lang, 'zh');
  assert.equal(body, render(T.zh.notify.test.hello, { name: 'Dolma', number: 'SMS-1' }));
  const outbox = sql(`SELECT status, attempts FROM notify_outbox WHERE message_id = ${id}`);
  assert.deepEqual(outbox, [['sent', '1']]);
  const enc = sql(backend() === 'postgresql'
    ? `SELECT encode(phone_enc, 'hex') FROM notify_messages WHERE id = ${id}`
    : `SELECT hex(phone_enc) FROM notify_messages WHERE id = ${id}`)[0][0];
  assert.equal(enc.length, 2 * (11 + 49));
  assert.ok(!Buffer.from(enc, 'hex').includes(Buffer.from(phone)));
  const all = sql('SELECT COUNT(*) FROM notify_sandbox_sms')[0][0];
  assert.ok(!srv.log().includes(phone), 'the number is never logged');
  assert.ok(Number(all) >= 1);
});
