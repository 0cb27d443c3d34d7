// tests/api/messaging_crash.test.mjs - nothing is sent twice after a crash (issue 16 part 3):
// a server delivering a batch of e-mails to a real SMTP server (python3-aiosmtpd) is killed
// with SIGKILL in the middle; a new server on the same database finishes the queue. Every
// Message-ID arrives at most once, every row ends sent or dead-lettered (notify.interrupted,
// at most the batch in flight), none is lost; the operator sees the dead letter on
// /admin/outbox (no addresses) and resends it, once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { login, DEMO_CITIZEN_ID, FAST } from '../lib/client.mjs';
import { demoServer } from '../lib/db.mjs';
import { startSmtp } from '../lib/smtp.mjs';

const EMAIL = `crash.${process.pid}@example.org`;
const N = 300;
let smtp, db, srv2;
const sql = (q) => db.sql(q);
const args = () => [...FAST, '--smtp-url', smtp.url, '--mail-from', 'noreply@gov.example'];
const poll = async (fn, ms = 30000) => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
};

before(async () => {
  smtp = await startSmtp();
  db = await demoServer('messaging-crash', { args: args() });
});

after(async () => {
  if (srv2) await srv2.stop({ keepData: true });
  if (db) await db.stop();
  smtp?.stop();
});

test('kill -9 in the middle of a batch: each e-mail arrives at most once, and none is lost', async () => {
  const citizen = await login(db.srv, DEMO_CITIZEN_ID, { page: '/api/v1/messages/settings' });
  const me = await citizen.get('/api/v1/account');
  const account = me.body.account.id;
  assert.equal((await citizen.submit('/api/v1/messages/settings/contact', { channel: 'email', address: EMAIL })).status, 200);
  const codeMail = await smtp.waitFor((all) => all.find((m) => m.to.includes(EMAIL)));
  const code = /(\d{6})/.exec(codeMail.text)[1];
  assert.equal((await citizen.submit('/api/v1/messages/settings/verify', { channel: 'email', code })).status, 200);

  const fill = db.cli(['notify', 'send-many', String(N), String(account), 'notify.test.hello', '{"name":"Dawa","number":"C-1"}', ...FAST]);
  assert.equal(fill.status, 0, fill.stderr);
  const bulk = (all) => all.filter((m) => m.text.includes('C-1'));
  assert.ok(await smtp.waitFor((all) => bulk(all).length >= 20), 'delivery started');
  const r = await db.srv.kill();
  assert.equal(r.signal, 'SIGKILL');
  const atKill = bulk(smtp.mail()).length;
  assert.ok(atKill < N, `killed in the middle (${atKill} of ${N} had arrived)`);

  const t0 = Date.now();
  srv2 = await startServer({ init: false, data: db.data, db: db.db, args: args() });
  const settled = await poll(() => sql(`SELECT count(*) FROM notify_outbox WHERE status IN ('pending', 'sending')`)[0][0] === '0');
  assert.ok(settled, `the new server finished the queue: ${JSON.stringify(sql(`SELECT status, count(*), min(next_attempt_at), max(last_error) FROM notify_outbox GROUP BY status`))} now ${Date.now()}\n${srv2.log().slice(-2000)}`);
  console.log(`# restart to empty queue: ${Date.now() - t0} ms; ${atKill} had arrived at the kill`);
  const rows = sql(`SELECT o.id, o.status, COALESCE(o.last_error, '') FROM notify_outbox o JOIN notify_messages m ON m.id = o.message_id
    WHERE m.kind = 'notify.test.hello' AND o.channel = 'email'`);
  assert.equal(rows.length, N, 'no row lost');
  const interrupted = rows.filter((x) => x[1] === 'failed');
  assert.ok(interrupted.length <= 50, `at most the batch in flight (50) is dead-lettered: ${interrupted.length}`);
  for (const x of interrupted) assert.equal(x[2], 'notify.interrupted');
  assert.equal(rows.filter((x) => x[1] === 'sent').length, N - interrupted.length);

  // Let stragglers land, then: no Message-ID twice; every sent row arrived.
  await new Promise((res) => setTimeout(res, 300));
  const ids = bulk(smtp.mail()).map((m) => m.messageId);
  assert.equal(new Set(ids).size, ids.length, 'nothing was sent twice');
  const sentIds = new Set(rows.filter((x) => x[1] === 'sent').map((x) => `<${x[0]}.notify@gov.example>`));
  for (const id of sentIds) assert.ok(ids.includes(id), `sent row ${id} arrived`);
  assert.ok(ids.length - sentIds.size <= interrupted.length);

  // The operator sees the states (never an address) and resends a dead letter once.
  const admin = await login(srv2, 'catalog.xz', { staff: true, page: '/api/v1/admin/outbox' });
  const page = await admin.get('/api/v1/admin/outbox?status=sent');
  assert.equal(page.status, 200, page.text);
  assert.ok(page.body.rows.length > 0 && page.body.rows.every((x) => x.status === 'sent'));
  assert.ok(!page.text.includes(EMAIL));
  const other = await login(srv2, DEMO_CITIZEN_ID, { page: '/api/v1/messages' });
  assert.equal((await other.get('/api/v1/admin/outbox')).status, 403);
  const sentRow = rows.find((x) => x[1] === 'sent')[0];
  const notFailed = await admin.submit(`/api/v1/admin/outbox/${sentRow}/resend`, {});
  assert.equal(notFailed.status, 409);
  if (interrupted.length > 0) {
    const id = interrupted[0][0];
    const before = bulk(smtp.mail()).filter((m) => m.messageId === `<${id}.notify@gov.example>`).length;
    const rs = await admin.submit(`/api/v1/admin/outbox/${id}/resend`, {});
    assert.equal(rs.status, 200, rs.text);
    assert.ok(await poll(() => sql(`SELECT status FROM notify_outbox WHERE id = ${id}`)[0][0] === 'sent'));
    assert.ok(await smtp.waitFor((all) => all.filter((m) => m.messageId === `<${id}.notify@gov.example>`).length === before + 1));
    assert.deepEqual(sql(`SELECT count(*) FROM audit_events WHERE action = 'notify.resend' AND object = 'notify_outbox:${id}'`), [['1']]);
  }
});
