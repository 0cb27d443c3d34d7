// tests/api/review.test.mjs - 好差评 over HTTP (issue 4 part 6), on top of the real apply
// workflow: a citizen applies for marriage registration (XZ-MZ-001) at Chengguan civil
// affairs, the clerk accepts, the reviewer approves; the citizen rates "不满意" → a
// rectification task appears for the department (and only for it) with a deadline in
// working days → the department responds → the citizen sees the response and rates again
// → the public statistics count both rounds. Also: nobody rates before the decision or
// someone else's application; every field error at once; counter staff record a walk-in's
// rating, staff of another department cannot; messages to the department and the applicant;
// each rating and response audited; the statistics page states its formula.
//
// One server for the file on a database of its own (SQLite, or a fresh PostgreSQL
// database), `init` and `demo` first. Demo staff log in with the documented TOTP secret.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalog, ROOT } from '../lib/server.mjs';
import { Client as BaseClient, login as loginAs, multipart, DEMO_PASSWORD, DEMO_CITIZEN_ID } from '../lib/client.mjs';
import { demoServer } from '../lib/db.mjs';
import { idNumbers, phones } from '../lib/ids.mjs';

const T = { zh: catalog('zh'), en: catalog('en') };
const CHENGGUAN = '540102000000';
const ITEM = 'XZ-MZ-001';

let srv, db;
const sql = (query) => db.sql(query);

// ---- a client with a cookie jar ------------------------------------------------------------
// post() sends the CSRF token in the X-CSRF-Token header: the session's (from the inbox) once
// logged in, else the login page's.
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

// Demo staff log in with the documented TOTP secret (tests/lib/totp.mjs).
async function login(name, password = DEMO_PASSWORD, staff = false) {
  const c = await loginAs(srv, name, { password, staff, client: new Client() });
  const me = await c.get('/api/v1/account');
  assert.equal(me.status, 200, me.text);
  c.accountId = me.body.account.id;
  return c;
}

const idNumber = idNumbers({ seed: process.pid % 900 });
const newPhone = phones('135', { seed: (process.pid * 7) % 100000000 });

async function newCitizen() {
  const c = new Client();
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const r = await c.post('/register', { name: '次仁', id_number: idNumber('19950607'), phone: newPhone(), password, password_again: password });
  assert.equal(r.status, 303, r.text);
  c.accountId = (await c.get('/api/v1/account')).body.account.id;
  return c;
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
function inDays(n) {
  const d = new Date(Date.now() + 8 * 3600e3 + n * 86400e3);
  return d.toISOString().slice(0, 10);
}

// Apply for marriage registration at Chengguan; returns {number, id}.
async function applyMarriage(c) {
  const fields = {
    f_male_name: '扎西多吉', f_male_id: DEMO_CITIZEN_ID, f_female_name: '卓玛', f_female_id: idNumber('19920203'),
    f_appointment_date: inDays(10), f_phone: '13800000001', f_declaration: 'on', _division: CHENGGUAN,
  };
  const files = [];
  for (const key of ['id_card', 'household_register', 'photo'])
    for (let i = 0; i < 3; i++) files.push({ name: `m_${key}`, filename: `${key}-${i}.pdf`, type: 'application/pdf', data: PDF });
  const r = await c.request('POST', '/api/v1/services/XZ-MZ-001/apply', { mp: multipart(fields, files), headers: { 'x-csrf-token': await c.pageCsrf() } });
  assert.equal(r.status, 201, r.text);
  const show = await c.get(`/api/v1/applications/${r.body.number}`);
  assert.equal(show.status, 200, show.text);
  return { number: r.body.number, id: show.body.id };
}

async function act(c, number, action, note = '') {
  const r = await c.post(`/api/v1/applications/${number}/act`, { action, note, confirm: '1' });
  assert.ok(r.status === 200 || r.status === 303, `${action}: ${r.status} ${r.text}`);
}

let citizen, clerk, reviewer, otherReviewer, otherClerk, app1;

before(async () => {
  db = await demoServer('review');
  srv = db.srv;
  citizen = await login(DEMO_CITIZEN_ID);
  clerk = await login('clerk.chengguan', DEMO_PASSWORD, true);
  reviewer = await login('reviewer.chengguan', DEMO_PASSWORD, true);
  otherReviewer = await login('reviewer.lhasa', DEMO_PASSWORD, true);
  otherClerk = await login('clerk.lhasa', DEMO_PASSWORD, true);
  app1 = await applyMarriage(citizen);
});

after(async () => {
  if (srv) {
    const r = await db.stop();
    assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
  }
});

test('no rating before the decision; pages need a login', async () => {
  const anon = new Client();
  assert.equal((await anon.get(`/api/v1/reviews/${app1.id}`)).status, 401);
  const h = await anon.get(`/reviews/${app1.id}`, { json: false });
  assert.equal(h.status, 303);
  const v = await citizen.get(`/api/v1/reviews/${app1.id}`);
  assert.equal(v.status, 200, v.text);
  assert.equal(v.body.can_rate, false);
  assert.equal(v.body.decided, false);
  const r = await citizen.post(`/api/v1/reviews/${app1.id}`, { level: '5' });
  assert.equal(r.status, 409);
  assert.equal(r.body.code, 'review.not_decided');
});

test('the journey: 不满意 → rectification task → response → rated again → statistics', async () => {
  await act(clerk, app1.number, 'accept');
  await act(reviewer, app1.number, 'review');
  await act(reviewer, app1.number, 'approve');

  // another citizen can neither see nor rate it
  const other = await newCitizen();
  assert.equal((await other.get(`/api/v1/reviews/${app1.id}`)).status, 404);
  const o = await other.post(`/api/v1/reviews/${app1.id}`, { level: '1' });
  assert.equal(o.status, 404);
  assert.equal(o.body.code, 'review.not_found');

  // every field error at once
  const long = '好'.repeat(501);
  const bad = await citizen.post(`/api/v1/reviews/${app1.id}`, { level: '9', comment: long });
  assert.equal(bad.status, 422, bad.text);
  assert.deepEqual(bad.body.errors.map((e) => [e.field, e.code]), [['level', 'review.bad_level'], ['comment', 'review.comment_too_long']]);
  assert.equal(bad.body.errors[0].message, T.zh.errors.review.bad_level);

  // 不满意
  const page = await citizen.get(`/reviews/${app1.id}`, { json: false });
  assert.equal(page.status, 200);
  assert.ok(page.text.includes(T.zh.review.levels['2']));
  const r1 = await citizen.post(`/api/v1/reviews/${app1.id}`, { level: '2', comment: '窗口排队太久' });
  assert.equal(r1.status, 201, r1.text);
  assert.equal(r1.body.round, 1);
  const again = await citizen.post(`/api/v1/reviews/${app1.id}`, { level: '5' });
  assert.equal(again.status, 409);
  assert.equal(again.body.code, 'review.awaiting_response');

  // the task appears for Chengguan civil affairs only
  const tasks = await reviewer.get('/api/v1/workbench/rectifications?status=open');
  assert.equal(tasks.status, 200, tasks.text);
  const task = tasks.body.tasks.find((t) => t.application_id === app1.id);
  assert.ok(task, JSON.stringify(tasks.body));
  assert.equal(task.level, 2);
  assert.equal(task.comment, '窗口排队太久');
  assert.equal(task.status, 'open');
  assert.ok(task.deadline_at > Date.now() + 5 * 86400e3 - 86400e3, 'five working days are at least five days');
  const foreign = await otherReviewer.get('/api/v1/workbench/rectifications');
  assert.equal(foreign.status, 200);
  assert.ok(!foreign.body.tasks.some((t) => t.id === task.id));
  assert.equal((await otherReviewer.post(`/api/v1/workbench/rectifications/${task.id}/respond`, { response: 'x' })).status, 404);
  assert.equal((await clerk.post(`/api/v1/workbench/rectifications/${task.id}/respond`, { response: 'x' })).status, 404);
  assert.equal((await citizen.post(`/api/v1/workbench/rectifications/${task.id}/respond`, { response: 'x' })).status, 403);
  assert.equal((await citizen.get('/api/v1/workbench/rectifications')).status, 403);
  // the department was told
  const dmsg = await reviewer.get('/api/v1/messages');
  assert.ok(dmsg.body.messages.some((m) => m.kind === 'review.notice.bad_rating' && m.link === '/workbench/rectifications'), dmsg.text);
  const html = await reviewer.get('/workbench/rectifications', { json: false });
  assert.equal(html.status, 200);
  assert.ok(html.text.includes('窗口排队太久'));

  // the department responds (something must be said)
  const empty = await reviewer.post(`/api/v1/workbench/rectifications/${task.id}/respond`, { response: '   ' });
  assert.equal(empty.status, 422, empty.text);
  assert.equal(empty.body.errors[0].code, 'review.response_required');
  const answer = '已增设婚姻登记窗口，并开通网上预约，减少排队时间。';
  const resp = await reviewer.post(`/api/v1/workbench/rectifications/${task.id}/respond`, { response: answer });
  assert.equal(resp.status, 200, resp.text);
  const twice = await reviewer.post(`/api/v1/workbench/rectifications/${task.id}/respond`, { response: answer });
  assert.equal(twice.status, 409);

  // the citizen sees it, is told, and rates again
  const seen = await citizen.get(`/api/v1/reviews/${app1.id}`);
  assert.equal(seen.body.ratings[0].task.response, answer);
  assert.equal(seen.body.can_rate, true);
  assert.equal(seen.body.next_round, 2);
  const cmsg = await citizen.get('/api/v1/messages');
  assert.ok(cmsg.body.messages.some((m) => m.kind === 'review.notice.responded' && m.link === `/reviews/${app1.id}`));
  // The messages name the service, in the reader's language (they once showed its code).
  const names = (await citizen.get(`/api/v1/services/${ITEM}`)).body.item.name;
  for (const lang of ['bo', 'en', 'zh']) { /* zh last: ?lang= is remembered in a cookie */
    const inbox = await citizen.get(`/api/v1/messages?lang=${lang}`);
    const texts = inbox.body.messages.filter((m) => m.kind.startsWith('review.notice.') || m.kind.startsWith('apply.notice.')).map((m) => m.text);
    assert.ok(texts.length >= 3, lang);
    for (const t of texts) {
      assert.ok(t.includes(names[lang]), `${lang}: "${t}" names ${names[lang]}`);
      assert.ok(!t.includes(ITEM), `${lang}: "${t}" shows the code`);
    }
  }
  const seenHtml = await citizen.get(`/reviews/${app1.id}`, { json: false });
  assert.ok(seenHtml.text.includes(answer));
  const r2 = await citizen.post(`/api/v1/reviews/${app1.id}`, { level: '4' });
  assert.equal(r2.status, 201, r2.text);
  assert.equal(r2.body.round, 2);
  assert.equal((await citizen.post(`/api/v1/reviews/${app1.id}`, { level: '1' })).body.code, 'review.already_rated');

  // the public statistics count it
  const stats = await new Client().get('/api/v1/ratings');
  assert.equal(stats.status, 200);
  const dept = stats.body.departments.find((d) => d.department_code === 'cg-mz');
  assert.ok(dept, JSON.stringify(stats.body));
  assert.deepEqual(dept.counts, { 1: 0, 2: 1, 3: 0, 4: 1, 5: 0 });
  assert.equal(dept.total, 2);
  assert.equal(dept.bad, 1);
  assert.equal(dept.rectified, 1);
  assert.equal(dept.satisfaction_rate, 50);
  const item = stats.body.items.find((i) => i.item_code === 'XZ-MZ-001');
  assert.equal(item.total, 2);
  const pub = await new Client().get('/ratings', { json: false });
  assert.equal(pub.status, 200);
  assert.ok(pub.text.includes(T.zh.review.stats.formula));
  assert.ok(pub.text.includes('50.0%'));
  const en = await new Client().get('/ratings?lang=en', { json: false });
  assert.ok(en.text.includes(T.en.review.stats.formula));

  // audited
  const audit = sql(`SELECT action, COUNT(*) FROM audit_events WHERE action LIKE 'review.%' AND object LIKE '%${app1.id}' GROUP BY action ORDER BY action`);
  assert.deepEqual(audit, [['review.rate', '2']]);
  const taskAudit = sql(`SELECT action FROM audit_events WHERE object = 'rectification:${task.id}' ORDER BY id`);
  assert.deepEqual(taskAudit, [['review.task_open'], ['review.respond']]);
});

test('counter staff record a walk-in applicant\'s rating; another department cannot', async () => {
  const app2 = await applyMarriage(citizen);
  await act(clerk, app2.number, 'accept');
  await act(reviewer, app2.number, 'review');
  await act(reviewer, app2.number, 'deny', '材料不符合要求');
  const view = await clerk.get(`/api/v1/reviews/${app2.id}`);
  assert.equal(view.status, 200, view.text);
  assert.equal(view.body.can_record, true);
  assert.equal((await otherClerk.get(`/api/v1/reviews/${app2.id}`)).status, 404);
  const foreign = await otherClerk.post(`/api/v1/reviews/${app2.id}/record`, { level: '5', channel: 'counter' });
  assert.equal(foreign.status, 404);
  const asCitizen = await citizen.post(`/api/v1/reviews/${app2.id}/record`, { level: '5', channel: 'counter' });
  assert.equal(asCitizen.status, 404);
  const r = await clerk.post(`/api/v1/reviews/${app2.id}/record`, { level: '3', channel: 'counter', comment: '基本满意' });
  assert.equal(r.status, 201, r.text);
  const mine = await citizen.get(`/api/v1/reviews/${app2.id}`);
  assert.equal(mine.body.ratings[0].channel, 'counter');
  assert.equal(mine.body.can_rate, false);
  assert.equal(sql(`SELECT recorded_by FROM review_ratings WHERE application_id = ${app2.id}`)[0][0], clerk.accountId);
});

test('the rating page, the tasks and the statistics name the service in the reader\'s language; actions confirm with done', async () => {
  const { zh: zhName, bo: boName } = JSON.parse(readFileSync(join(ROOT, 'data', 'catalog', 'demo.json'), 'utf8')).items.find((i) => i.code === 'XZ-MZ-001').name; // from the demo catalog
  const app3 = await applyMarriage(citizen);
  await act(clerk, app3.number, 'accept');
  await act(reviewer, app3.number, 'review');
  await act(reviewer, app3.number, 'approve');
  const j = await citizen.get(`/api/v1/reviews/${app3.id}`);
  assert.equal(j.body.item_name, zhName);
  const zh = await citizen.get(`/reviews/${app3.id}`, { json: false });
  assert.match(zh.text, new RegExp(`${T.zh.review.item}: <strong>${zhName.replace(/[（）]/g, '.')}</strong>`));
  assert.doesNotMatch(zh.text, /XZ-MZ-001/);
  const bo = await citizen.get(`/reviews/${app3.id}?lang=bo`, { json: false });
  assert.ok(bo.text.includes(`<strong>${boName}</strong>`), 'the Tibetan name');
  await citizen.get(`/reviews/${app3.id}?lang=zh`, { json: false }); /* back to Chinese */
  // A rating from the page comes back with its confirmation (the layout's done.*).
  const csrf = await citizen.pageCsrf();
  const rated = await citizen.request('POST', `/reviews/${app3.id}`, { json: false, form: { level: '1', comment: '太慢', _csrf: csrf } });
  assert.equal(rated.status, 303, rated.text);
  assert.equal(rated.location, `/reviews/${app3.id}?done=rating_saved`);
  const after = await citizen.get(rated.location, { json: false });
  assert.match(after.text, new RegExp(`<p class="flash" role="status">${T.zh.done.rating_saved}</p>`));
  // The department's task list names the service too, and answering says so.
  const tasks = await reviewer.get('/workbench/rectifications?status=open', { json: false });
  assert.ok(tasks.text.includes(`<strong>${zhName}</strong>`), 'the task names the service');
  const task = (await reviewer.get('/api/v1/workbench/rectifications?status=open')).body.tasks.find((t) => t.application_id === app3.id);
  const answered = await reviewer.request('POST', `/workbench/rectifications/${task.id}/respond`, { json: false, form: { response: '已整改', _csrf: await reviewer.pageCsrf() } });
  assert.equal(answered.status, 303);
  assert.equal(answered.location, '/workbench/rectifications?done=rectification_answered');
  // The statistics: a row per service by name, in zh and bo.
  const pub = await new Client().get('/ratings', { json: false });
  assert.ok(pub.text.includes(`<th scope="row">${zhName}</th>`), 'the statistics name the service');
  assert.doesNotMatch(pub.text, /<th scope="row">XZ-/);
  const pubBo = await new Client().get('/ratings?lang=bo', { json: false });
  assert.ok(pubBo.text.includes(`<th scope="row">${boName}</th>`));
  const api = await new Client().get('/api/v1/ratings');
  assert.equal(api.body.items.find((i) => i.item_code === 'XZ-MZ-001').item_name, zhName);
});
