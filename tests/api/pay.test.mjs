// tests/api/pay.test.mjs - unified payment (issue 12) over HTTP, on the real apply workflow:
// the citizen applies for a passport (XZ-GA-001, 120.00 yuan) and the fee order comes with
// the application; paying in the sandbox checkout makes it paid only through the gateway's
// signed notification (the return URL never does); the sealed fiscal receipt verifies; the
// Lhasa police clerk refunds part; `onewindow pay reconcile` matches every transaction.
// Then the attack list: a forged signature, a replayed notification, amount and currency
// mismatches, an unknown order, a notification after timeout, a refund over what was paid,
// two payments of one order at once, a return URL claiming success, each class of
// reconciliation difference; counter payment; who may see and refund.
//
// One server on its own database (SQLite, or PostgreSQL with ONEWINDOW_TEST_PG_URL).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client as BaseClient, login as loginAs, multipart, DEMO_PASSWORD, DEMO_CITIZEN_ID } from '../lib/client.mjs';
import { demoServer } from '../lib/db.mjs';
import { idNumbers, phones } from '../lib/ids.mjs';

let srv, db;
const LHASA = '540100000000'; // the passport is handled by the Lhasa police

class Client extends BaseClient {
  constructor() { super(srv); }
  async post(path, form, opts = {}) {
    const csrf = await this.pageCsrf();
    return this.request('POST', path, { ...opts, form, headers: { ...opts.headers, 'x-csrf-token': csrf } });
  }
  async pageCsrf() {
    const r = await this.get('/api/v1/messages');
    if (r.status === 200) return r.body.csrf;
    return (await this.get('/login')).body.csrf;
  }
}

async function login(name, staff = false) {
  return loginAs(srv, name, { password: DEMO_PASSWORD, staff, client: new Client() });
}

const idNumber = idNumbers({ seed: (process.pid * 3) % 900 });
const newPhone = phones('136', { seed: (process.pid * 11) % 100000000 });
async function newCitizen() {
  const c = new Client();
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const r = await c.post('/register', { name: '央宗', id_number: idNumber('19930405'), phone: newPhone(), password, password_again: password });
  assert.equal(r.status, 303, r.text);
  return c;
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
async function applyPassport(c) {
  const fields = { f_applicant_name: '扎西多吉', f_applicant_id: DEMO_CITIZEN_ID, f_phone: '13800000001', f_delivery: 'window', _division: LHASA };
  const files = ['id_card', 'photo'].map((k) => ({ name: `m_${k}`, filename: `${k}.pdf`, type: 'application/pdf', data: PDF }));
  const r = await c.request('POST', '/api/v1/services/XZ-GA-001/apply', { mp: multipart(fields, files), headers: { 'x-csrf-token': await c.pageCsrf() } });
  assert.equal(r.status, 201, r.text);
  const order = await c.get(`/api/v1/pay/applications/${r.body.number}`);
  assert.equal(order.status, 200, order.text);
  return { number: r.body.number, code: order.body.code };
}

// Start paying: the checkout address of the sandbox bank; its transaction id.
async function checkout(c, code) {
  const r = await c.post(`/api/v1/pay/orders/${code}/checkout`, {});
  assert.equal(r.status, 201, r.text);
  return /\/pay\/sandbox\/checkout\/(\w+)$/.exec(r.body.url)[1];
}
const order = async (c, code) => (await c.get(`/api/v1/pay/orders/${code}`)).body;
const notify = (body) => fetch(`${srv.url}/pay/notify/sandbox`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } })
  .then(async (r) => ({ status: r.status, text: await r.text() }));
const sign = (params) => {
  const r = db.cli(['pay', 'sandbox', 'sign', params]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
};
const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
const col = (query) => db.sql(query).map((r) => r[0]); // the first column of each row
const one = (query) => col(query)[0];
const auditCount = (action) => Number(one(`SELECT count(*) FROM audit_events WHERE action = '${action}'`));

let citizen, clerk, otherClerk, auditor, main;

before(async () => {
  db = await demoServer('pay');
  srv = db.srv;
  citizen = await login(DEMO_CITIZEN_ID);
  clerk = await login('clerk.ga', true);
  otherClerk = await login('clerk.chengguan', true);
  auditor = await login('auditor.xz', true);
});

after(async () => {
  const r = await db.stop();
  assert.equal(r.code, 0);
});

test('the passport application comes with a fee order of 120.00 yuan, shown on its page with its legal basis', async () => {
  main = await applyPassport(citizen);
  const o = await order(citizen, main.code);
  assert.equal(o.amount_fen, 12000);
  assert.equal(o.amount, '120.00');
  assert.equal(o.state, 'created');
  assert.equal(o.due, 'submission');
  assert.equal(o.can_pay, true);
  assert.match(o.code, /^\d{20}$/);
  const page = await citizen.get(`/applications/${main.number}`, { json: false });
  assert.match(page.text, /120\.00/);
  assert.match(page.text, /发改价格规〔2019〕914号/);
  assert.match(page.text, new RegExp(`/pay/orders/${main.code}/checkout`));
  const bo = await citizen.get(`/applications/${main.number}?lang=bo`, { json: false });
  assert.match(bo.text, /འགྲོ་གྲོན་སྤྲོད་པ།/);
});

test('someone else cannot see or pay the order (404, codes cannot be probed)', async () => {
  const other = await newCitizen();
  assert.equal((await other.get(`/api/v1/pay/orders/${main.code}`)).status, 404);
  assert.equal((await other.post(`/api/v1/pay/orders/${main.code}/checkout`, {})).status, 404);
  assert.equal((await otherClerk.get(`/api/v1/pay/orders/${main.code}`)).status, 404);
});

test('the return URL claims success without a notification: the order stays unpaid', async () => {
  const txn = await checkout(citizen, main.code);
  // The id in the checkout's link is its capability (confirm, cancel without a login): 128
  // random bits, not a counter one could guess from another checkout's.
  assert.match(txn, /^SB[0-9a-f]{32}$/);
  assert.notEqual(await checkout(citizen, main.code), txn);
  const ret = await citizen.get(`/pay/orders/${main.code}/return?status=paid&success=1&lang=zh`, { json: false });
  assert.equal(ret.status, 200);
  assert.match(ret.text, /正在等待银行确认/);
  assert.equal((await order(citizen, main.code)).state, 'paying');
});

test('paying in the sandbox checkout: the signed notification makes it paid, with a sealed receipt that verifies', async () => {
  const txn = await checkout(citizen, main.code);
  const page = await citizen.get(`/pay/sandbox/checkout/${txn}`, { json: false });
  assert.match(page.text, /120\.00/);
  const before = auditCount('pay.paid');
  const r = await citizen.post(`/pay/sandbox/checkout/${txn}/confirm`, {}, { json: false });
  assert.equal(r.status, 303);
  assert.equal(r.location, `/pay/orders/${main.code}/return`);
  const o = await order(citizen, main.code);
  assert.equal(o.state, 'paid');
  assert.equal(o.paid_fen, 12000);
  assert.equal(o.channel, 'online');
  assert.ok(o.receipt, 'a receipt identifier');
  assert.equal(auditCount('pay.paid'), before + 1);
  const v = await citizen.get(`/api/v1/verify?q=${encodeURIComponent(o.receipt)}`);
  assert.equal(v.status, 200, v.text);
  assert.equal(v.body.status, 'valid');
  assert.match(JSON.stringify(v.body.issuer), /财政厅/);
  const pdf = await citizen.get(`/certificates/${o.receipt}/pdf`);
  assert.equal(pdf.status, 200);
  assert.equal(pdf.headers['content-type'], 'application/pdf');
  // The notification was acknowledged once.
  const notices = JSON.parse(db.cli(['pay', 'sandbox', 'notices']).stdout);
  const mine = notices.filter((n) => n.txn === txn);
  assert.equal(mine.length, 1);
  assert.equal(mine[0].status, 'acked');
  main.txn = txn;
  main.notice = mine[0].body;
  const inbox = await citizen.get('/api/v1/messages');
  assert.ok(inbox.body.messages.some((m) => m.kind === 'pay.notice.paid'));
});

test('a replayed notification changes nothing (idempotent)', async () => {
  const r = await notify(main.notice);
  assert.equal(r.status, 200);
  assert.equal(r.text, 'success');
  const o = await order(citizen, main.code);
  assert.equal(o.paid_fen, 12000);
  assert.equal(o.events.filter((e) => e.kind === 'paid').length, 1);
  assert.equal(o.events.filter((e) => e.kind === 'receipt').length, 1);
});

test('a forged signature is refused with 403 and audited', async () => {
  const forged = main.notice.replace(/sign=[0-9a-f]+/, `sign=${'ab'.repeat(70)}`);
  const before = Number(one("SELECT count(*) FROM audit_events WHERE action = 'pay.notice' AND outcome = 'denied'"));
  const r = await notify(forged);
  assert.equal(r.status, 403);
  // A changed amount under the old signature is a forgery too.
  const tampered = main.notice.replace('amount=12000', 'amount=1');
  assert.equal((await notify(tampered)).status, 403);
  assert.equal((await notify('notify_id=x&txn=y')).status, 400);
  const after = Number(one("SELECT count(*) FROM audit_events WHERE action = 'pay.notice' AND outcome = 'denied'"));
  assert.equal(after, before + 3);
});

test('an unknown order, a wrong amount or currency are refused with 4xx; the money is flagged, not lost', async () => {
  const t = Date.now();
  const unknown = sign(`notify_id=U${t}&txn=SBX${t}&order=99999999999999999999&amount=12000&currency=CNY&status=paid&paid_at=${t}`);
  assert.equal((await notify(unknown)).status, 404);
  const second = await applyPassport(citizen);
  // The bank takes a wrong amount and a wrong currency (its own transactions, signed
  // notifications); each notification is refused and the money flagged.
  const txnOf = (out) => /txn=(\w+)/.exec(out)[1];
  const wrongAmount = txnOf(db.cli(['pay', 'sandbox', 'pay', second.code, '100']).stdout);
  const wrongCurrency = txnOf(db.cli(['pay', 'sandbox', 'pay', second.code, '12000', 'USD']).stdout);
  const amount = sign(`notify_id=A${t}&txn=${wrongAmount}&order=${second.code}&amount=100&currency=CNY&status=paid&paid_at=${t}`);
  const r1 = await notify(amount);
  assert.equal(r1.status, 409);
  assert.match(r1.text, /pay\.amount_mismatch/);
  const cur = sign(`notify_id=C${t}&txn=${wrongCurrency}&order=${second.code}&amount=12000&currency=USD&status=paid&paid_at=${t}`);
  const r2 = await notify(cur);
  assert.equal(r2.status, 409);
  assert.match(r2.text, /pay\.currency_mismatch/);
  assert.equal(db.cli(['pay', 'work']).status, 0);
  const flagged = col(`SELECT kind || ':' || status FROM pay_exceptions WHERE txn IN ('${wrongAmount}', '${wrongCurrency}') ORDER BY kind`);
  assert.deepEqual(flagged, ['amount_mismatch:flagged', 'currency_mismatch:flagged']);
  const outbox = col(`SELECT status FROM pay_sandbox_outbox WHERE txn IN ('${wrongAmount}', '${wrongCurrency}')`);
  assert.deepEqual(outbox, ['refused', 'refused']);
  assert.equal((await order(citizen, second.code)).state, 'created');
});

test('two payments of one order at once: one pays it, the other is recorded and refunded', async () => {
  const o2 = await applyPassport(citizen);
  const [a, b] = [await checkout(citizen, o2.code), await checkout(citizen, o2.code)];
  const rs = await Promise.all([a, b].map((txn) => citizen.post(`/pay/sandbox/checkout/${txn}/confirm`, {}, { json: false })));
  assert.deepEqual(rs.map((r) => r.status), [303, 303]);
  // Deliveries that lost the race to the lease are made by the background job: poll.
  let o;
  for (let i = 0; i < 100; i++) {
    o = await order(citizen, o2.code);
    if (o.events.some((e) => e.kind === 'double_payment')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(o.state, 'paid');
  assert.equal(o.paid_fen, 12000);
  assert.equal(o.events.filter((e) => e.kind === 'paid').length, 1);
  assert.equal(o.events.filter((e) => e.kind === 'double_payment').length, 1);
  const exc = one(`SELECT status FROM pay_exceptions WHERE kind = 'double_payment' AND txn IN ('${a}', '${b}')`);
  assert.equal(exc, 'refunded');
  const refunded = one(`SELECT sum(refunded_fen) FROM pay_sandbox_txns WHERE txn IN ('${a}', '${b}')`);
  assert.equal(refunded, '12000');
});

test('a payment after the order closed on timeout is recorded and refunded', async () => {
  const o3 = await applyPassport(citizen);
  const txn = await checkout(citizen, o3.code);
  db.sql(`UPDATE pay_orders SET expires_at = 1 WHERE code = '${o3.code}'`);
  assert.equal(db.cli(['pay', 'work']).status, 0);
  assert.equal((await order(citizen, o3.code)).state, 'closed');
  assert.equal((await citizen.post(`/api/v1/pay/orders/${o3.code}/checkout`, {})).status, 409);
  const r = await citizen.post(`/pay/sandbox/checkout/${txn}/confirm`, {}, { json: false });
  assert.equal(r.status, 303);
  let o;
  for (let i = 0; i < 100; i++) {
    o = await order(citizen, o3.code);
    if (o.events.some((e) => e.kind === 'late_payment')) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.equal(o.state, 'closed');
  assert.equal(o.paid_fen, 0);
  assert.equal(one(`SELECT status FROM pay_exceptions WHERE txn = '${txn}'`), 'refunded');
});

test('refunds: only the collecting department, never more than was paid, with a reason; audited and notified', async () => {
  assert.equal((await otherClerk.post(`/api/v1/pay/orders/${main.code}/refund`, { amount: '10', reason: '多收' })).status, 404);
  assert.equal((await citizen.post(`/api/v1/pay/orders/${main.code}/refund`, { amount: '10', reason: '多收' })).status, 403);
  const noReason = await clerk.post(`/api/v1/pay/orders/${main.code}/refund`, { amount: '10' });
  assert.equal(noReason.status, 400);
  assert.equal((await clerk.post(`/api/v1/pay/orders/${main.code}/refund`, { amount: '1.234', reason: 'x' })).status, 400);
  const over = await clerk.post(`/api/v1/pay/orders/${main.code}/refund`, { amount: '120.01', reason: '多收' });
  assert.equal(over.status, 409);
  assert.match(over.text, /pay\.over_refund/);
  const part = await clerk.post(`/api/v1/pay/orders/${main.code}/refund`, { amount: '20.50', reason: '邮寄费不收' });
  assert.equal(part.status, 200, part.text);
  const o = await order(citizen, main.code);
  assert.equal(o.state, 'partly_refunded');
  assert.equal(o.refunded_fen, 2050);
  assert.equal(o.refundable_fen, 9950);
  assert.equal((await clerk.post(`/api/v1/pay/orders/${main.code}/refund`, { amount_fen: '9951', reason: 'x' })).status, 409);
  assert.equal(one(`SELECT refunded_fen FROM pay_sandbox_txns WHERE txn = '${main.txn}'`), '2050');
  assert.ok(auditCount('pay.refund') >= 1);
  const inbox = await citizen.get('/api/v1/messages');
  assert.ok(inbox.body.messages.some((m) => m.kind === 'pay.notice.refunded'));
});

test("the department's workbench shows each application's payment state", async () => {
  const wb = await clerk.get('/api/v1/workbench');
  assert.equal(wb.status, 200, wb.text);
  const row = wb.body.applications.find((a) => a.number === main.number);
  assert.ok(row, 'the passport application is in the Lhasa police queue');
  assert.equal(row.payment_state, 'partly_refunded');
  assert.equal(row.payment_label, '部分退款');
});

test('counter payment by the clerk: the same order and receipt', async () => {
  const o4 = await applyPassport(citizen);
  assert.equal((await otherClerk.post(`/api/v1/pay/orders/${o4.code}/counter`, { method: 'pos', ref: 'T1' })).status, 404);
  assert.equal((await clerk.post(`/api/v1/pay/orders/${o4.code}/counter`, { method: 'pos', ref: '' })).status, 400);
  const r = await clerk.post(`/api/v1/pay/orders/${o4.code}/counter`, { method: 'pos', ref: 'POS-20261207-0001' });
  assert.equal(r.status, 200, r.text);
  const o = await order(citizen, o4.code);
  assert.equal(o.state, 'paid');
  assert.equal(o.channel, 'counter');
  assert.ok(o.receipt);
  assert.equal((await clerk.post(`/api/v1/pay/orders/${o4.code}/counter`, { method: 'cash', ref: 'again' })).status, 409);
  // The operators' commands: a refund as the system, and the orders by state.
  assert.equal(db.cli(['pay', 'refund', o4.code, '0', 'x']).status, 1);
  const cli = db.cli(['pay', 'refund', o4.code, '1000', '窗口多收']);
  assert.equal(cli.status, 0, cli.stderr);
  assert.equal((await order(citizen, o4.code)).refunded_fen, 1000);
  const listed = db.cli(['pay', 'orders', 'partly_refunded']).stdout;
  assert.match(listed, new RegExp(`^${o4.code} +partly_refunded +120\\.00 ${o4.number}$`, 'm'));
});

test('reconcile the day: every transaction matched; the finance page and its CSV', async () => {
  const r = db.cli(['pay', 'reconcile', today()]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.ours_only + out.theirs_only + out.mismatched, 0, r.stdout);
  assert.ok(out.matched >= 4, r.stdout);
  assert.equal((await citizen.get('/api/v1/finance/payments')).status, 403);
  const page = await auditor.get('/api/v1/finance/payments');
  assert.equal(page.status, 200, page.text);
  assert.equal(page.body.runs[0].day, today());
  const csv = await auditor.get('/finance/payments.csv');
  assert.equal(csv.status, 200);
  assert.match(csv.text, new RegExp(`^day,gateway,matched,ours_only,theirs_only,mismatched\\n${today()},sandbox,${out.matched},0,0,0`));
});

test('reconciliation reports each class of difference', async () => {
  // Theirs only: a sandbox payment whose order we do not know of.
  const o5 = await applyPassport(citizen);
  db.sql(`INSERT INTO pay_sandbox_txns (txn, order_code, amount_fen, currency, state, created_at, paid_at, day) VALUES ('SBTHEIRS', '00000000000000000001', 500, 'CNY', 'paid', 1, ${Date.now()}, '${today()}')`);
  // Ours only: an order we think was paid online through a transaction the bank does not list.
  db.sql(`UPDATE pay_orders SET state = 'paid', channel = 'online', gateway = 'sandbox', gateway_txn = 'SBOURS', paid_fen = 12000, paid_at = ${Date.now()} WHERE code = '${o5.code}'`);
  // Amount mismatch: the bank lists the main payment with another amount.
  db.sql(`UPDATE pay_sandbox_txns SET amount_fen = 11000 WHERE txn = '${main.txn}'`);
  // Left paying with the bank's payment unnotified: the reconciliation queries and takes it.
  const o6 = await applyPassport(citizen);
  await checkout(citizen, o6.code);
  const paid = db.cli(['pay', 'sandbox', 'pay-lost', o6.code]);
  assert.equal(paid.status, 0, paid.stderr);
  assert.equal((await order(citizen, o6.code)).state, 'paying');
  const r = db.cli(['pay', 'reconcile', today()]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.theirs_only, 1);
  assert.equal(out.ours_only, 1);
  assert.equal(out.mismatched, 1);
  const kinds = out.differences.map((d) => `${d.kind}:${d.txn}`).sort();
  assert.deepEqual(kinds, ['amount_mismatch:' + main.txn, 'ours_only:SBOURS', 'theirs_only:SBTHEIRS'].sort());
  assert.equal((await order(citizen, o6.code)).state, 'paid');
  db.sql(`UPDATE pay_sandbox_txns SET amount_fen = 12000 WHERE txn = '${main.txn}'`);
});
