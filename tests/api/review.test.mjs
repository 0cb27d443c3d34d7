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
import { createHmac } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, startServer, backend, catalog } from '../lib/server.mjs';

const FAST = ['--insecure-fast-passwords', '1'];
const T = { zh: catalog('zh'), en: catalog('en') };
const DEMO_PASSWORD = 'Demo-2026-xz';
const DEMO_CITIZEN_ID = '540102199001011233';
const DEMO_TOTP = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const CHENGGUAN = '540102000000';

let srv, tmp, dbUrl, pgName;
const PG_URL = process.env.ONEWINDOW_TEST_PG_URL;
const psql = (url, q) => spawnSync('psql', [url, '-XAtq', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', q], { encoding: 'utf8' });
function sql(query) {
  const r = backend() === 'postgresql'
    ? psql(dbUrl, query)
    : spawnSync('sqlite3', ['-batch', '-noheader', '-separator', '\t', dbUrl.slice('sqlite:'.length), query], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${query}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

// ---- TOTP (RFC 6238) for the demo staff ----------------------------------------------------
function base32Decode(s) {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, acc = 0;
  const out = [];
  for (const ch of s.replace(/=+$/, '')) {
    acc = (acc << 5) | A.indexOf(ch);
    bits += 5;
    if (bits >= 8) { out.push((acc >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  return Buffer.from(out);
}
function totp(secret, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}
const usedStep = new Map();
function freshCode(account) {
  const now = Math.floor(Date.now() / 30000);
  const step = Math.max(now, (usedStep.get(account) ?? -Infinity) + 1);
  assert.ok(step <= now + 1, `test bug: ${account} needs a code two steps ahead`);
  usedStep.set(account, step);
  return totp(DEMO_TOTP, step);
}

// ---- a client with a cookie jar ------------------------------------------------------------
class Client {
  constructor() { this.jar = new Map(); }
  async request(method, path, { form, multipart, json = true, csrf } = {}) {
    const headers = {};
    if (json) headers.accept = 'application/json';
    if (this.jar.size) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (csrf) headers['x-csrf-token'] = csrf;
    let body;
    if (form !== undefined) {
      body = new URLSearchParams(form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (multipart !== undefined) {
      body = multipart;
    }
    const res = await fetch(`${srv.url}${path}`, { method, headers, body, redirect: 'manual' });
    for (const raw of res.headers.getSetCookie()) {
      const [pair, ...attrs] = raw.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const [k, v] = [pair.slice(0, eq), pair.slice(eq + 1)];
      if (v === '' || attrs.some((a) => a.toLowerCase() === 'max-age=0')) this.jar.delete(k);
      else this.jar.set(k, v);
    }
    const text = await res.text();
    let parsed = null;
    if (/json/.test(res.headers.get('content-type') || '')) {
      try { parsed = JSON.parse(text); } catch { parsed = null; }
    }
    return { status: res.status, text, body: parsed, location: res.headers.get('location') };
  }
  get(path, opts) { return this.request('GET', path, opts); }
  async token() {
    const r = await this.get('/api/v1/account');
    if (r.status === 200 && r.body.csrf) return r.body.csrf;
    const l = await this.get('/login');
    return l.body.csrf;
  }
  async post(path, form, opts = {}) {
    return this.request('POST', path, { ...opts, form, csrf: await this.pageCsrf() });
  }
  async pageCsrf() {
    const r = await this.get('/api/v1/messages');
    if (r.status === 200) return r.body.csrf;
    return (await this.get('/login')).body.csrf;
  }
}

async function login(name, password = DEMO_PASSWORD, staff = false) {
  const c = new Client();
  let r = await c.post('/login', { login: name, password });
  assert.equal(r.status, 303, r.text);
  if (staff) {
    const csrf = (await c.get('/login/second-factor')).body.csrf;
    r = await c.request('POST', '/login/second-factor', { form: { code: freshCode(name) }, csrf });
    assert.equal(r.status, 303, r.text);
  }
  const me = await c.get('/api/v1/account');
  assert.equal(me.status, 200, me.text);
  c.accountId = me.body.account.id;
  return c;
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const idCheck = (f) => '10X98765432'[[...f].reduce((s, c, i) => s + Number(c) * ID_WEIGHTS[i], 0) % 11];
let seq = process.pid % 900;
const idNumber = (birth) => { const f = `540102${birth}${String(++seq % 1000).padStart(3, '0')}`; return f + idCheck(f); };

async function newCitizen() {
  const c = new Client();
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const phone = `135${String((process.pid * 7 + ++seq) % 100000000).padStart(8, '0')}`;
  const r = await c.post('/register', { name: '次仁', id_number: idNumber('19950607'), phone, password, password_again: password });
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
  const fd = new FormData();
  const fields = {
    f_male_name: '扎西多吉', f_male_id: DEMO_CITIZEN_ID, f_female_name: '卓玛', f_female_id: idNumber('19920203'),
    f_appointment_date: inDays(10), f_phone: '13800000001', f_declaration: 'on', _division: CHENGGUAN,
  };
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  for (const key of ['id_card', 'household_register', 'photo'])
    for (let i = 0; i < 3; i++) fd.append(`m_${key}`, new Blob([PDF], { type: 'application/pdf' }), `${key}-${i}.pdf`);
  const r = await c.request('POST', '/api/v1/services/XZ-MZ-001/apply', { multipart: fd, csrf: await c.pageCsrf() });
  assert.equal(r.status, 201, r.text);
  const show = await c.get(`/api/v1/applications/${r.body.number}`);
  assert.equal(show.status, 200, show.text);
  return { number: r.body.number, id: show.body.id };
}

async function act(c, number, action, note = '') {
  const r = await c.post(`/api/v1/applications/${number}/act`, { action, note });
  assert.ok(r.status === 200 || r.status === 303, `${action}: ${r.status} ${r.text}`);
}

let citizen, clerk, reviewer, otherReviewer, otherClerk, app1;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'ow-review-'));
  if (PG_URL) {
    pgName = `ow_review_${process.pid}`;
    const r = psql(PG_URL, `CREATE DATABASE ${pgName}`);
    assert.equal(r.status, 0, `cannot create a PostgreSQL database (psql needed): ${r.stderr}`);
    const u = new URL(PG_URL);
    u.pathname = `/${pgName}`;
    dbUrl = u.toString();
  } else {
    dbUrl = `sqlite:${tmp}/onewindow.db`;
  }
  const common = ['--data', tmp, '--db', dbUrl, ...FAST];
  assert.equal(run(['init', ...common]).status, 0);
  const demo = run(['demo', ...common]);
  assert.equal(demo.status, 0, demo.stderr);
  srv = await startServer({ init: false, data: tmp, db: dbUrl, args: FAST });
  citizen = await login(DEMO_CITIZEN_ID);
  clerk = await login('clerk.chengguan', DEMO_PASSWORD, true);
  reviewer = await login('reviewer.chengguan', DEMO_PASSWORD, true);
  otherReviewer = await login('reviewer.lhasa', DEMO_PASSWORD, true);
  otherClerk = await login('clerk.lhasa', DEMO_PASSWORD, true);
  app1 = await applyMarriage(citizen);
});

after(async () => {
  if (srv) {
    const r = await srv.stop();
    assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
  }
  if (pgName) psql(PG_URL, `DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
  rmSync(tmp, { recursive: true, force: true });
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
