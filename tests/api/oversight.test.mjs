// tests/api/oversight.test.mjs - supervision across levels (效能督查), KPIs and the auditor's
// desk over HTTP (issue 15), on apply's real workflow at Chengguan civil affairs: cases are
// submitted, accepted, returned for completion, approved on time and late; one is made
// overdue (its due time moved into the past with SQL: nobody waits days in a test). The
// regional supervisor sees the Chengguan queue with the overdue case, drills down, adds a
// supervision note; the Chengguan clerk answers it, nobody else can; the KPIs of /dashboard
// and `onewindow kpi` equal what this test computes from the cases' own rows; a county
// supervisor sees nothing of another county; dates and divisions are validated; the auditor
// finds the note in the audit desk, the chain verifies, the export carries its proof; the
// system administrator cannot read the audit log and the auditor cannot administer.
//
// One server on a database of its own (SQLite, or PostgreSQL with ONEWINDOW_TEST_PG_URL).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { catalog } from '../lib/server.mjs';
import { Client as BaseClient, login as loginAs, multipart, DEMO_PASSWORD, DEMO_CITIZEN_ID } from '../lib/client.mjs';
import { demoServer } from '../lib/db.mjs';
import { idNumbers } from '../lib/ids.mjs';

const T = { zh: catalog('zh') };
const CHENGGUAN = '540102000000';
let srv, db;
const sql = (q) => db.sql(q);

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
const login = (name, staff = true) => loginAs(srv, name, { password: DEMO_PASSWORD, staff, client: new Client() });

const idNumber = idNumbers({ seed: (process.pid * 3) % 900 });
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const inDays = (n) => new Date(Date.now() + 8 * 3600e3 + n * 86400e3).toISOString().slice(0, 10);
const today = inDays(0);

async function applyMarriage(c) {
  const fields = {
    f_male_name: '扎西多吉', f_male_id: DEMO_CITIZEN_ID, f_female_name: '卓玛', f_female_id: idNumber('19920203'),
    f_appointment_date: inDays(10), f_phone: '13800000001', f_declaration: 'on', _division: CHENGGUAN,
  };
  const files = [];
  for (const key of ['id_card', 'household_register', 'photo'])
    files.push({ name: `m_${key}`, filename: `${key}.pdf`, type: 'application/pdf', data: PDF });
  const r = await c.request('POST', '/api/v1/services/XZ-MZ-001/apply', { mp: multipart(fields, files), headers: { 'x-csrf-token': await c.pageCsrf() } });
  assert.equal(r.status, 201, r.text);
  return r.body.number;
}

async function act(c, number, action, extra = {}) {
  const r = await c.post(`/api/v1/applications/${number}/act`, { action, confirm: '1', ...extra });
  assert.ok(r.status === 200 || r.status === 303, `${action}: ${r.status} ${r.text}`);
}

// Move a case's due time into the past (apply's row and oversight's index agree).
function makeOverdue(number, daysAgo = 2) {
  const due = Date.now() - daysAgo * 86400e3;
  sql(`UPDATE applications SET due_at = ${due}, deadline_at = ${due} WHERE number = '${number}'`);
  sql(`UPDATE oversight_open SET due_at = ${due} WHERE number = '${number}'`);
}

let demoOverdue; // the demo's overdue case at Chengguan (src/app/demo.c)
let citizen, clerk, reviewer, supervisor, lhasaSupervisor, auditor, admin, otherClerk;
const cases = {};

before(async () => {
  db = await demoServer('oversight');
  srv = db.srv;
  demoOverdue = sql(`SELECT number FROM oversight_open WHERE division_code = ${CHENGGUAN}`)[0][0];
  citizen = await login(DEMO_CITIZEN_ID, false);
  [clerk, reviewer, supervisor, lhasaSupervisor, auditor, admin, otherClerk] = await Promise.all(
    ['clerk.chengguan', 'reviewer.chengguan', 'supervisor.xz', 'supervisor.lhasa', 'auditor.xz', 'catalog.xz', 'clerk.lhasa'].map((n) => login(n)));
  // five cases: waiting (made overdue), accepted, returned (补正), approved on time, approved late
  for (const k of ['overdue', 'accepted', 'returned', 'on_time', 'late']) cases[k] = await applyMarriage(citizen);
  makeOverdue(cases.overdue);
  for (const k of ['accepted', 'returned', 'on_time', 'late']) await act(clerk, cases[k], 'accept');
  await act(clerk, cases.returned, 'return', { note: '照片不清晰，请重新上传。' });
  for (const k of ['on_time', 'late']) await act(reviewer, cases[k], 'review');
  // the late one's clock started 40 days ago: approving it now uses more than the promised days
  sql(`UPDATE applications SET clock_started_at = ${Date.now() - 40 * 86400e3} WHERE number = '${cases.late}'`);
  for (const k of ['on_time', 'late']) await act(reviewer, cases[k], 'approve');
});

after(async () => {
  if (srv) {
    const r = await db.stop();
    assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
  }
});

test('the regional supervisor sees the Chengguan queue with its overdue case and drills down to it', async () => {
  const q = await supervisor.get('/api/v1/oversight');
  assert.equal(q.status, 200, q.text);
  assert.equal(q.body.division, '540000000000');
  const row = q.body.rows.find((r) => String(r.division_code) === CHENGGUAN);
  assert.ok(row, q.text);
  // open: the demo's overdue case (src/app/demo.c), the overdue one (submitted) and the
  // accepted one; the returned one waits for the applicant
  assert.equal(row.open, 3);
  assert.equal(row.overdue, 2);
  assert.equal(row.department, '拉萨市城关区民政局');
  const list = await supervisor.get(row.url_overdue.replace('/oversight', '/api/v1/oversight'));
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.body.cases.map((c) => c.number).sort(), [demoOverdue, cases.overdue].sort());
  assert.ok(list.body.cases.every((c) => c.mark === 'overdue'));
  const one = await supervisor.get(`/api/v1/oversight/cases/${cases.overdue}`);
  assert.equal(one.status, 200, one.text);
  assert.equal(one.body.can_note, true);
  assert.equal(one.body.state, 'submitted');
  // read-only: the supervisor cannot act on the case or open its file
  const acc = await supervisor.post(`/api/v1/applications/${cases.overdue}/act`, { action: 'accept', confirm: '1' });
  assert.ok(acc.status === 403 || acc.status === 404, acc.text);
  assert.equal((await supervisor.get(`/api/v1/applications/${cases.overdue}`)).status, 404);
  // the HTML page marks it overdue
  const html = await supervisor.get(`/oversight/cases/${cases.overdue}`, { json: false });
  assert.equal(html.status, 200);
  assert.ok(html.text.includes(T.zh.oversight.marks.overdue));
});

test('supervision note: validated, sent to the department, answered once by it only', async () => {
  const bad = await supervisor.post(`/api/v1/oversight/cases/${cases.overdue}/notes`, { body: '好'.repeat(501), days: '99' });
  assert.equal(bad.status, 422, bad.text);
  assert.deepEqual(bad.body.errors.map((e) => [e.field, e.code]), [['body', 'oversight.err.too_long'], ['days', 'oversight.err.days']]);
  assert.equal(bad.body.errors[1].message, T.zh.errors.oversight.err.days);
  // only supervisors add notes: the clerk of the department cannot
  assert.equal((await clerk.post(`/api/v1/oversight/cases/${cases.overdue}/notes`, { body: 'x', days: '3' })).status, 403);
  const body = '该件已超期，请于三日内办结并说明原因。';
  const ok = await supervisor.post(`/api/v1/oversight/cases/${cases.overdue}/notes`, { body, days: '3' });
  assert.equal(ok.status, 201, ok.text);
  const noteId = ok.body.note_id;
  // the department sees it (and was told); another department does not
  const mine = await clerk.get('/api/v1/workbench/supervision');
  assert.equal(mine.status, 200, mine.text);
  const note = mine.body.notes.find((n) => n.id === noteId);
  assert.ok(note, mine.text);
  assert.equal(note.body, body);
  assert.equal(note.open, true);
  const msgs = await clerk.get('/api/v1/messages');
  assert.ok(msgs.body.messages.some((m) => m.kind === 'oversight.notice.note' && m.link === '/workbench/supervision'), msgs.text);
  const foreign = await otherClerk.get('/api/v1/workbench/supervision');
  assert.ok(!foreign.body.notes.some((n) => n.id === noteId));
  assert.equal((await otherClerk.post(`/api/v1/workbench/supervision/${noteId}/answer`, { answer: 'x' })).status, 404);
  assert.equal((await citizen.post(`/api/v1/workbench/supervision/${noteId}/answer`, { answer: 'x' })).status, 404);
  const empty = await clerk.post(`/api/v1/workbench/supervision/${noteId}/answer`, { answer: '' });
  assert.equal(empty.status, 422);
  assert.equal(empty.body.errors[0].code, 'oversight.err.required');
  const answer = '材料已补齐，今日受理，三个工作日内办结。';
  assert.equal((await clerk.post(`/api/v1/workbench/supervision/${noteId}/answer`, { answer })).status, 200);
  assert.equal((await clerk.post(`/api/v1/workbench/supervision/${noteId}/answer`, { answer })).status, 409);
  const seen = await supervisor.get(`/api/v1/oversight/cases/${cases.overdue}`);
  assert.equal(seen.body.notes[0].answer, answer);
});

test('an unanswered note past its deadline is escalated one level up', async () => {
  const ok = await supervisor.post(`/api/v1/oversight/cases/${cases.accepted}/notes`, { body: '请加快审查。', days: '1' });
  assert.equal(ok.status, 201, ok.text);
  sql(`UPDATE oversight_notes SET deadline_at = ${Date.now() - 1000} WHERE id = ${ok.body.note_id}`);
  const r = db.cli(['oversight', 'escalate']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^1 supervision note/);
  const [[level, to]] = sql(`SELECT level, escalated_to FROM oversight_notes WHERE id = ${ok.body.note_id}`);
  assert.deepEqual([level, to], ['1', '540100000000']); // Chengguan -> Lhasa
  assert.match(db.cli(['oversight', 'escalate']).stdout, /^0 supervision note/);
  const d = db.cli(['oversight', 'digest']);
  assert.equal(d.status, 0, d.stderr);
  const [[n]] = sql(`SELECT COUNT(*) FROM notify_messages WHERE kind = 'oversight.notice.digest'`);
  assert.ok(Number(n) >= 1);
  // once a day per department, kept in the database: a second run (a restart, another node)
  // sends nothing more
  const again = db.cli(['oversight', 'digest']);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /^0 department/);
  assert.equal(sql(`SELECT COUNT(*) FROM notify_messages WHERE kind = 'oversight.notice.digest'`)[0][0], n);
  assert.equal(sql('SELECT COUNT(*) FROM oversight_digest_sent')[0][0], n);
});

// The figures, computed here from the cases' own rows.
function expected(lo, hi) {
  const dayStart = Date.parse(`${today}T00:00:00+08:00`);
  const one = (q) => Number(sql(q)[0][0]);
  const sel = `division_code BETWEEN ${lo} AND ${hi} AND number IS NOT NULL AND submitted_at >= ${dayStart}`;
  const received = one(`SELECT COUNT(*) FROM applications WHERE ${sel}`);
  const online = one(`SELECT COUNT(*) FROM applications WHERE ${sel} AND on_behalf = 0`);
  const completed = one(`SELECT COUNT(*) FROM applications WHERE ${sel} AND state IN ('approved', 'denied', 'delivered', 'closed')`);
  const onTime = one(`SELECT COUNT(*) FROM applications WHERE ${sel} AND state IN ('approved', 'denied', 'delivered', 'closed') AND used_days <= limit_days`);
  const rate = (a, b) => (b ? Math.round((a * 1000) / b) / 10 : null);
  return { received, completed, on_time_rate: rate(onTime, completed), online_rate: rate(online, received) };
}

test('the KPIs on the dashboard and from `onewindow kpi` equal those computed from the cases', async () => {
  const want = expected(540102000000, 540102999999);
  assert.equal(want.received, 6); // the test's five and the demo's overdue case
  assert.equal(want.completed, 2);
  assert.equal(want.on_time_rate, 50); // one on time, one late
  for (const [who, div] of [[supervisor, CHENGGUAN], [lhasaSupervisor, CHENGGUAN]]) {
    const d = await who.get(`/api/v1/dashboard?division=${div}&from=${today}&to=${today}`);
    assert.equal(d.status, 200, d.text);
    const f = d.body.figures;
    assert.deepEqual({ received: f.received, completed: f.completed, on_time_rate: f.on_time_rate, online_rate: f.online_rate }, want);
    assert.equal(f.returned, 1);
    assert.ok(d.body.kpis.every((k) => k.formula && k.formula !== `oversight.formula.${k.key}`));
  }
  const region = expected(540000000000, 549999999999);
  const cli = db.cli(['kpi', '--from', today, '--to', today]);
  assert.equal(cli.status, 0, cli.stderr);
  const k = JSON.parse(cli.stdout);
  for (const key of ['received', 'completed', 'on_time_rate', 'online_rate']) assert.equal(k[key], region[key], key);
  assert.ok('satisfaction_rate' in k);
  const cg = JSON.parse(db.cli(['kpi', '--division', '540102', '--from', today, '--to', today]).stdout);
  assert.equal(cg.received, want.received);
  // bad input: a clear usage error
  const bad = db.cli(['kpi', '--from', '2026-02-30']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--from/);
  assert.equal(db.cli(['kpi', '--division', '110000']).status, 2);
  // the HTML page: SVG charts with table twins, the schematic map, CSV
  const html = await supervisor.get(`/dashboard?from=${today}&to=${today}`, { json: false });
  assert.equal(html.status, 200);
  assert.ok((html.text.match(/<svg /g) || []).length >= 4, 'charts');
  assert.ok(html.text.includes(T.zh.oversight.dash.map_note));
  const csv = await supervisor.get(`/dashboard?division=${CHENGGUAN}&from=${today}&to=${today}&format=csv&table=departments`, { json: false });
  assert.equal(csv.status, 200);
  assert.match(csv.headers['content-type'], /text\/csv/);
  assert.ok(csv.text.includes('"拉萨市城关区民政局","6","2","50.0%"'), csv.text);
});

test('each figure drills down to the cases behind it; satisfaction counts the period\'s ratings', async () => {
  const period = (from, to) => `division=${CHENGGUAN}&from=${from}&to=${to}`;
  const cg = `/api/v1/oversight/figures?${period(today, today)}&figure=`;
  const got = async (f, c = supervisor) => {
    const r = await c.get(cg + f);
    assert.equal(r.status, 200, r.text);
    return r.body.cases.map((x) => x.number).sort();
  };
  const f = (await supervisor.get(`/api/v1/dashboard?${period(today, today)}`)).body.figures;
  const received = await got('received');
  assert.equal(received.length, f.received);
  assert.deepEqual(received, sql(`SELECT number FROM applications WHERE division_code = ${CHENGGUAN} AND number IS NOT NULL`).map((r) => r[0]).sort());
  assert.equal((await got('online')).length, f.online);
  assert.deepEqual(await got('completed'), [cases.on_time, cases.late].sort());
  assert.deepEqual(await got('on_time'), [cases.on_time]);
  assert.deepEqual(await got('late'), [cases.late]);
  assert.deepEqual(await got('returned'), [cases.returned]);
  assert.deepEqual(await got('received', lhasaSupervisor), received);
  // another period has none of them
  const y = await supervisor.get(`/api/v1/oversight/figures?${period(inDays(-1), inDays(-1))}&figure=received`);
  assert.deepEqual(y.body.cases, []);
  // bad input and scope
  assert.equal((await supervisor.get(`${cg}nonsense`)).body.code, 'oversight.bad_figure');
  assert.equal((await supervisor.get(`/api/v1/oversight/figures?division=${CHENGGUAN}&figure=received&from=2026-02-30`)).body.code, 'oversight.bad_from');
  assert.equal((await lhasaSupervisor.get('/api/v1/oversight/figures?division=540000000000&figure=received')).status, 403);
  assert.equal((await clerk.get(`${cg}received`)).status, 403);
  // the page links every figure to its cases
  const html = await supervisor.get(`/dashboard?${period(today, today)}`, { json: false });
  for (const fig of ['received', 'completed', 'on_time', 'late', 'online', 'returned'])
    assert.ok(html.text.includes(`figure=${fig}"`), fig);
  const page = await supervisor.get(`/oversight/figures?${period(today, today)}&figure=late`, { json: false });
  assert.equal(page.status, 200);
  assert.ok(page.text.includes(cases.late) && page.text.includes(T.zh.oversight.figures.names.late));
  // satisfaction (好差评) of the period: a good and a bad rating today, none the day before
  const idOf = (number) => sql(`SELECT id FROM applications WHERE number = '${number}'`)[0][0];
  assert.equal((await citizen.post(`/api/v1/reviews/${idOf(cases.on_time)}`, { level: '5' })).status, 201);
  assert.equal((await citizen.post(`/api/v1/reviews/${idOf(cases.late)}`, { level: '1', comment: '太慢了' })).status, 201);
  const now = (await supervisor.get(`/api/v1/dashboard?${period(today, today)}`)).body.figures;
  assert.deepEqual([now.ratings, now.satisfied, now.bad_ratings, now.satisfaction_rate], [2, 1, 1, 50]);
  const before = (await supervisor.get(`/api/v1/dashboard?${period(inDays(-1), inDays(-1))}`)).body.figures;
  assert.deepEqual([before.ratings, before.satisfaction_rate], [0, null]);
  const k = JSON.parse(db.cli(['kpi', '--division', '540102', '--from', today, '--to', today]).stdout);
  assert.equal(k.satisfaction_rate, 50);
});

test('scopes and bad input: county supervisors, clerks and citizens see nothing beyond their own', async () => {
  // a county supervisor at Doilungdêqên (540103) sees none of Chengguan
  const add = db.cli(['user', 'department', 'add', 'dl-dc', '540103000000', '堆龙德庆区督查室']);
  assert.equal(add.status, 0, add.stderr);
  assert.equal(db.cli(['user', 'grant', 'clerk.bakuo', 'dl-dc', 'supervisor']).status, 0);
  const county = await login('clerk.bakuo');
  const q = await county.get('/api/v1/oversight');
  assert.equal(q.status, 200, q.text);
  assert.equal(q.body.division, '540103000000');
  assert.ok(!q.body.rows.some((r) => String(r.division_code) === CHENGGUAN));
  assert.equal((await county.get(`/api/v1/oversight/cases/${cases.overdue}`)).status, 404);
  assert.equal((await county.post(`/api/v1/oversight/cases/${cases.overdue}/notes`, { body: 'x', days: '2' })).status, 404);
  assert.equal((await county.get(`/api/v1/oversight?division=${CHENGGUAN}`)).status, 403);
  assert.equal((await county.get(`/api/v1/dashboard?division=${CHENGGUAN}`)).status, 403);
  // the Lhasa supervisor may not look at the whole region
  assert.equal((await lhasaSupervisor.get('/api/v1/dashboard?division=540000000000')).status, 403);
  // a department clerk and a citizen get no dashboard
  assert.equal((await clerk.get('/api/v1/dashboard')).status, 403);
  assert.equal((await citizen.get('/api/v1/dashboard')).status, 403);
  assert.equal((await citizen.get('/api/v1/oversight')).status, 403);
  assert.equal((await new Client().get('/api/v1/dashboard')).status, 401);
  // validation: a precise, localised 400
  for (const [url, code] of [
    ['/api/v1/dashboard?from=2026-13-01', 'oversight.bad_from'],
    ['/api/v1/dashboard?to=yesterday', 'oversight.bad_to'],
    ['/api/v1/dashboard?from=2026-05-02&to=2026-05-01', 'oversight.bad_period'],
    ['/api/v1/dashboard?division=abc', 'oversight.bad_division'],
    ['/api/v1/dashboard?division=110000', 'oversight.bad_division'],
    ['/api/v1/dashboard?kpi=nonsense', 'oversight.bad_kpi'],
    ['/api/v1/oversight/cases?mark=red', 'oversight.bad_mark'],
  ]) {
    const r = await supervisor.get(url);
    assert.equal(r.status, 400, `${url}: ${r.text}`);
    assert.equal(r.body.code, code, url);
  }
});

test("the auditor's desk: finds the supervisor's note, the chain verifies, export with proof; separation of duties", async () => {
  const svId = (sql(`SELECT id FROM accounts WHERE username = 'supervisor.xz'`)[0][0]);
  const r = await auditor.get(`/api/v1/admin/audit?actor=supervisor.xz&action=oversight.note&object=${cases.overdue}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.entries.length, 1, r.text);
  assert.equal(r.body.entries[0].actor_id, String(svId));
  assert.equal(r.body.entries[0].object, `application:${cases.overdue}`);
  const v = await auditor.get('/api/v1/admin/audit?verify=1');
  assert.equal(v.body.verification.ok, true, v.text);
  assert.ok(v.body.verification.entries > 10);
  const ex = await auditor.get(`/admin/audit/export?from=${today}&to=${today}`);
  assert.equal(ex.status, 200, ex.text);
  assert.ok(ex.body.entries.length > 10);
  for (let i = 1; i < ex.body.entries.length; i++)
    if (ex.body.entries[i].seq === ex.body.entries[i - 1].seq + 1)
      assert.equal(ex.body.entries[i].prev_hash, ex.body.entries[i - 1].hash, 'the links hold');
  assert.equal(ex.body.verification.ok, true);
  // the export is itself audited; nothing on the desk writes
  assert.ok(Number(sql(`SELECT COUNT(*) FROM audit_events WHERE action = 'audit.export'`)[0][0]) >= 1);
  assert.equal((await auditor.post('/api/v1/admin/audit', {})).status, 405);
  // the system administrator manages accounts but cannot read the audit log
  for (const url of ['/api/v1/admin/audit', '/admin/audit/export']) {
    const a = await admin.get(url);
    assert.equal(a.status, 403, url);
    assert.equal(a.body.code, 'oversight.auditor_only');
  }
  // the auditor reads but administers nothing
  const adm = await auditor.get('/admin', { json: false });
  assert.equal(adm.status, 403);
  const grant = await auditor.post('/admin/staff', { username: 'x.y', name: 'x', password: 'Abcdefgh1234', department: 'cg-mz', role: 'clerk' });
  assert.equal(grant.status, 403);
  // supervisors and clerks do not read it either
  assert.equal((await supervisor.get('/api/v1/admin/audit')).status, 403);
  assert.equal((await clerk.get('/api/v1/admin/audit')).status, 403);
  // bad dates are a 400
  assert.equal((await auditor.get('/api/v1/admin/audit?from=2026-02-30')).status, 400);
});

test('separation of duties: the security administrator alone manages role grants', async () => {
  const security = await login('security.xz');
  const grant = { username: 'clerk.water', department: 'ls-dc', role: 'supervisor' };
  // the system administrator and the auditor cannot grant, revoke or even list roles
  for (const c of [admin, auditor, supervisor, clerk]) {
    assert.equal((await c.get('/api/v1/admin/roles?username=clerk.water')).status, 403);
    const r = await c.post('/api/v1/admin/roles/grant', grant);
    assert.equal(r.status, 403, r.text);
    assert.equal((await c.post('/api/v1/admin/roles/revoke', { ...grant, role: 'clerk', department: 'ls-zj' })).status, 403);
  }
  // the system administrator creates accounts, but not with an administrator's role (not
  // even another system administrator)
  for (const role of ['auditor', 'security_admin', 'admin']) {
    const r = await admin.post('/admin/staff', { username: `sod.${role.replace('_', '')}`, name: '越权', password: 'First-Pass-2026', department: 'platform', role });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.error.code, 'identity.role_reserved');
  }
  assert.deepEqual(sql("SELECT username FROM accounts WHERE username LIKE 'sod.%'"), []);
  // the desk opens on who holds the administrators' roles
  const desk = await security.get('/api/v1/admin/roles');
  assert.equal(desk.status, 200, desk.text);
  const holders = desk.body.administrators.map((x) => [x.username, x.role]);
  for (const h of [['admin', 'admin'], ['auditor.xz', 'auditor'], ['security.xz', 'security_admin']])
    assert.ok(holders.some((x) => x[0] === h[0] && x[1] === h[1]), `${h}: ${desk.text}`);
  assert.ok(!holders.some((x) => x[0] === 'clerk.water'), 'only the administrators\' roles');
  // the security administrator grants and revokes, each audited
  const g = await security.post('/api/v1/admin/roles/grant', grant);
  assert.equal(g.status, 200, g.text);
  const mine = await security.get('/api/v1/admin/roles?username=clerk.water');
  assert.ok(mine.body.grants.some((x) => x.department === 'ls-dc' && x.role === 'supervisor'), mine.text);
  const water = await login('clerk.water');
  assert.equal((await water.get('/api/v1/oversight?division=540100000000')).status, 200);
  assert.equal((await security.post('/api/v1/admin/roles/revoke', grant)).status, 200);
  assert.equal((await (await login('clerk.water')).get('/api/v1/oversight')).status, 403);
  assert.equal((await security.post('/api/v1/admin/roles/grant', { ...grant, role: 'boss' })).body.code, 'identity.role_unknown');
  assert.equal((await security.post('/api/v1/admin/roles/grant', { ...grant, username: 'nobody.here' })).status, 404);
  const [[granted, revoked]] = sql(`SELECT SUM(CASE WHEN action = 'identity.role_grant' THEN 1 ELSE 0 END), SUM(CASE WHEN action = 'identity.role_revoke' THEN 1 ELSE 0 END) FROM audit_events WHERE actor_id = (SELECT id FROM accounts WHERE username = 'security.xz')`);
  assert.deepEqual([Number(granted), Number(revoked)], [1, 1]);
  // ... and can neither manage accounts (nor their passwords) nor read the audit log
  assert.equal((await security.get('/admin', { json: false })).status, 403);
  assert.equal((await security.post('/admin/staff', { username: 'sod.x', name: 'x', password: 'First-Pass-2026', department: 'platform', role: 'clerk' })).status, 403);
  assert.equal((await security.get('/api/v1/admin/audit')).status, 403);
  assert.equal((await security.get('/admin/audit/export')).status, 403);
  // the HTML desk in Tibetan
  const page = await security.get('/admin/roles?username=clerk.water&lang=bo', { json: false });
  assert.equal(page.status, 200);
  assert.ok(page.text.includes(catalog('bo').oversight.roles.title));
});

test('the 12345 figures on the dashboard equal those computed from the orders; a new order counts at once', async () => {
  const from = inDays(-60);
  const lhasaDate = (ms) => new Date(Number(ms) + 8 * 3600e3).toISOString().slice(0, 10);
  // What the dashboard should say, from the orders' own rows (merged orders count nowhere).
  const expected = (prefix) => {
    const k = { received: 0, dispatched: 0, replied: 0, rated: 0, resp: 0, reso: 0, late: 0, sat: 0 };
    for (const [c, div, st, d, r, dl, rt] of sql('SELECT created_at, division_code, status, dispatched_at, replied_at, deadline_at, rating FROM hotline_orders')) {
      const day = lhasaDate(c);
      if (st === 'merged' || day < from || day > today || !String(div).padStart(12, '0').startsWith(prefix)) continue;
      k.received++;
      if (Number(d) > 0) { k.dispatched++; k.resp += Number(d) - Number(c); }
      if (Number(r) > 0) { k.replied++; k.reso += Number(r) - Number(c); if (Number(dl) > 0 && Number(r) > Number(dl)) k.late++; }
      if (Number(rt) >= 1) { k.rated++; if (Number(rt) >= 4) k.sat++; }
    }
    return k;
  };
  const near = (got, want, what) => (want === null ? assert.equal(got, null, what)
    : assert.ok(Math.abs(got - want) < 1e-6 * Math.max(1, Math.abs(want)), `${what}: ${got} != ${want}`));
  const check = async (division, prefix) => {
    const r = await supervisor.get(`/api/v1/dashboard?division=${division}&from=${from}&to=${today}`);
    assert.equal(r.status, 200, r.text);
    const h = r.body.hotline, k = expected(prefix);
    assert.equal(h.received, k.received, `received in ${division}`);
    assert.equal(h.dispatched, k.dispatched);
    assert.equal(h.replied, k.replied);
    assert.equal(h.rated, k.rated);
    near(h.response_hours, k.dispatched ? k.resp / k.dispatched / 3.6e6 : null, 'response hours');
    near(h.resolution_hours, k.replied ? k.reso / k.replied / 3.6e6 : null, 'resolution hours');
    near(h.reply_on_time_rate, k.replied ? (100 * (k.replied - k.late)) / k.replied : null, 'on time');
    near(h.satisfaction_rate, k.rated ? (100 * k.sat) / k.rated : null, 'satisfaction');
    return h;
  };
  const region = await check('540000000000', '54');
  assert.ok(region.received >= 2000 && region.replied > 0 && region.rated > 0, 'the demo orders are counted');
  await check('540100000000', '5401');
  const before = await check(CHENGGUAN, '540102');
  // a report made now counts for today at once (the roll-up is written with the order)
  const anon = new Client();
  const r = await anon.submit('/hotline/submit', {
    description: '小区路灯坏了一个月，晚上很不安全。', division: '540102005000', address: '扎细街道', phone: '13922224444', channel: 'web',
  }, { page: '/hotline/submit' });
  assert.equal(r.status, 201, r.text);
  const after = await check(CHENGGUAN, '540102');
  assert.equal(after.received, before.received + 1);
  // the page shows the section with its formulas; the CSV twin has a row per figure
  const html = await supervisor.get(`/dashboard?division=${CHENGGUAN}&from=${from}&to=${today}`, { json: false });
  assert.match(html.text, new RegExp(T.zh.oversight.hotline.title));
  assert.match(html.text, new RegExp(`data-hotline="received">${after.received}<`));
  assert.ok(html.text.includes(T.zh.oversight.hotline_formula.resolution_hours));
  const csv = await supervisor.get(`/dashboard?division=${CHENGGUAN}&from=${from}&to=${today}&format=csv&table=hotline`, { json: false });
  assert.equal(csv.status, 200);
  assert.equal(csv.text.trim().split('\r\n').length, 8);
  // a county supervisor sees only their county's figures
  assert.equal((await lhasaSupervisor.get(`/api/v1/dashboard?division=540000000000&from=${from}&to=${today}`)).status, 403);
});
