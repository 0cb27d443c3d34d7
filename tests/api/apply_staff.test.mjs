// tests/api/apply_staff.test.mjs - what staff and walk-in people meet (issue 10 items 8 and
// 12): every workbench action comes back with its own confirmation (?done=<what happened>,
// the layout's done.* sentence); clerks see an applicant's full ID number only on purpose,
// through an audited POST that staff of another department cannot make; the walk-in person
// filed for at the counter (帮办代办) leaves a mobile number and a language and gets the
// receipt and every change by SMS in that language (the sandbox carrier records it).
//
// One server for the file (SQLite, or PostgreSQL when ONEWINDOW_TEST_PG_URL is set), after
// `init` and `demo`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalog, ROOT } from '../lib/server.mjs';
import { Client, login as loginAs, DEMO_CITIZEN_ID } from '../lib/client.mjs';
import { demoServer } from '../lib/db.mjs';
import { idNumbers, phones, maskPhone } from '../lib/ids.mjs';

const ITEM = 'XZ-MZ-001';
const ZH = catalog('zh');
const BO_NAME = JSON.parse(readFileSync(join(ROOT, 'data', 'catalog', 'demo.json'), 'utf8')).items.find((i) => i.code === 'XZ-MZ-001').name.bo; // from the demo catalog
const newIdNumber = idNumbers({ birth: '19930303', seed: (process.pid + 600) % 900 });
const newPhone = phones('139', { seed: (process.pid * 13) % 100000000 });
const PDF = () => Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(100)]);

let db, srv;
const sql = (q) => db.sql(q);
before(async () => {
  db = await demoServer('apply-staff');
  srv = db.srv;
});
after(async () => {
  if (srv) {
    const r = await db.stop();
    assert.deepEqual(r, { code: 0, signal: null }, srv.log());
  }
});

const client = () => new Client(srv, { uploadPage: `/api/v1/services/${ITEM}/apply` });
const login = (who, opts = {}) => loginAs(srv, who, { client: client(), ...opts });
const files = () => ['id_card', 'household_register', 'photo'].map((k) => ({ name: `m_${k}`, filename: `${k}.pdf`, type: 'application/pdf', data: PDF() }));
function fields(extra = {}) {
  const d = new Date(Date.now() + 10 * 86400000).toISOString().slice(0, 10);
  return {
    _division: '540102000000', f_male_name: '扎西多吉', f_male_id: DEMO_CITIZEN_ID, f_female_name: '卓玛',
    f_female_id: newIdNumber(), f_appointment_date: d, f_phone: '13800000001', f_declaration: 'on', ...extra,
  };
}
// Does a stored blob contain these bytes? (SQLite and PostgreSQL spell it differently.)
const blobHas = (table, column, where, bytes) => db.db.startsWith('sqlite:')
  ? sql(`SELECT count(*) FROM ${table} WHERE ${where} AND instr(${column}, X'${bytes.toString('hex')}') > 0`)[0][0] !== '0'
  : sql(`SELECT count(*) FROM ${table} WHERE ${where} AND position('\\x${bytes.toString('hex')}'::bytea in ${column}) > 0`)[0][0] !== '0';
const accountOf = async (c) => (await c.get('/api/v1/account')).body.account.id;

// What the sandbox carrier sent to a masked number, oldest first, waiting for `n` messages
// (the server's delivery job runs every second).
async function smsTo(masked, n) {
  for (let i = 0; i < 60; i++) {
    const r = db.cli(['notify', 'sandbox', '200']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'))
      .filter((f) => f[1] === masked).map(([id, , lang, text]) => ({ id: Number(id), lang, text }))
      .sort((a, b) => a.id - b.id);
    if (lines.length >= n) return lines;
    await new Promise((res) => setTimeout(res, 500));
  }
  assert.fail(`fewer than ${n} SMS to ${masked}`);
}

let clerk, reviewer, citizen;

test('every workbench action confirms what happened (?done=…), in the page', async () => {
  citizen = await login(DEMO_CITIZEN_ID);
  clerk = await login('clerk.chengguan', { staff: true });
  reviewer = await login('reviewer.chengguan', { staff: true });
  const a = await citizen.upload(`/api/v1/services/${ITEM}/apply`, { ...fields(), _action: 'submit' }, files());
  assert.equal(a.status, 201, a.text);
  const n = a.body.number;
  const page = `/api/v1/applications/${n}`;
  const step = async (who, form, done) => {
    const r = await who.submit(`/applications/${n}/act`, form, page, { json: false });
    assert.equal(r.status, 303, r.text);
    assert.equal(r.location, `/applications/${n}?done=${done}`);
    const shown = await who.get(r.location, { json: false });
    assert.ok(shown.text.includes(`<p class="flash" role="status">${ZH.done[done]}</p>`), `${done} is said`);
  };
  await step(clerk, { action: 'return', problem: 'material:photo', note: '照片模糊' }, 'application_returned');
  const done = await citizen.upload(`/applications/${n}/complete`, fields(), [files()[2]], { page, json: false });
  assert.equal(done.status, 303);
  assert.equal(done.location, `/applications/${n}?done=completion_submitted`);
  await step(clerk, { action: 'accept' }, 'application_accepted');
  await step(reviewer, { action: 'review' }, 'review_started');
  await step(reviewer, { action: 'approve' }, 'application_approved');
  await step(clerk, { action: 'deliver' }, 'result_delivered');
  await step(clerk, { action: 'close' }, 'application_closed');
  // The destructive ones, once confirmed.
  const b = await citizen.upload(`/api/v1/services/${ITEM}/apply`, { ...fields(), _action: 'submit' }, files());
  const r = await clerk.submit(`/applications/${b.body.number}/act`, { action: 'reject', note: '须本人到场', confirm: '1' }, page, { json: false });
  assert.equal(r.location, `/applications/${b.body.number}?done=application_rejected`);
  // The buttons that cannot be undone look different.
  const c = await citizen.upload(`/api/v1/services/${ITEM}/apply`, { ...fields(), _action: 'submit' }, files());
  const clerkPage = await clerk.get(`/applications/${c.body.number}`, { json: false });
  assert.match(clerkPage.text, /<button type="submit" class="danger">不予受理<\/button>/);
  assert.match(clerkPage.text, /<button type="submit">受理<\/button>/);
  const mine = await citizen.get(`/applications/${c.body.number}`, { json: false });
  assert.match(mine.text, /<button type="submit" class="danger">撤回申请<\/button>/);
  await clerk.submit(`/applications/${c.body.number}/act`, { action: 'accept' }, page);
  await reviewer.submit(`/applications/${c.body.number}/act`, { action: 'review' }, page);
  const rev = await reviewer.get(`/applications/${c.body.number}`, { json: false });
  assert.match(rev.text, /<button type="submit" class="danger">不予许可<\/button>/);
  const ask = await reviewer.submit(`/applications/${c.body.number}/act`, { action: 'deny', note: '不符合条件' }, page, { json: false });
  assert.match(ask.text, /确定作出不予许可决定吗？/);
  assert.equal((await reviewer.get(`/api/v1/applications/${c.body.number}`)).body.state, 'under_review', 'not denied before confirming');
  const denied = await reviewer.submit(`/applications/${c.body.number}/act`, { action: 'deny', note: '不符合条件', confirm: '1' }, page, { json: false });
  assert.equal(denied.location, `/applications/${c.body.number}?done=application_denied`);
});

test('the full ID number, on purpose: audited, shown in that response only, refused to another department', async () => {
  const wife = newIdNumber();
  const a = await citizen.upload(`/api/v1/services/${ITEM}/apply`, { ...fields({ f_female_id: wife }), _action: 'submit' }, files());
  const n = a.body.number;
  const page = `/api/v1/applications/${n}`;
  const masked = `${DEMO_CITIZEN_ID.slice(0, 4)}${'*'.repeat(10)}${DEMO_CITIZEN_ID.slice(14)}`;
  const view = await clerk.get(page);
  assert.equal(view.body.applicant_id, masked);
  assert.equal(view.body.can_reveal, true);
  const html = await clerk.get(`/applications/${n}`, { json: false });
  assert.ok(html.text.includes(masked));
  assert.ok(!html.text.includes(DEMO_CITIZEN_ID) && !html.text.includes(wife), 'masked everywhere');
  assert.match(html.text, /<details class="reveal"><summary>[^<]+<\/summary>\n<form method="post" action="\/applications\/\d+\/reveal" class="form">/);
  const clerkId = await accountOf(clerk);
  const audits = () => sql(`SELECT actor_id, detail FROM audit_events WHERE action = 'apply.reveal_id' AND object = 'application:${n}' ORDER BY at`);
  // No purpose: refused, nothing recorded.
  const none = await clerk.submit(`/applications/${n}/reveal`, {}, page);
  assert.equal(none.status, 422);
  assert.equal(none.body.code, 'apply.purpose_required');
  assert.deepEqual(audits(), []);
  // With a purpose: the numbers in full, in this response, and a record of who and why.
  const shown = await clerk.submit(`/applications/${n}/reveal`, { purpose: 'verify_identity' }, page, { json: false });
  assert.equal(shown.status, 200, shown.text);
  assert.ok(shown.text.includes(`<dd class="id-number">${DEMO_CITIZEN_ID}</dd>`));
  assert.ok(shown.text.includes(`<dd class="id-number">${wife}</dd>`));
  assert.match(shown.text, /本次查看已记入审计日志/);
  assert.equal(shown.headers['cache-control'], 'no-store');
  assert.deepEqual(audits(), [[clerkId, 'purpose=verify_identity']]);
  // Masked again on the next page.
  assert.ok(!(await clerk.get(`/applications/${n}`, { json: false })).text.includes(DEMO_CITIZEN_ID));
  // Another department's clerk, and the applicant: as if there were no such case.
  const lhasa = await login('clerk.lhasa', { staff: true });
  const no = await lhasa.submit(`/applications/${n}/reveal`, { purpose: 'verify_identity' }, '/api/v1/workbench');
  assert.equal(no.status, 404);
  assert.equal((await lhasa.get(page)).status, 404);
  const own = await citizen.submit(`/applications/${n}/reveal`, { purpose: 'verify_identity' }, page);
  assert.equal(own.status, 404);
  assert.equal(audits().length, 1, 'refusals reveal nothing and record no look');
  assert.equal((await citizen.get(page)).body.can_reveal, false);
  // The applicant sees the look on "who used my data" (issue 13 item 5): which department,
  // who, which application and why; in Tibetan with the department's Tibetan name.
  const use = await citizen.get('/api/v1/account/data-use');
  assert.deepEqual(use.body.other.filter((o) => o.case_number === n).map((o) => [o.consumer, o.kind_label, o.purpose_label]),
    [['拉萨市城关区民政局 · 格桑', ZH.exchange.data_use.kinds.reveal, ZH.apply.reveal.purposes.verify_identity]]);
  const bo = await citizen.get('/api/v1/account/data-use?lang=bo');
  assert.equal(bo.body.other.find((o) => o.case_number === n).consumer, 'ལྷ་ས་གྲོང་ཁྱེར་ཁྲིན་ཀོན་ཆུས་དམངས་སྲིད་ཅུས། · 格桑');
  // Nobody else's page lists it.
  const other = await login('540102194203152015');
  assert.ok(!(await other.get('/api/v1/account/data-use')).body.other.some((o) => o.case_number === n));
});

test('a walk-in person filed for at the counter gets the receipt and every change by SMS, in their language', async () => {
  const townClerk = await login('clerk.bakuo', { staff: true });
  const person = newIdNumber('19880808');
  const phone = newPhone();
  const walkin = { ...fields({ f_male_id: person, f_male_name: '平措', f_phone: phone }), _walkin_id_number: person, _walkin_name: '平措' };
  // The mobile is checked like any phone field.
  const bad = await townClerk.upload(`/api/v1/services/${ITEM}/apply`, { ...walkin, _walkin_phone: '1391234', _walkin_lang: 'bo', _action: 'submit' }, files());
  assert.equal(bad.status, 422, bad.text);
  assert.deepEqual(bad.body.problems.map((p) => [p.key, p.code]), [['_walkin_phone', 'identity.phone_invalid']]);
  const badLang = await townClerk.upload(`/api/v1/services/${ITEM}/apply`, { ...walkin, _walkin_phone: phone, _walkin_lang: 'fr', _action: 'precheck' }, files());
  assert.deepEqual(badLang.body.problems.map((p) => p.key), ['_walkin_lang']);
  const r = await townClerk.upload(`/api/v1/services/${ITEM}/apply`, { ...walkin, _walkin_phone: phone, _walkin_lang: 'bo', _action: 'submit' }, files());
  assert.equal(r.status, 201, r.text);
  const n = r.body.number;
  // Masked in every view; the page says where the SMS go.
  const v = await townClerk.get(`/api/v1/applications/${n}`);
  assert.equal(v.body.applicant_phone, maskPhone(phone));
  assert.equal(v.body.applicant_lang, 'bo');
  const receipt = await townClerk.get(`/applications/${n}/receipt`, { json: false });
  assert.ok(receipt.text.includes(maskPhone(phone)) && !receipt.text.includes(phone));
  assert.ok(receipt.text.includes(ZH.apply.receipt.next_walkin_sms));
  // Sealed at rest: not in the application row, nor in the messages.
  assert.ok(!blobHas('applications', 'form_enc', `number = '${n}'`, Buffer.from(phone)));
  assert.ok(!blobHas('notify_messages', 'phone_enc', `link = '/applications/${n}'`, Buffer.from(phone)));
  // The receipt, in Tibetan, naming the service in Tibetan.
  const first = await smsTo(maskPhone(phone), 1);
  assert.equal(first[0].lang, 'bo');
  assert.ok(first[0].text.includes(n) && first[0].text.includes(BO_NAME) && first[0].text.includes('དང་ལེན་སྒུག་བཞིན'), first[0].text);
  // The competent bureau returns it, then accepts the completion: each change an SMS.
  clerk = clerk ?? await login('clerk.chengguan', { staff: true });
  const page = `/api/v1/applications/${n}`;
  const ret = await clerk.submit(`/applications/${n}/act`, { action: 'return', problem: 'material:photo', note: '照片须为红底' }, '/api/v1/workbench');
  assert.equal(ret.status, 200, ret.text);
  const comp = await townClerk.upload(`/api/v1/applications/${n}/complete`, walkin, [files()[2]], { page });
  assert.equal(comp.status, 200, comp.text);
  const acc = await clerk.submit(`/applications/${n}/act`, { action: 'accept' }, '/api/v1/workbench');
  assert.equal(acc.status, 200, acc.text);
  const all = await smsTo(maskPhone(phone), 4);
  assert.deepEqual(all.map((m) => m.lang), ['bo', 'bo', 'bo', 'bo']);
  assert.ok(all[1].text.includes('ཁ་སྐོང་དགོས') && all[1].text.includes('照片须为红底'), all[1].text);
  assert.ok(all[2].text.includes('ཁ་སྐོང་ཡིག་ཆ་སྤྲད་ཟིན'), all[2].text);
  assert.ok(all[3].text.includes('དང་ལེན་བྱས་ཟིན'), all[3].text);
  assert.ok(!srv.log().includes(phone), 'the number never in the log');
  // A walk-in person without a mobile: filed all the same, no SMS, and the receipt says so.
  const p2 = newIdNumber('19770707');
  const w2 = await townClerk.upload(`/api/v1/services/${ITEM}/apply`, { ...fields({ f_male_id: p2 }), _walkin_id_number: p2, _walkin_name: '次仁', _action: 'submit' }, files());
  assert.equal(w2.status, 201, w2.text);
  const rc2 = await townClerk.get(`/applications/${w2.body.number}/receipt`, { json: false });
  assert.ok(rc2.text.includes(ZH.apply.receipt.next_walkin));
});
