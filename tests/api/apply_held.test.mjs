// tests/api/apply_held.test.mjs - files uploaded once are not lost (issue 10 item 3): a
// pre-check, a submission with a mistake and a saved draft keep the uploads server-side
// (application_held_files: sealed, bound to the account, the form and the session or the
// draft, expiring, bounded), the form lists them by name, size and time with their ids, and
// the next post that carries the ids back submits them. Before this, pre-check said 可以提交
// and the submit then reported every material missing.
//
// Multipart over HTTP, as the browser sends it. One server for the file (SQLite, or
// PostgreSQL when ONEWINDOW_TEST_PG_URL is set), after `init` and `demo`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client, login as loginAs, multipart, DEMO_CITIZEN_ID } from '../lib/client.mjs';
import { demoServer } from '../lib/db.mjs';
import { idNumbers } from '../lib/ids.mjs';

const ITEM = 'XZ-MZ-001';
const newIdNumber = idNumbers({ birth: '19960405', seed: (process.pid + 300) % 900 });

// Each file has a marker of random bytes, to find it (or not) in the database.
const marked = (head) => Buffer.concat([head, randomBytes(300)]);
const PDF = () => marked(Buffer.from('%PDF-1.4\n'));
const PNG = () => marked(Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'));

let db, srv;
const sql = (q) => db.sql(q);
before(async () => {
  db = await demoServer('apply-held');
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

function fields(extra = {}) {
  const d = new Date(Date.now() + 10 * 86400000).toISOString().slice(0, 10);
  return {
    _division: '540102000000', f_male_name: '扎西多吉', f_male_id: DEMO_CITIZEN_ID, f_female_name: '卓玛',
    f_female_id: newIdNumber(), f_appointment_date: d, f_phone: '13800000001', f_declaration: 'on', ...extra,
  };
}
function files() {
  return {
    id_card: { name: 'm_id_card', filename: '身份证.pdf', type: 'application/pdf', data: PDF() },
    household_register: { name: 'm_household_register', filename: 'hukou.pdf', type: 'application/pdf', data: PDF() },
    photo: { name: 'm_photo', filename: 'photo.png', type: 'image/png', data: PNG() },
  };
}
const heldIds = (body) => body.held.map((h) => h.id);
const accountOf = async (c) => (await c.get('/api/v1/account')).body.account.id;
const heldRows = (account) => Number(sql(`SELECT count(*) FROM application_held_files WHERE account_id = ${account}`)[0][0]);
// Does a stored blob contain these bytes? (SQLite and PostgreSQL spell it differently.)
const hex = (b) => b.toString('hex');
const blobHas = (table, column, where, bytes) => db.db.startsWith('sqlite:')
  ? sql(`SELECT count(*) FROM ${table} WHERE ${where} AND instr(${column}, X'${hex(bytes)}') > 0`)[0][0] !== '0'
  : sql(`SELECT count(*) FROM ${table} WHERE ${where} AND position('\\x${hex(bytes)}'::bytea in ${column}) > 0`)[0][0] !== '0';

test('pre-check keeps the files; submit with what the page carries back (nothing uploaded twice)', async () => {
  const c = await login(DEMO_CITIZEN_ID);
  const me = await accountOf(c);
  const f = files();
  const pre = await c.upload(`/api/v1/services/${ITEM}/apply`, { ...fields(), _action: 'precheck' }, Object.values(f));
  assert.equal(pre.status, 200, pre.text);
  assert.equal(pre.body.notice, '预审通过：填写的内容和材料齐全，可以提交。');
  assert.deepEqual(pre.body.held.map((h) => [h.material_key, h.filename, h.size]).sort(),
    [['household_register', 'hukou.pdf', f.household_register.data.length], ['id_card', '身份证.pdf', f.id_card.data.length],
      ['photo', 'photo.png', f.photo.data.length]]);
  assert.ok(pre.body.held.every((h) => /^\d+$/.test(h.id) && /^\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d$/.test(h.at)));
  // Each material says what is attached; the page carries the ids back in hidden fields.
  const photo = pre.body.materials.find((m) => m.key === 'photo');
  assert.deepEqual(photo.attached.map((a) => a.filename), ['photo.png']);
  const html = await c.upload(`/services/${ITEM}/apply`, { ...fields(), _action: 'precheck', held: heldIds(pre.body) }, [], { json: false });
  assert.match(html.text, /<input type="hidden" name="held" value="\d+"><span class="filename">photo\.png<\/span> <span class="file-meta">\d+ B · \d{4}年/);
  assert.match(html.text, /<input type="checkbox" name="unhold" value="\d+"> 移除/);
  // Sealed at rest: the bytes are not in the table.
  assert.ok(!blobHas('application_held_files', 'content_enc', `account_id = ${me}`, f.photo.data.subarray(20, 60)));
  // Submit with no file at all, only the ids: the application has the three files, byte for byte.
  const sub = await c.upload(`/api/v1/services/${ITEM}/apply`, { ...fields(), _action: 'submit', held: heldIds(pre.body) }, []);
  assert.equal(sub.status, 201, sub.text);
  const view = await c.get(`/api/v1/applications/${sub.body.number}`);
  assert.deepEqual(view.body.files.map((x) => x.filename).sort(), ['hukou.pdf', 'photo.png', '身份证.pdf']);
  const got = await c.get(view.body.files.find((x) => x.material_key === 'photo').url, { json: false });
  assert.ok(got.raw.equals(f.photo.data), 'the held file is the uploaded one');
  // Used up: nothing is held for the form any more.
  assert.equal(sql(`SELECT count(*) FROM application_held_files WHERE account_id = ${me} AND form_key = 'item:${ITEM}'`)[0][0], '0');
});

test('a submission with a mistake keeps the files; the corrected one goes through', async () => {
  const c = await login(DEMO_CITIZEN_ID);
  const f = files();
  const bad = await c.upload(`/api/v1/services/${ITEM}/apply`, { ...fields({ f_male_name: '' }), _action: 'submit' }, Object.values(f));
  assert.equal(bad.status, 422, bad.text);
  assert.deepEqual(bad.body.problems.map((p) => [p.kind, p.key]), [['field', 'male_name']], 'only the name: no material is missing');
  assert.equal(bad.body.held.length, 3);
  const ok = await c.upload(`/api/v1/services/${ITEM}/apply`, { ...fields(), _action: 'submit', held: heldIds(bad.body) }, []);
  assert.equal(ok.status, 201, ok.text);
  assert.equal((await c.get(`/api/v1/applications/${ok.body.number}`)).body.files.length, 3);
});

test('replace one file by choosing another, remove one with its box', async () => {
  const c = await login(DEMO_CITIZEN_ID);
  const me = await accountOf(c);
  const f = files();
  const pre = await c.upload(`/api/v1/services/${ITEM}/apply`, { ...fields(), _action: 'precheck' }, Object.values(f));
  const byKey = Object.fromEntries(pre.body.held.map((h) => [h.material_key, h.id]));
  const newPhoto = { name: 'm_photo', filename: 'photo-red.png', type: 'image/png', data: PNG() };
  const again = await c.upload(`/api/v1/services/${ITEM}/apply`,
    { ...fields(), _action: 'precheck', held: heldIds(pre.body), unhold: byKey.household_register }, [newPhoto]);
  // Nothing is missing without it: the population register holds the household register
  // (免提交, issue 13), so the platform would fetch it.
  assert.equal(again.status, 200, again.text);
  assert.deepEqual(again.body.held.map((h) => h.filename).sort(), ['photo-red.png', '身份证.pdf']);
  // The replaced and the removed rows are deleted, not just hidden.
  assert.equal(sql(`SELECT count(*) FROM application_held_files WHERE id IN (${byKey.photo}, ${byKey.household_register})`)[0][0], '0');
  assert.ok(heldRows(me) >= 2);
  const sub = await c.upload(`/api/v1/services/${ITEM}/apply`, { ...fields(), _action: 'submit', held: heldIds(again.body) }, [f.household_register]);
  assert.equal(sub.status, 201, sub.text);
  const view = await c.get(`/api/v1/applications/${sub.body.number}`);
  assert.equal(view.body.files.find((x) => x.material_key === 'photo').filename, 'photo-red.png');
});

test('a draft keeps its files; reopened later in another session from /applications it submits with them', async () => {
  const c = await login(DEMO_CITIZEN_ID);
  const f = files();
  const d = await c.upload(`/api/v1/services/${ITEM}/apply`, { ...fields({ f_female_name: '' }), _action: 'draft' }, Object.values(f));
  assert.equal(d.status, 200, d.text);
  assert.equal(d.body.held.length, 3);
  const draftId = d.body.draft_id;
  assert.deepEqual(sql(`SELECT DISTINCT draft_id, session_hash FROM application_held_files WHERE id IN (${heldIds(d.body).join(',')})`), [[draftId, '']]);
  // The page: redirect with its confirmation.
  const page = await c.upload(`/services/${ITEM}/apply`, { ...fields(), _action: 'draft', _draft: draftId, held: heldIds(d.body) }, [], { json: false });
  assert.equal(page.status, 303);
  assert.equal(page.location, `/services/${ITEM}/apply?draft=${draftId}&done=draft_saved`);
  // Another day, another login: the list links the draft, the draft shows its files.
  const later = await login(DEMO_CITIZEN_ID);
  const mine = await later.get('/api/v1/applications');
  const row = mine.body.applications.find((a) => a.draft_id === draftId);
  assert.equal(row.url, `/services/${ITEM}/apply?draft=${draftId}`);
  const form = await later.get(`/api/v1/services/${ITEM}/apply?draft=${draftId}`);
  assert.deepEqual(form.body.held.map((h) => h.filename).sort(), ['hukou.pdf', 'photo.png', '身份证.pdf']);
  const sub = await later.upload(`/api/v1/services/${ITEM}/apply`, { ...fields(), _action: 'submit', _draft: draftId, held: heldIds(form.body) }, []);
  assert.equal(sub.status, 201, sub.text);
  assert.equal((await later.get(`/api/v1/applications/${sub.body.number}`)).body.files.length, 3);
  assert.equal(sql(`SELECT count(*) FROM application_held_files WHERE draft_id = ${draftId}`)[0][0], '0', 'the draft\'s files are used up');
  assert.equal((await later.get(`/api/v1/services/${ITEM}/apply?draft=${draftId}`)).status, 404, 'the draft is gone');
});

test('held files are bound: not another session\'s, not another person\'s, not another form\'s, not after expiry', async () => {
  const c = await login(DEMO_CITIZEN_ID);
  const me = await accountOf(c);
  const pre = await c.upload(`/api/v1/services/${ITEM}/apply`, { ...fields(), _action: 'precheck' }, Object.values(files()));
  const ids = heldIds(pre.body);
  const missing = (r) => r.body.problems.filter((p) => p.code === 'apply.err.material_missing').map((p) => p.key).sort();
  // The same person in another session (no draft): the ids mean nothing there.
  const other = await login(DEMO_CITIZEN_ID);
  const r1 = await other.upload(`/api/v1/services/${ITEM}/apply`, { ...fields(), _action: 'precheck', held: ids }, []);
  // (The household register comes from the population register, the photo may be taken on
  // site: only the ID card is missing.)
  assert.deepEqual(missing(r1), ['id_card']);
  assert.equal(r1.body.held.length, 0);
  // Another person.
  const townClerk = await login('clerk.bakuo', { staff: true });
  const person = newIdNumber();
  const r2 = await townClerk.upload(`/api/v1/services/${ITEM}/apply`, { ...fields({ f_male_id: person }), _walkin_id_number: person, _walkin_name: '平措', _action: 'precheck', held: ids }, []);
  // (For a walk-in person the register does not speak: the household register is missing.)
  assert.deepEqual(missing(r2), ['household_register', 'id_card']);
  // Another form (the divorce registration has an id_card material too).
  const r3 = await c.upload('/api/v1/services/XZ-MZ-002/apply', { _division: '540102000000', _action: 'precheck', held: ids }, []);
  assert.ok(r3.body.problems.some((p) => p.key === 'id_card' && p.code === 'apply.err.material_missing'));
  // Junk ids are a 400, not a silent 0.
  const junk = await c.upload(`/api/v1/services/${ITEM}/apply`, { ...fields(), _action: 'precheck', held: '12x' }, []);
  assert.equal(junk.status, 400);
  assert.equal(junk.body.code, 'apply.bad_held');
  // Expired: no longer attached, and purged by the next hold.
  sql(`UPDATE application_held_files SET expires_at = 1 WHERE id IN (${ids.join(',')})`);
  const r4 = await c.upload(`/api/v1/services/${ITEM}/apply`, { ...fields(), _action: 'precheck', held: ids }, []);
  assert.deepEqual(missing(r4), ['id_card']);
  assert.equal(sql(`SELECT count(*) FROM application_held_files WHERE id IN (${ids.join(',')})`)[0][0], '0', 'purged');
  assert.equal(sql(`SELECT count(*) FROM application_held_files WHERE expires_at <= ${Date.now()}`)[0][0], '0');
  assert.ok(heldRows(me) >= 0);
});

test('bounded: at most 64 files held per account (apply.err.held_full beyond); a page left behind loses its files', async () => {
  const c = await login(DEMO_CITIZEN_ID);
  const me = await accountOf(c);
  sql(`DELETE FROM application_held_files WHERE account_id = ${me}`);
  const pdfs = (key, n) => Array.from({ length: n }, (_, i) => ({ name: `m_${key}`, filename: `${key}${i}.pdf`, type: 'application/pdf', data: PDF() }));
  const r1 = await c.upload(`/api/v1/services/${ITEM}/apply`, { ...fields(), _action: 'precheck' }, pdfs('photo', 32));
  assert.equal(r1.body.held.length, 32);
  const r2 = await c.upload('/api/v1/services/XZ-MZ-002/apply', { _division: '540102000000', _action: 'precheck' }, pdfs('id_card', 32));
  assert.equal(r2.body.held.length, 32);
  // Two more on a third form: 66 would be past the bound.
  const r3 = await c.upload('/api/v1/services/XZ-MZ-003/apply', { _division: '540102000000', _action: 'precheck' },
    [...pdfs('id_card', 1), ...pdfs('household_register', 1)]);
  assert.equal(r3.body.held.length, 0, JSON.stringify(r3.body.held));
  assert.deepEqual(r3.body.problems.filter((p) => p.code === 'apply.err.held_full').map((p) => p.key), ['id_card', 'household_register']);
  assert.ok(r3.body.problems.find((p) => p.code === 'apply.err.held_full').message.includes('暂存的文件太多或太大'));
  assert.equal(heldRows(me), 64);
  // The marriage form opened afresh in the same session (the next visitor at a counter):
  // its first hold lets go of what the page left behind did not carry back.
  const fresh = await c.upload(`/api/v1/services/${ITEM}/apply`, { ...fields(), _action: 'precheck' }, pdfs('id_card', 1));
  assert.equal(fresh.body.held.length, 1);
  assert.equal(sql(`SELECT count(*) FROM application_held_files WHERE account_id = ${me} AND form_key = 'item:${ITEM}'`)[0][0], '1');
  sql(`DELETE FROM application_held_files WHERE account_id = ${me}`);
});

test('the bundle form (一件事) and counter filing keep their files too', async () => {
  const c = await login(DEMO_CITIZEN_ID);
  const bundleFields = {
    _division: '540102000000', f_baby_name: '格桑', f_baby_sex: 'f', f_birth_date: new Date(Date.now() - 5 * 86400000).toISOString().slice(0, 10),
    f_hospital: '自治区人民医院', f_applicant_name: '扎西多吉', f_applicant_id: DEMO_CITIZEN_ID, f_phone: '13800000001',
    f_insured_name: '格桑', f_insured_id: newIdNumber('20260101'),
  };
  const bfiles = ['mother_id', 'birth_record', 'birth_cert', 'household_register', 'parent_id', 'id_card']
    .map((k) => ({ name: `m_${k}`, filename: `${k}.pdf`, type: 'application/pdf', data: PDF() }));
  const url = '/api/v1/services/bundles/BUNDLE-NEWBORN/apply';
  const pre = await c.upload(url, { ...bundleFields, _action: 'precheck' }, bfiles, { page: url });
  assert.equal(pre.body.held.length, 6, pre.text);
  assert.equal(sql(`SELECT count(*) FROM applications WHERE bundle_id <> 0 AND filed_by = ${await accountOf(c)} AND created_at > ${Date.now() - 60000}`)[0][0], '0',
    'a bundle\'s pre-check stores no application');
  const sub = await c.upload(url, { ...bundleFields, _action: 'submit', held: heldIds(pre.body) }, [], { page: url });
  assert.equal(sub.status, 201, sub.text);
  const status = await c.get(`/api/v1/applications/bundles/${sub.body.bundle_id}`);
  for (const a of status.body.applications) {
    const v = await c.get(`/api/v1/applications/${a.number}`);
    assert.ok(v.body.files.length >= 2, `${a.item_code}: ${JSON.stringify(v.body.files.map((x) => x.material_key))}`);
  }
  // At the counter: the clerk pre-checks with the visitor's papers, then files.
  const townClerk = await login('clerk.bakuo', { staff: true });
  const person = newIdNumber('19880808');
  const walkin = { ...fields({ f_male_id: person, f_male_name: '平措' }), _walkin_id_number: person, _walkin_name: '平措' };
  const p2 = await townClerk.upload(`/api/v1/services/${ITEM}/apply`, { ...walkin, _action: 'precheck' }, Object.values(files()));
  assert.equal(p2.status, 200, p2.text);
  const s2 = await townClerk.upload(`/api/v1/services/${ITEM}/apply`, { ...walkin, _action: 'submit', held: heldIds(p2.body) }, []);
  assert.equal(s2.status, 201, s2.text);
  assert.equal((await townClerk.get(`/api/v1/applications/${s2.body.number}`)).body.files.length, 3);
  // A fresh form at the counter shows nothing of the last visitor's files.
  const fresh = await townClerk.get(`/api/v1/services/${ITEM}/apply`);
  assert.deepEqual(fresh.body.held, []);
});

test('the completion form (补正) keeps a new file through a mistake', async () => {
  const c = await login(DEMO_CITIZEN_ID);
  const a = await c.upload(`/api/v1/services/${ITEM}/apply`, { ...fields(), _action: 'submit' }, Object.values(files()));
  assert.equal(a.status, 201, a.text);
  const clerk = await login('clerk.chengguan', { staff: true });
  const ret = await clerk.submit(`/applications/${a.body.number}/act`, { action: 'return', problem: 'material:photo' }, '/api/v1/workbench');
  assert.equal(ret.status, 200, ret.text);
  const page = `/api/v1/applications/${a.body.number}`;
  const photo = { name: 'm_photo', filename: 'red.png', type: 'image/png', data: PNG() };
  const bad = await c.upload(`/api/v1/applications/${a.body.number}/complete`, { ...fields({ f_phone: '123' }) }, [photo], { page });
  assert.equal(bad.status, 422, bad.text);
  const m = bad.body.form_materials.find((x) => x.key === 'photo');
  assert.deepEqual(m.attached.map((x) => x.filename), ['red.png']);
  assert.deepEqual(m.on_record.map((x) => x.filename), ['photo.png'], 'and what is on record');
  const ok = await c.upload(`/api/v1/applications/${a.body.number}/complete`, { ...fields(), held: m.attached.map((x) => x.held_id) }, [], { page });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.files.find((x) => x.material_key === 'photo').filename, 'red.png');
});
