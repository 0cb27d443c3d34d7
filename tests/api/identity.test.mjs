// tests/api/identity.test.mjs - unified identity over HTTP (issue 3, parts 1, 2, 3 and 5):
// registration with GB 11643 ID numbers and every field error at once, login by ID number,
// phone or staff username, generic failures, throttling per (account, address) that an
// attacker cannot turn into a lock-out, CSRF, session fixation, logout, "log out
// everywhere", password change, TOTP for staff and recovery codes for everyone, IDOR and
// the administration pages, the audit trail and personal data at rest.
//
// One server for the file, on a database of its own: a fresh SQLite file, or in the
// PostgreSQL pass a fresh database made with psql (the shared one may have been
// initialised by another file, and then `init` prints no first password; and the
// keyring lives in the data directory, so sealed columns written by another file's server
// do not open here). `init` and `demo` are run by the test, `init`'s stdout gives the
// first administrator's one-time password. Every command and the server run with
// --insecure-fast-passwords 1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { backend, catalog } from '../lib/server.mjs';
import { Client as BaseClient, DEMO_PASSWORD, DEMO_TOTP } from '../lib/client.mjs';
import { demoServer } from '../lib/db.mjs';
import { totp } from '../lib/totp.mjs';
import { idNumbers, phones, maskId, maskPhone, withIdCheck } from '../lib/ids.mjs';

const T = { zh: catalog('zh') };
const DEMO_CITIZEN = { id: '540102199001011233', phone: '13800000001', name: '扎西多吉' };

// ---- ID numbers, phones, TOTP -------------------------------------------------------------

// A valid, unique ID number: Chengguan district, a birth date and a sequence from a counter
// seeded by the process id, so that no other file (or run) makes the same.
const newIdNumber = idNumbers({ birth: '19850607', seed: process.pid % 9000 });
const newPhone = phones('139');

const nowStep = () => Math.floor(Date.now() / 30000);
// A step is accepted once per account, and the server accepts the steps next to its own:
// use the current step, or the one after the last used. (Each account here needs at most
// two codes in a row, so nothing ever waits.)
const usedStep = new Map();
function freshCode(account, secret) {
  const step = Math.max(nowStep(), (usedStep.get(account) ?? -Infinity) + 1);
  assert.ok(step <= nowStep() + 1, `test bug: ${account} would need a code two steps ahead`);
  usedStep.set(account, step);
  return { code: totp(step, secret), step };
}

// ---- a client with a cookie jar and a source address ---------------------------------------

let srv;

class Client extends BaseClient {
  // localAddress: the source address (any of 127/8 on loopback), for throttling tests.
  constructor({ localAddress = '127.0.0.1', lang } = {}) {
    super(srv, { localAddress, lang });
  }

  // The CSRF token forms carry: read from a form page's model (the session's once logged in).
  async csrf(page = '/login') {
    const token = await super.csrf(page);
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    return token;
  }
  async register(fields, opts) {
    return this.submit('/register', fields, { page: '/register', ...opts });
  }
  async login(login, password, opts) {
    return this.submit('/login', { login, password }, opts);
  }
  async secondFactor(code) {
    return this.submit('/login/second-factor', { code }, { page: '/login/second-factor' });
  }
  async account() {
    return this.get('/api/v1/account');
  }
  async logout() {
    return this.submit('/logout', {}, { page: '/api/v1/account' });
  }
}

// Staff (or TOTP) login: password, then the next fresh TOTP code; asserts each step.
async function loginWithTotp(c, login, password, secret) {
  const r = await c.login(login, password);
  assert.equal(r.status, 303, r.text);
  assert.equal(r.location, '/login/second-factor?next=%2Faccount');
  const { code } = freshCode(login, secret);
  const r2 = await c.secondFactor(code);
  assert.equal(r2.status, 303, r2.text);
  assert.equal(r2.location, '/account');
  return r2;
}

// A citizen registered for one test: {id, phone, password, name, client (logged in), accountId}.
async function newCitizen(name = '测试公民') {
  const c = new Client();
  const person = { id: newIdNumber(), phone: newPhone(), password: `pw-${Math.random().toString(36).slice(2)}`, name };
  const r = await c.register({ name, id_number: person.id, phone: person.phone, password: person.password, password_again: person.password });
  assert.equal(r.status, 303, r.text);
  const me = await c.account();
  assert.equal(me.status, 200);
  registered.push(person);
  return { ...person, client: c, accountId: me.body.account.id };
}

// ---- the database, for the audit trail and data at rest ---------------------------------------

let tmp, dbUrl, db, adminPassword, initOut;

// Rows of a query as arrays of strings (NULL as '').
const sql = (query) => db.sql(query);

before(async () => {
  db = await demoServer('identity');
  ({ srv, data: tmp, db: dbUrl } = db);
  initOut = db.init.stdout;
  adminPassword = (/^first administrator: username admin, one-time password (\S+) /m.exec(initOut) || [])[1];
});

after(async () => {
  if (srv) {
    const r = await db.stop();
    assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
  }
});

// Everything registered here, to look for at rest and in responses.
const registered = [];

// ---- registration ---------------------------------------------------------------------------

test('register: 303 to /account with an HttpOnly SameSite=Lax session; the account shows masked data only', async () => {
  const c = new Client();
  const person = { id: newIdNumber(), phone: newPhone(), password: 'correct horse battery', name: '次仁' };
  registered.push(person);
  const form = await c.get('/register', { json: false });
  assert.equal(form.status, 200);
  assert.match(form.text, /<form method="post" action="\/register"/);
  const csrfCookie = form.cookies.ow_csrf;
  assert.ok(csrfCookie, 'the form page sets ow_csrf');
  assert.ok(csrfCookie.attrs.includes('httponly') && csrfCookie.attrs.includes('samesite=lax'));
  const token = /name="_csrf" value="([^"]+)"/.exec(form.text)[1];
  assert.equal(token, csrfCookie.value, 'double submit: the form carries the cookie\'s token');

  const r = await c.post('/register', {
    _csrf: token, name: person.name, id_number: person.id, phone: person.phone,
    password: person.password, password_again: person.password,
  }, { json: false });
  assert.equal(r.status, 303, r.text);
  assert.equal(r.location, '/account');
  const s = r.cookies.ow_session;
  assert.ok(s, 'a session cookie');
  assert.match(s.value, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(s.attrs.includes('httponly'), s.raw);
  assert.ok(s.attrs.includes('samesite=lax'), s.raw);
  assert.ok(s.attrs.includes('path=/'), s.raw);

  const me = await c.account();
  assert.equal(me.status, 200);
  assert.equal(me.headers['cache-control'], 'no-store');
  assert.match(me.body.account.id, /^\d+$/);
  assert.deepEqual({ ...me.body.account, id: undefined }, {
    id: undefined, kind: 'citizen', name: person.name, totp_enabled: false, lang: 'zh',
    id_number: maskId(person.id), phone: maskPhone(person.phone),
  });
  assert.equal(me.body.is_staff, false);
  const page = await c.get('/account', { json: false });
  assert.equal(page.status, 200);
  assert.ok(page.text.includes(`<code>${maskId(person.id)}</code>`), 'the page shows the masked ID number');
  assert.ok(page.text.includes(`<code>${maskPhone(person.phone)}</code>`));
  for (const body of [me.text, page.text, r.text]) {
    assert.ok(!body.includes(person.id), 'the full ID number is never shown');
    assert.ok(!body.includes(person.phone), 'the full phone number is never shown');
    assert.ok(!body.includes(person.id.slice(4, 14)), 'nor the birth date and sequence');
    assert.ok(!body.includes(person.password));
  }
});

test('register: every field error at once (422), values kept except passwords', async () => {
  const c = new Client();
  const good = newIdNumber();
  const badCheck = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
  const r = await c.register({ name: '卓玛', id_number: badCheck, phone: '12345', password: 'short', password_again: 'shorter' });
  assert.equal(r.status, 422, r.text);
  assert.deepEqual(r.body.errors.map((e) => [e.field, e.code]), [
    ['id_number', 'identity.id_check'],
    ['phone', 'identity.phone_invalid'],
    ['password', 'identity.password_short'],
    ['password_again', 'identity.password_mismatch'],
  ]);
  for (const e of r.body.errors) assert.equal(e.message, T.zh.errors.identity[e.code.split('.')[1]], e.code);
  assert.deepEqual(r.body.field_errors, Object.fromEntries(r.body.errors.map((e) => [e.field, e.message])));
  assert.deepEqual(r.body.values, { name: '卓玛', id_number: badCheck, phone: '12345' });
  assert.equal(r.body.has_errors, true);
  assert.ok(!r.text.includes('shorter') && !r.text.includes('"short"'), 'passwords are not sent back');
  assert.equal(r.cookies.ow_session, undefined, 'no session');

  // The page: a summary listing every error (linked to its field), each field marked, the
  // values in the inputs, the password inputs empty.
  const page = await c.register({ name: '', id_number: 'abc', phone: '', password: 'longenough1', password_again: 'longenough2' }, { json: false });
  assert.equal(page.status, 422);
  const summary = /<div class="error-summary" role="alert"[^>]*>([\s\S]*?)<\/div>/.exec(page.text);
  assert.ok(summary, 'an error summary');
  const links = [...summary[1].matchAll(/<li><a href="#([a-z_]+)">([^<]+)<\/a><\/li>/g)].map((m) => [m[1], m[2]]);
  assert.deepEqual(links, [
    ['name', T.zh.errors.identity.name_missing],
    ['id_number', T.zh.errors.identity.id_length],
    ['phone', T.zh.errors.identity.phone_invalid],
    ['password_again', T.zh.errors.identity.password_mismatch],
  ]);
  assert.match(page.text, /<input id="id_number" name="id_number"[^>]* value="abc"/);
  assert.match(page.text, /<input id="password" name="password" type="password"(?![^>]*value=)[^>]*>/);
  assert.ok(!page.text.includes('longenough'), 'passwords are not sent back');
  assert.equal((page.text.match(/class="field has-error"/g) || []).length, 4);
});

test('register: a password containing the ID number is refused', async () => {
  const c = new Client();
  const id = newIdNumber();
  const r = await c.register({ name: '多吉', id_number: id, phone: newPhone(), password: `x${id}`, password_again: `x${id}` });
  assert.equal(r.status, 422);
  assert.deepEqual(r.body.errors.map((e) => [e.field, e.code]), [['password', 'identity.password_personal']]);
  assert.equal(r.body.errors[0].message, T.zh.errors.identity.password_personal);
});

test('register: a registered ID number is id_taken, also as lower-case x or the 15-digit form', async () => {
  const c = new Client();
  // GB 11643's own example; the 15-digit 110105491231002 is the same person (19 + check X).
  const first = await c.register({ name: '示例', id_number: '11010519491231002x', phone: newPhone(), password: 'password-one', password_again: 'password-one' });
  assert.equal(first.status, 303, first.text);
  registered.push({ id: '11010519491231002X' });
  const me = await c.account();
  assert.equal(me.body.account.id_number, '1101**********002X', 'stored upper case');
  for (const id of ['11010519491231002X', '11010519491231002x', '110105491231002', DEMO_CITIZEN.id]) {
    const r = await new Client().register({ name: '另一人', id_number: id, phone: newPhone(), password: 'password-two', password_again: 'password-two' });
    assert.equal(r.status, 422, id);
    assert.deepEqual(r.body.errors.map((e) => [e.field, e.code]), [['id_number', 'identity.id_taken']], id);
  }
});

test('register: GB 11643 examples and every kind of ID number error', async () => {
  // 440524188001010014 is valid (born 1880); 110105194912310021 has a wrong check digit.
  const ok = await new Client().register({ name: '示例二', id_number: '440524188001010014', phone: newPhone(), password: 'password-one', password_again: 'password-one' });
  assert.equal(ok.status, 303, ok.text);
  registered.push({ id: '440524188001010014' });
  const cases = [
    ['110105194912310021', 'identity.id_check'],
    ['1101051949123100', 'identity.id_length'],
    ['1101051949123100211', 'identity.id_length'],
    ['1101051949X231002X', 'identity.id_chars'],
    ['11010519491231002Y', 'identity.id_chars'],
    ['110105194913310021', 'identity.id_birth_date'],
    ['110105194902300021', 'identity.id_birth_date'],
    [(() => { const f = `540102${new Date().getFullYear() + 1}0101001`; return withIdCheck(f); })(), 'identity.id_birth_date'],
  ];
  for (const [id, code] of cases) {
    const r = await new Client().register({ name: '示例', id_number: id, phone: newPhone(), password: 'password-one', password_again: 'password-one' });
    assert.equal(r.status, 422, id);
    assert.deepEqual(r.body.errors.map((e) => [e.field, e.code]), [['id_number', code]], id);
  }
});

test('register: next goes to a local path only (no open redirect)', async () => {
  for (const [next, want] of [['/divisions', '/divisions'], ['//evil.example/x', '/account'], ['https://evil.example/', '/account'], ['/\\evil.example', '/account']]) {
    const c = new Client();
    const id = newIdNumber();
    const r = await c.register({ name: '跳转', id_number: id, phone: newPhone(), password: 'password-one', password_again: 'password-one', next });
    assert.equal(r.status, 303, r.text);
    assert.equal(r.location, want, next);
  }
});

// ---- login ---------------------------------------------------------------------------------

test('login by ID number and by phone (the demo citizen), with next', async () => {
  for (const login of [DEMO_CITIZEN.id, DEMO_CITIZEN.phone, '+86 138-0000-0001']) {
    const c = new Client();
    const r = await c.login(login, DEMO_PASSWORD, { json: false });
    assert.equal(r.status, 303, `${login}: ${r.text}`);
    assert.equal(r.location, '/account');
    assert.ok(r.cookies.ow_session.attrs.includes('httponly'));
    const me = await c.account();
    assert.equal(me.status, 200);
    assert.equal(me.body.account.name, DEMO_CITIZEN.name);
    assert.equal(me.body.account.id_number, '5401**********1233');
    assert.equal(me.body.account.phone, '138****0001');
    for (const s of [DEMO_CITIZEN.id, DEMO_CITIZEN.phone]) assert.ok(!me.text.includes(s));
  }
  const c = new Client();
  const form = await c.get('/login?next=%2Fdivisions%2F540100000000', { json: false });
  assert.match(form.text, /<input type="hidden" name="next" value="\/divisions\/540100000000">/);
  const csrf = await c.csrf('/login?next=%2Fdivisions');
  const r = await c.post('/login', { login: DEMO_CITIZEN.id, password: DEMO_PASSWORD, next: '/divisions', _csrf: csrf });
  assert.equal(r.status, 303);
  assert.equal(r.location, '/divisions');
  for (const next of ['//evil.example', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
    const x = await new Client().submit('/login', { login: DEMO_CITIZEN.id, password: DEMO_PASSWORD, next });
    assert.equal(x.status, 303);
    assert.equal(x.location, '/account', next);
  }
  // The legacy 15-digit form of an ID number finds the same account.
  const legacy = await new Client().login('110105491231002', 'password-one');
  assert.equal(legacy.status, 303, 'login with the 15-digit form of 11010519491231002X');
});

test('markup typed into forms comes back escaped (name, login, ID number)', async () => {
  const evil = '<script>alert("x")</script>&';
  const c = new Client();
  const id = newIdNumber();
  const bad = await c.register({ name: evil, id_number: `${id.slice(0, 17)}"><b>`, phone: newPhone(), password: 'password-one', password_again: 'password-one' }, { json: false });
  assert.equal(bad.status, 422);
  assert.ok(!bad.text.includes('<script>alert') && !bad.text.includes('"><b>'), 'escaped in the form');
  assert.ok(bad.text.includes('&lt;script&gt;'));
  const ok = await c.register({ name: evil, id_number: id, phone: newPhone(), password: 'password-one', password_again: 'password-one' }, { json: false });
  assert.equal(ok.status, 303, ok.text);
  const page = await c.get('/account', { json: false });
  assert.ok(!page.text.includes('<script>alert'), 'escaped on the account page and in the header');
  assert.ok(page.text.includes('&lt;script&gt;alert('));
  assert.equal((await c.account()).body.account.name, evil, 'stored as typed');
  const login = await new Client().login(`"><img src=x onerror=alert(1)>`, 'wrong-password', { json: false });
  assert.equal(login.status, 401);
  assert.ok(!login.text.includes('<img src=x'));
});

test('a wrong password and an unknown login get the same 401 and message', async () => {
  const p = await newCitizen();
  const answers = [];
  for (const [login, password] of [
    [p.id, 'wrong-password'],            // right account, wrong password
    [newIdNumber(), 'wrong-password'],   // a valid ID number nobody registered
    [newPhone(), 'wrong-password'],      // an unknown phone
    ['no.such.user', 'wrong-password'],  // an unknown username
  ]) {
    const c = new Client();
    const r = await c.login(login, password);
    assert.equal(r.status, 401, login);
    assert.equal(r.cookies.ow_session, undefined);
    assert.equal(r.headers['retry-after'], undefined);
    assert.deepEqual(r.body.values, { login });
    answers.push({ error: r.body.error, title: r.body.title, keys: Object.keys(r.body).sort() });
    const page = await c.login(login, password, { json: false });
    assert.equal(page.status, 401);
    assert.ok(page.text.includes(T.zh.errors.identity.login_failed));
  }
  assert.deepEqual(answers[0].error, { code: 'identity.login_failed', message: T.zh.errors.identity.login_failed });
  for (const a of answers.slice(1)) assert.deepEqual(a, answers[0], 'the answer never tells which part was wrong');
});

test('throttling: 5 failures pause the (account, address) pair, not the account from elsewhere, and not for good', async () => {
  const p = await newCitizen('限速');
  const here = new Client();
  for (let i = 1; i <= 5; i++) {
    const r = await here.login(p.phone, `wrong-${i}`);
    assert.equal(r.status, 401, `failure ${i}`);
  }
  // The pair is paused: even the right password is refused, with a short Retry-After.
  const paused = await here.login(p.phone, p.password);
  assert.equal(paused.status, 429, paused.text);
  assert.equal(paused.cookies.ow_session, undefined);
  const retry = Number(paused.headers['retry-after']);
  assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After ${paused.headers['retry-after']}`);
  assert.equal(paused.body.retry_after, retry);
  assert.deepEqual(paused.body.error, { code: 'identity.login_paused', message: T.zh.errors.identity.login_paused });
  // Also by ID number: the same account.
  const byId = await here.login(p.id, p.password);
  assert.equal(byId.status, 429);
  const page = await here.login(p.id, p.password, { json: false });
  assert.equal(page.status, 429);
  assert.ok(page.text.includes(T.zh.errors.identity.login_paused));
  assert.ok(page.headers['retry-after']);

  // The same account from another address logs in at once (X-Forwarded-For is not trusted:
  // the other address is the socket's).
  const spoofed = new Client();
  const r0 = await spoofed.submit('/login', { login: p.phone, password: p.password }, {});
  // (a header cannot move the request to another address)
  assert.equal(r0.status, 429, 'same socket address, still paused');
  const xff = await spoofed.request('POST', '/login', {
    form: { login: p.phone, password: p.password, _csrf: await spoofed.csrf() },
    headers: { 'x-forwarded-for': '203.0.113.9', 'x-real-ip': '203.0.113.9' },
  });
  assert.equal(xff.status, 429, 'X-Forwarded-For is not trusted');
  const there = new Client({ localAddress: '127.0.0.2' });
  const ok = await there.login(p.phone, p.password);
  assert.equal(ok.status, 303, ok.text);
  assert.equal(ok.location, '/account');
  assert.equal((await there.account()).body.account.id, p.accountId);
  // Another account from the paused address is not affected either.
  const other = await new Client().login(DEMO_CITIZEN.id, DEMO_PASSWORD);
  assert.equal(other.status, 303);
});

test('throttling: distributed guessing (5 failures from each of 10 addresses) pauses the account briefly, everywhere', async () => {
  const p = await newCitizen('分布式');
  for (let a = 10; a < 20; a++) {
    const c = new Client({ localAddress: `127.0.0.${a}` });
    for (let i = 0; i < 5; i++) assert.equal((await c.login(p.id, `guess-${a}-${i}`)).status, 401, `127.0.0.${a} #${i}`);
  }
  // 50 failures in all: the account pauses, also for an address that never failed...
  const owner = new Client({ localAddress: '127.0.0.99' });
  const r = await owner.login(p.id, p.password);
  assert.equal(r.status, 429, r.text);
  const retry = Number(r.headers['retry-after']);
  assert.ok(retry >= 1 && retry <= 60, `a short pause, not a lock-out: Retry-After ${r.headers['retry-after']}`);
  // ...but only this account.
  assert.equal((await owner.login(DEMO_CITIZEN.phone, DEMO_PASSWORD)).status, 303);
});

test('throttling: 50 failures from one address pause that address for every login, for at most 15 minutes', async () => {
  const c = new Client({ localAddress: '127.0.0.50' });
  for (let i = 0; i < 50; i++) {
    const r = await c.login(`nobody.${i}`, 'wrong-password');
    assert.equal(r.status, 401, `failure ${i + 1}`);
  }
  const r = await c.login(DEMO_CITIZEN.id, DEMO_PASSWORD);
  assert.equal(r.status, 429, r.text);
  const retry = Number(r.headers['retry-after']);
  assert.ok(retry > 60 && retry <= 900, `Retry-After ${r.headers['retry-after']}`);
  assert.equal(r.body.retry_after, retry);
  // Another address is not concerned.
  assert.equal((await new Client({ localAddress: '127.0.0.51' }).login(DEMO_CITIZEN.id, DEMO_PASSWORD)).status, 303);
});

test('throttling: failures sent in parallel are all counted (the address pauses after 50)', async () => {
  const c = new Client({ localAddress: '127.0.0.60' });
  const csrf = await c.csrf();
  const answers = await Promise.all(Array.from({ length: 60 }, (_, i) =>
    c.post('/login', { login: `nobody.parallel.${i}`, password: 'wrong-password', _csrf: csrf })));
  const statuses = answers.map((a) => a.status);
  assert.ok(statuses.every((s) => s === 401 || s === 429), statuses.join(' '));
  const checked = statuses.filter((s) => s === 401).length;
  const [row] = sql("SELECT failures FROM login_throttle WHERE key = 'ip:127.0.0.60'");
  assert.equal(Number(row?.[0]), checked, `${checked} failed logins were checked, the address counter says ${row?.[0]}`);
  assert.ok(checked <= 50, `${checked} guesses were checked before the pause`);
  const r = await c.login(DEMO_CITIZEN.id, DEMO_PASSWORD);
  assert.equal(r.status, 429, 'after 60 failures the address is paused');
});

// ---- CSRF, fixation, logout -----------------------------------------------------------------

test('CSRF: POST /login without, with a wrong, or with another visitor\'s token is 403 http.csrf', async () => {
  const c = new Client();
  await c.csrf();
  const none = await c.post('/login', { login: DEMO_CITIZEN.id, password: DEMO_PASSWORD });
  const wrong = await c.post('/login', { login: DEMO_CITIZEN.id, password: DEMO_PASSWORD, _csrf: 'A'.repeat(43) });
  const other = new Client();
  const otherToken = await other.csrf();
  const stolen = await c.post('/login', { login: DEMO_CITIZEN.id, password: DEMO_PASSWORD, _csrf: otherToken });
  // The token without its cookie (a forged cross-site form cannot send our cookie's value).
  const noCookie = new Client();
  const bare = await noCookie.post('/login', { login: DEMO_CITIZEN.id, password: DEMO_PASSWORD, _csrf: otherToken });
  for (const [name, r] of Object.entries({ none, wrong, stolen, bare })) {
    assert.equal(r.status, 403, name);
    assert.equal(r.body.code, 'http.csrf', name);
    assert.equal(r.cookies.ow_session, undefined, name);
  }
  const reg = await c.post('/register', { name: '无令牌', id_number: newIdNumber(), phone: newPhone(), password: 'password-one', password_again: 'password-one' });
  assert.equal(reg.status, 403, 'registration needs the token too');
  assert.equal(reg.body.code, 'http.csrf');
  assert.equal(reg.cookies.ow_session, undefined);
  const page = await c.post('/login', { login: DEMO_CITIZEN.id, password: DEMO_PASSWORD }, { json: false });
  assert.equal(page.status, 403);
  assert.ok(page.text.includes(T.zh.errors.http.csrf));
  // A logged-in session's forms need the session's token, not the anonymous cookie's.
  const s = new Client();
  const anon = await s.csrf();
  assert.equal((await s.login(DEMO_CITIZEN.id, DEMO_PASSWORD)).status, 303);
  const r = await s.post('/account/logout-all', { _csrf: anon });
  assert.equal(r.status, 403);
  for (const path of ['/logout', '/account/password', '/account/totp', '/account/totp/disable']) {
    const x = await s.post(path, { old_password: DEMO_PASSWORD, password: 'x-new-password', password_again: 'x-new-password', code: '123456' });
    assert.equal(x.status, 403, path);
    assert.equal(x.body.code, 'http.csrf', path);
  }
  assert.equal((await s.account()).status, 200, 'still logged in');
  assert.equal((await new Client().login(DEMO_CITIZEN.id, DEMO_PASSWORD)).status, 303, 'the password did not change');
});

test('session fixation: a session cookie held before login is replaced and dies', async () => {
  // An attacker plants their own valid session (or a made-up token) in the victim's browser.
  const attacker = await newCitizen('攻击者');
  const planted = attacker.client.cookie('ow_session');
  const victim = new Client();
  victim.setCookie('ow_session', planted);
  assert.equal((await victim.account()).body.account.id, attacker.accountId);
  const r = await victim.login(DEMO_CITIZEN.id, DEMO_PASSWORD);
  assert.equal(r.status, 303, r.text);
  const fresh = r.cookies.ow_session?.value;
  assert.ok(fresh && fresh !== planted, 'a new session token at login');
  assert.equal((await victim.account()).body.account.name, DEMO_CITIZEN.name);
  // The planted value is now worthless: neither the attacker nor anyone is logged in by it.
  const replay = new Client();
  replay.setCookie('ow_session', planted);
  const gone = await replay.account();
  assert.equal(gone.status, 401);
  assert.equal(gone.body.code, 'identity.login_required');

  const made = new Client();
  const madeUp = 'x'.repeat(43);
  made.setCookie('ow_session', madeUp);
  const r2 = await made.login(DEMO_CITIZEN.id, DEMO_PASSWORD);
  assert.equal(r2.status, 303);
  assert.notEqual(r2.cookies.ow_session.value, madeUp);
});

test('logout ends the session on the server: the old cookie replayed is anonymous', async () => {
  const c = new Client();
  assert.equal((await c.login(DEMO_CITIZEN.phone, DEMO_PASSWORD)).status, 303);
  const cookie = c.cookie('ow_session');
  const out = await c.logout();
  assert.equal(out.status, 303);
  assert.equal(out.location, '/');
  assert.ok(out.cookies.ow_session.attrs.includes('max-age=0'), 'the cookie is cleared');
  const replay = new Client();
  replay.setCookie('ow_session', cookie);
  const r = await replay.account();
  assert.equal(r.status, 401);
  const page = await replay.get('/account', { json: false });
  assert.equal(page.status, 303);
  assert.equal(page.location, '/login?next=%2Faccount');
});

test('log out everywhere ends every session of the account, and only of that account', async () => {
  const p = await newCitizen('多设备');
  const phone = new Client();
  assert.equal((await phone.login(p.id, p.password)).status, 303);
  const bystander = new Client();
  assert.equal((await bystander.login(DEMO_CITIZEN.id, DEMO_PASSWORD)).status, 303);
  assert.equal((await p.client.account()).status, 200);
  assert.equal((await phone.account()).status, 200);
  const r = await p.client.submit('/account/logout-all', {}, { page: '/api/v1/account' });
  assert.equal(r.status, 303);
  assert.equal(r.location, '/login');
  assert.equal((await phone.account()).status, 401, 'the other device is logged out');
  assert.equal((await p.client.account()).status, 401, 'and this one');
  assert.equal((await bystander.account()).status, 200, 'another account keeps its session');
});

test('a password change ends the other sessions, keeps this one, and the old password stops working', async () => {
  const p = await newCitizen('改密码');
  const other = new Client();
  assert.equal((await other.login(p.phone, p.password)).status, 303);
  const before = p.client.cookie('ow_session');

  const bad = await p.client.submit('/account/password', { old_password: 'not-it', password: 'short', password_again: 'other' }, { page: '/api/v1/account' });
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.body.password_errors.map((e) => e.code), ['identity.password_wrong', 'identity.password_short', 'identity.password_mismatch']);
  assert.equal((await other.account()).status, 200, 'nothing changed yet');

  const newPassword = 'a brand new password';
  const r = await p.client.submit('/account/password', { old_password: p.password, password: newPassword, password_again: newPassword }, { page: '/api/v1/account' });
  assert.equal(r.status, 303, r.text);
  assert.equal(r.location, '/account?done=password');
  assert.notEqual(p.client.cookie('ow_session'), before, 'this session is renewed');
  assert.equal((await p.client.account()).status, 200, 'and still logged in');
  assert.equal((await other.account()).status, 401, 'the other session ended');
  const stale = new Client();
  stale.setCookie('ow_session', before);
  assert.equal((await stale.account()).status, 401, 'the old cookie of this browser too');
  assert.equal((await new Client().login(p.id, p.password)).status, 401, 'the old password');
  assert.equal((await new Client().login(p.id, newPassword)).status, 303, 'the new password');
  p.password = newPassword;
});

// ---- staff and TOTP -------------------------------------------------------------------------

let clerkClient; // clerk.lhasa at aal 2, for the IDOR test

test('staff need TOTP: password → second factor; the half session reaches nothing else', async () => {
  const c = new Client();
  const r = await c.login('clerk.lhasa', DEMO_PASSWORD, { json: false });
  assert.equal(r.status, 303, r.text);
  assert.equal(r.location, '/login/second-factor?next=%2Faccount');
  const half = r.cookies.ow_session.value;
  assert.ok(r.cookies.ow_session.attrs.includes('httponly'));
  // The half session (aal 0) is not a login.
  const page = await c.get('/account', { json: false });
  assert.equal(page.status, 303);
  assert.equal(page.location, '/login?next=%2Faccount');
  assert.equal((await c.account()).status, 401);
  assert.equal((await c.get('/admin')).status, 401);
  const sf = await c.get('/login/second-factor');
  assert.equal(sf.status, 200);
  assert.equal(sf.body.title, T.zh.identity.second_factor.title);

  const { code } = freshCode('clerk.lhasa', DEMO_TOTP);
  const ok = await c.secondFactor(code);
  assert.equal(ok.status, 303, ok.text);
  assert.equal(ok.location, '/account');
  assert.notEqual(c.cookie('ow_session'), half, 'a new session at the second factor');
  const me = await c.account();
  assert.equal(me.status, 200);
  assert.equal(me.body.is_staff, true);
  assert.equal(me.body.account.kind, 'staff');
  assert.equal(me.body.account.username, 'clerk.lhasa');
  assert.equal(me.body.account.totp_enabled, true);
  // The half session's cookie died with the rotation.
  const old = new Client();
  old.setCookie('ow_session', half);
  assert.equal((await old.get('/login/second-factor', { json: false })).status, 303);
  clerkClient = c;
});

test('TOTP: a wrong code is 401; the code of a step already used is refused; the next step works', async () => {
  // Wrong code.
  const c = new Client();
  assert.equal((await c.login('clerk.lhasa', DEMO_PASSWORD)).status, 303);
  const used = usedStep.get('clerk.lhasa');
  assert.ok(used !== undefined, 'runs after the staff login test');
  const wrongCode = String((Number(totp(used + 1, DEMO_TOTP)) + 1) % 1000000).padStart(6, '0');
  const wrong = await c.secondFactor(wrongCode === totp(used, DEMO_TOTP) ? '000000' : wrongCode);
  assert.equal(wrong.status, 401, wrong.text);
  assert.deepEqual(wrong.body.error, { code: 'identity.code_wrong', message: T.zh.errors.identity.code_wrong });
  assert.equal((await c.account()).status, 401);
  // The code of the step used by the previous login: refused though it is still current.
  const reused = await c.secondFactor(totp(used, DEMO_TOTP));
  assert.equal(reused.status, 401, 'a TOTP step is accepted once');
  assert.equal((await c.account()).status, 401);
  // The next step's code is accepted.
  const { code } = freshCode('clerk.lhasa', DEMO_TOTP);
  const ok = await c.secondFactor(code);
  assert.equal(ok.status, 303, ok.text);
  assert.equal((await c.account()).body.account.username, 'clerk.lhasa');
  // And is itself spent.
  const c2 = new Client();
  assert.equal((await c2.login('clerk.lhasa', DEMO_PASSWORD)).status, 303);
  assert.equal((await c2.secondFactor(code)).status, 401);
});

test('the second-factor page without a half session sends to /login', async () => {
  const c = new Client();
  const r = await c.get('/login/second-factor', { json: false });
  assert.equal(r.status, 303);
  assert.equal(r.location, '/login');
  const p = await c.post('/login/second-factor', { code: '123456', _csrf: await c.csrf() });
  assert.equal(p.status, 303);
  assert.equal(p.location, '/login');
});

let totpCitizen; // {…, secret, codes}

test('a citizen turns TOTP on: secret from the page, 10 recovery codes shown once', async () => {
  const p = await newCitizen('两步验证');
  const c = p.client;
  const form = await c.get('/account/totp');
  assert.equal(form.status, 200);
  assert.equal(form.headers['cache-control'], 'no-store');
  const secret = form.body.secret;
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.equal(form.body.secret_grouped, secret.match(/.{4}/g).join(' '));
  const uri = new URL(form.body.uri);
  assert.equal(uri.protocol, 'otpauth:');
  assert.equal(uri.searchParams.get('secret'), secret);
  assert.ok(!form.body.uri.includes(p.phone), 'the label does not carry the full phone number');
  // The HTML form carries the same secret in a hidden field.
  const html = await c.get('/account/totp', { json: false });
  assert.match(html.text, /<input type="hidden" name="secret" value="[A-Z2-7]{32}">/);

  const wrong = await c.submit('/account/totp', { secret, code: '000000' === totp(nowStep(), secret) ? '111111' : '000000' }, { page: '/api/v1/account' });
  assert.equal(wrong.status, 422);
  assert.equal(wrong.body.error.code, 'identity.code_wrong');
  assert.equal((await c.account()).body.account.totp_enabled, false);

  const { code } = freshCode(`citizen:${p.accountId}`, secret);
  const r = await c.submit('/account/totp', { secret, code }, { page: '/api/v1/account' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.codes.length, 10);
  for (const rc of r.body.codes) assert.match(rc, /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
  assert.equal(new Set(r.body.codes).size, 10);
  assert.equal(r.body.next, '/account');
  assert.equal((await c.account()).body.account.totp_enabled, true);
  totpCitizen = { ...p, secret, codes: r.body.codes };
});

test('recovery codes: one logs in once; the same code again is refused', async () => {
  const p = totpCitizen;
  assert.ok(p, 'runs after the TOTP set-up test');
  const c = new Client();
  const r = await c.login(p.phone, p.password);
  assert.equal(r.status, 303);
  assert.equal(r.location, '/login/second-factor?next=%2Faccount', 'TOTP users need the second step too');
  assert.equal((await c.account()).status, 401);
  const ok = await c.secondFactor(p.codes[3].toUpperCase().replace('-', ' '));
  assert.equal(ok.status, 303, `a recovery code, however typed: ${ok.text}`);
  assert.equal((await c.account()).body.account.id, p.accountId);

  const c2 = new Client();
  assert.equal((await c2.login(p.id, p.password)).status, 303);
  const again = await c2.secondFactor(p.codes[3]);
  assert.equal(again.status, 401, 'a recovery code works once');
  assert.equal((await c2.account()).status, 401);
  const other = await c2.secondFactor(p.codes[4]);
  assert.equal(other.status, 303, 'another unused code still works');
});

test('second factor: 5 wrong codes pause that (account, address); the right code still works from elsewhere', async () => {
  const c = new Client();
  assert.equal((await c.login('hotline.xz', DEMO_PASSWORD)).status, 303);
  const good = new Set([-1, 0, 1].map((d) => totp(nowStep() + d, DEMO_TOTP)));
  const wrongCodes = ['000001', '000002', '000003', '000004', '000005', '000006', '000007'].filter((x) => !good.has(x)).slice(0, 5);
  for (const code of wrongCodes) assert.equal((await c.secondFactor(code)).status, 401, code);
  const paused = await c.secondFactor(totp(nowStep(), DEMO_TOTP));
  assert.equal(paused.status, 429, 'paused: even the right code is refused');
  assert.equal(paused.body.error.code, 'identity.login_paused');
  assert.equal((await c.account()).status, 401);
  // The pause did not spend the step: another address logs in with a code at once.
  const there = new Client({ localAddress: '127.0.0.3' });
  await loginWithTotp(there, 'hotline.xz', DEMO_PASSWORD, DEMO_TOTP);
  assert.equal((await there.account()).body.account.username, 'hotline.xz');
});

test('second factor: a pause says when to retry (Retry-After)', async () => {
  const c = new Client();
  assert.equal((await c.login('hotline.xz', DEMO_PASSWORD)).status, 303);
  const r = await c.secondFactor('000008');
  assert.equal(r.status, 429, 'still paused from the previous test');
  const retry = Number(r.headers['retry-after']);
  assert.ok(retry >= 1 && retry <= 60, `Retry-After ${r.headers['retry-after']}`);
  assert.equal(r.body.retry_after, retry);
});

test('races: one TOTP code or recovery code sent twice at once logs in once', async () => {
  const a = new Client(), b = new Client();
  assert.equal((await a.login('reviewer.xz', DEMO_PASSWORD)).status, 303);
  assert.equal((await b.login('reviewer.xz', DEMO_PASSWORD)).status, 303);
  const { code } = freshCode('reviewer.xz', DEMO_TOTP);
  const ca = await a.csrf('/login/second-factor'), cb = await b.csrf('/login/second-factor');
  const both = await Promise.all([a.post('/login/second-factor', { code, _csrf: ca }), b.post('/login/second-factor', { code, _csrf: cb })]);
  assert.deepEqual(both.map((r) => r.status).sort(), [303, 401], 'exactly one wins');

  const p = totpCitizen;
  const x = new Client(), y = new Client();
  assert.equal((await x.login(p.id, p.password)).status, 303);
  assert.equal((await y.login(p.id, p.password)).status, 303);
  const cx = await x.csrf('/login/second-factor'), cy = await y.csrf('/login/second-factor');
  const two = await Promise.all([x.post('/login/second-factor', { code: p.codes[7], _csrf: cx }), y.post('/login/second-factor', { code: p.codes[7], _csrf: cy })]);
  assert.deepEqual(two.map((r) => r.status).sort(), [303, 401], 'a recovery code is spent once');
});

test('races: one ID number registered twice at once gives one account and one id_taken', async () => {
  const id = newIdNumber();
  const a = new Client(), b = new Client();
  const ca = await a.csrf('/register'), cb = await b.csrf('/register');
  const form = { name: '并发', id_number: id, password: 'password-one', password_again: 'password-one' };
  const both = await Promise.all([a.post('/register', { ...form, phone: newPhone(), _csrf: ca }), b.post('/register', { ...form, phone: newPhone(), _csrf: cb })]);
  assert.deepEqual(both.map((r) => r.status).sort(), [303, 422], both.map((r) => r.text).join('\n'));
  const loser = both.find((r) => r.status === 422);
  assert.deepEqual(loser.body.errors.map((e) => e.code), ['identity.id_taken']);
  registered.push({ id });
});

test('a citizen turns TOTP off with a current code; then the password alone logs in', async () => {
  const p = totpCitizen;
  const c = new Client();
  assert.equal((await c.login(p.phone, p.password)).status, 303);
  assert.equal((await c.secondFactor(p.codes[0])).status, 303);
  const wrong = await c.submit('/account/totp/disable', { code: '999999' === totp(nowStep(), p.secret) ? '999998' : '999999' }, { page: '/api/v1/account' });
  assert.equal(wrong.status, 422);
  assert.equal(wrong.body.totp_error.code, 'identity.code_wrong');
  assert.equal((await c.account()).body.account.totp_enabled, true);
  const { code } = freshCode(`citizen:${p.accountId}`, p.secret);
  const off = await c.submit('/account/totp/disable', { code }, { page: '/api/v1/account' });
  assert.equal(off.status, 303, off.text);
  assert.equal(off.location, '/account?done=totp_off');
  assert.equal((await c.account()).body.account.totp_enabled, false);
  const again = await new Client().login(p.id, p.password);
  assert.equal(again.status, 303);
  assert.equal(again.location, '/account', 'no second step any more');
});

test('a password-only half session cannot replace the second factor through /account/totp', async () => {
  // reviewer.lhasa has TOTP; knowing the password must not be enough to get in.
  const c = new Client();
  const r = await c.login('reviewer.lhasa', DEMO_PASSWORD);
  assert.equal(r.status, 303);
  assert.equal(r.location, '/login/second-factor?next=%2Faccount');
  const form = await c.get('/account/totp');
  assert.equal(form.status, 303, 'no enrolment page for an account that has a second factor');
  assert.equal(form.location, '/login/second-factor?next=%2Faccount%2Ftotp');
  assert.equal(form.body?.secret, undefined);
  const secret = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const enrol = await c.post('/account/totp', { secret, code: totp(nowStep(), secret), _csrf: await c.csrf('/login/second-factor') });
  assert.equal(enrol.status, 303);
  assert.equal(enrol.location, '/login/second-factor?next=%2Faccount%2Ftotp');
  assert.equal(enrol.body?.codes, undefined, 'no recovery codes');
  const me = await c.account();
  assert.equal(me.status, 401, `logged in as ${me.body?.account?.username} with a password and a TOTP secret of the attacker's choosing`);
  // The account's own second factor still works (the secret was not replaced).
  const { code } = freshCode('reviewer.lhasa', DEMO_TOTP);
  assert.equal((await c.secondFactor(code)).status, 303);
  assert.equal((await c.account()).body.account.username, 'reviewer.lhasa');
});

// ---- authorization --------------------------------------------------------------------------

test('IDOR: /api/v1/account is always the caller\'s own; admin pages refuse citizens and clerks', async () => {
  const a = await newCitizen('甲');
  const b = await newCitizen('乙');
  for (const [who, other] of [[a, b], [b, a]]) {
    for (const path of ['/api/v1/account', `/api/v1/account?id=${other.accountId}`, `/api/v1/account?account_id=${other.accountId}`, `/account?id=${other.accountId}`]) {
      const r = await who.client.get(path);
      assert.equal(r.status, 200, path);
      assert.equal(r.body.account.id, who.accountId, path);
      assert.equal(r.body.account.id_number, maskId(who.id), path);
      assert.ok(!r.text.includes(maskId(other.id)) && !r.text.includes(maskPhone(other.phone)), path);
    }
  }
  for (const path of [`/api/v1/account/${b.accountId}`, `/account/${b.accountId}`, `/api/v1/accounts/${b.accountId}`]) {
    const r = await a.client.get(path);
    assert.equal(r.status, 404, path);
    assert.ok(!r.text.includes(b.name), path);
  }

  // A citizen and a clerk (both factors, but not an administrator): 403.
  assert.ok(clerkClient, 'runs after the staff login test');
  for (const [who, c] of [['citizen', a.client], ['clerk.lhasa', clerkClient]]) {
    const r = await c.get('/admin');
    assert.equal(r.status, 403, who);
    assert.equal(r.body.code, 'identity.forbidden', who);
    const page = await c.get('/admin', { json: false });
    assert.equal(page.status, 403, who);
    assert.ok(page.text.includes(T.zh.errors.identity.forbidden));
    for (const [path, form] of [
      ['/admin/departments', { code: `idor-${process.pid}`, name_zh: '越权', division_code: '540100000000' }],
      ['/admin/staff', { username: `idor.${process.pid}`, name: '越权', password: 'Strong-Pass-2026', department: 'ls-mz', role: 'admin' }],
    ]) {
      const p = await c.submit(path, form, { page: '/api/v1/account' });
      assert.equal(p.status, 403, `${who} ${path}`);
    }
  }
  // Anonymous: 401 as JSON, a redirect to the login page as HTML.
  const anon = new Client();
  assert.equal((await anon.get('/admin')).status, 401);
  const page = await anon.get('/admin', { json: false });
  assert.equal(page.status, 303);
  assert.equal(page.location, '/login?next=%2Fadmin');
  const post = await anon.submit('/admin/departments', { code: 'anon', name_zh: '匿名', division_code: '540100000000' });
  assert.equal(post.status, 401);
  const dept = sql(`SELECT code FROM departments WHERE code IN ('idor-${process.pid}', 'anon')`);
  assert.deepEqual(dept, [], 'nothing was created');
  assert.deepEqual(sql(`SELECT username FROM accounts WHERE username = 'idor.${process.pid}'`), []);
});

// ---- administration ----------------------------------------------------------------------

let admin; // {client, secret, codes, accountId}
const DEPT = `idt-${process.pid}`;
const NEW_STAFF = `idt.staff${process.pid}`;

test('the first administrator: one-time password from init, TOTP enrolment at first login', async () => {
  assert.ok(adminPassword, `init printed no first password:\n${initOut}`);
  assert.match(adminPassword, /^[A-Z][a-z][2-9][A-Za-z0-9_-]{16}$/);
  const c = new Client();
  const r = await c.login('admin', adminPassword, { json: false });
  assert.equal(r.status, 303, r.text);
  assert.equal(r.location, '/account/totp?next=%2Faccount', 'staff without TOTP must set it up');
  assert.equal((await c.account()).status, 401, 'not logged in before enrolment');
  assert.equal((await c.get('/admin')).status, 401);
  const form = await c.get('/account/totp?next=%2Fadmin');
  assert.equal(form.status, 200);
  assert.equal(form.body.next, '/admin');
  const html = await c.get('/account/totp', { json: false });
  const secret = /<input type="hidden" name="secret" value="([A-Z2-7]{32})">/.exec(html.text)[1];
  assert.ok(html.text.includes(`<code class="secret">${secret.match(/.{4}/g).join(' ')}</code>`));
  const { code } = freshCode('admin', secret);
  const en = await c.submit('/account/totp', { secret, code, next: '/admin' }, { page: '/account/totp' });
  assert.equal(en.status, 200, en.text);
  assert.equal(en.body.codes.length, 10);
  assert.equal(en.body.next, '/admin', 'back to where the login was going');
  const me = await c.account();
  assert.equal(me.status, 200);
  assert.equal(me.body.account.username, 'admin');
  assert.equal(me.body.account.totp_enabled, true);
  assert.equal(me.body.is_staff, true);
  const page = await c.get('/admin');
  assert.equal(page.status, 200);
  assert.ok(page.body.departments.some((d) => d.code === 'platform' && d.division_code === '540000000000'));
  // the administrators' roles (system, audit, security) are the security administrator's to give
  assert.deepEqual(page.body.roles.map((x) => x.code), ['clerk', 'reviewer', 'head', 'hotline_agent', 'supervisor']);
  admin = { client: c, secret, codes: en.body.codes, accountId: me.body.account.id };
  // The one-time password is not enough any more: the second factor is now required.
  const again = await new Client().login('admin', adminPassword);
  assert.equal(again.status, 303);
  assert.equal(again.location, '/login/second-factor?next=%2Faccount');
});

test('admin: create a department and a staff member through the forms', async () => {
  assert.ok(admin, 'runs after the first administrator test');
  const c = admin.client;
  const r = await c.submit('/admin/departments', { code: DEPT, name_zh: '测试局', name_bo: 'ཚོད་ལྟ།', name_en: 'Test Bureau', division_code: '540102' }, { page: '/admin' });
  assert.equal(r.status, 303, r.text);
  assert.equal(r.location, '/admin?done=department');
  const list = (await c.get('/admin')).body.departments;
  assert.deepEqual(list.find((d) => d.code === DEPT), { id: list.find((d) => d.code === DEPT).id, code: DEPT, name: '测试局', division_code: '540102000000' });
  const bo = (await c.get('/admin?lang=bo')).body.departments.find((d) => d.code === DEPT);
  assert.equal(bo.name, 'ཚོད་ལྟ།');

  // Refusals, each with its code and the page again.
  for (const [form, status, code] of [
    [{ code: DEPT, name_zh: '重复', division_code: '540102000000' }, 409, 'identity.department_exists'],
    [{ code: `${DEPT}-x`, name_zh: '无区划', division_code: '549999000000' }, 400, 'identity.division_unknown'],
    [{ code: `${DEPT}-y`, name_zh: '坏区划', division_code: '54' }, 400, 'divisions.bad_code'],
    [{ code: '', name_zh: '无代码', division_code: '540102000000' }, 400, 'identity.department_invalid'],
  ]) {
    const e = await c.submit('/admin/departments', form, { page: '/admin' });
    assert.equal(e.status, status, JSON.stringify(form));
    assert.equal(e.body.error.code, code, JSON.stringify(form));
    assert.ok(Array.isArray(e.body.departments));
  }

  const staff = await c.submit('/admin/staff', { username: NEW_STAFF, name: '新员工', password: 'First-Pass-2026', department: DEPT, role: 'reviewer' }, { page: '/admin' });
  assert.equal(staff.status, 303, staff.text);
  assert.equal(staff.location, '/admin?done=staff');
  for (const [form, status, code] of [
    [{ username: NEW_STAFF, name: '重名', password: 'First-Pass-2026', department: DEPT, role: 'clerk' }, 409, 'identity.username_taken'],
    [{ username: `${NEW_STAFF}b`, name: '弱密码', password: 'weakpassword', department: DEPT, role: 'clerk' }, 400, 'identity.password_weak'],
    [{ username: 'Bad Name', name: '坏名', password: 'First-Pass-2026', department: DEPT, role: 'clerk' }, 400, 'identity.username_invalid'],
    [{ username: `${NEW_STAFF}c`, name: '无角色', password: 'First-Pass-2026', department: DEPT, role: 'boss' }, 400, 'identity.role_unknown'],
    [{ username: `${NEW_STAFF}d`, name: '无部门', password: 'First-Pass-2026', department: 'nope', role: 'clerk' }, 404, 'identity.department_not_found'],
  ]) {
    const e = await c.submit('/admin/staff', form, { page: '/admin' });
    assert.equal(e.status, status, JSON.stringify(form));
    assert.equal(e.body.error.code, code, JSON.stringify(form));
  }
  assert.deepEqual(sql(`SELECT username FROM accounts WHERE username IN ('${NEW_STAFF}b', '${NEW_STAFF}c', '${NEW_STAFF}d')`), [], 'no half-made accounts');

  // The new staff member logs in with the first password and must set up TOTP.
  const s = new Client();
  const r2 = await s.login(NEW_STAFF, 'First-Pass-2026');
  assert.equal(r2.status, 303);
  assert.equal(r2.location, '/account/totp?next=%2Faccount');
  const secret = (await s.get('/account/totp')).body.secret;
  const en = await s.submit('/account/totp', { secret, code: freshCode(NEW_STAFF, secret).code }, { page: '/account/totp' });
  assert.equal(en.status, 200);
  const me = await s.account();
  assert.equal(me.body.account.username, NEW_STAFF);
  assert.equal(me.body.account.name, '新员工');
  // A reviewer of a county bureau is not an administrator.
  assert.equal((await s.get('/admin')).status, 403);
  // Nor is an administrator of a county department: admin pages are platform-wide.
  // The system administrator cannot make another one (三权分立): the security administrator
  // grants the role to an account the system administrator made.
  const countyAdmin = `${NEW_STAFF}x`;
  const refused = await c.submit('/admin/staff', { username: countyAdmin, name: '县管理员', password: 'First-Pass-2026', department: DEPT, role: 'admin' }, { page: '/admin' });
  assert.equal(refused.status, 403, refused.text);
  assert.equal(refused.body.error.code, 'identity.role_reserved');
  assert.deepEqual(sql(`SELECT username FROM accounts WHERE username = '${countyAdmin}'`), [], 'no half-made account');
  assert.equal((await c.submit('/admin/staff', { username: countyAdmin, name: '县管理员', password: 'First-Pass-2026', department: DEPT, role: 'clerk' }, { page: '/admin' })).status, 303);
  const security = new Client();
  await loginWithTotp(security, 'security.xz', DEMO_PASSWORD, DEMO_TOTP);
  const granted = await security.submit('/api/v1/admin/roles/grant', { username: countyAdmin, department: DEPT, role: 'admin' }, { page: '/api/v1/admin/roles' });
  assert.equal(granted.status, 200, granted.text);
  const ca = new Client();
  assert.equal((await ca.login(countyAdmin, 'First-Pass-2026')).status, 303);
  const caSecret = (await ca.get('/account/totp')).body.secret;
  assert.equal((await ca.submit('/account/totp', { secret: caSecret, code: freshCode(countyAdmin, caSecret).code }, { page: '/account/totp' })).status, 200);
  assert.equal((await ca.account()).body.account.username, countyAdmin);
  assert.equal((await ca.get('/admin')).status, 403);
  // The grant is in the database, by the administrator.
  const grants = sql(`SELECT g.role, d.code, g.granted_by FROM role_grants g JOIN departments d ON d.id = g.department_id JOIN accounts a ON a.id = g.account_id WHERE a.username = '${NEW_STAFF}' AND g.revoked_at IS NULL`);
  assert.deepEqual(grants, [['reviewer', DEPT, admin.accountId]]);
});

test('staff cannot turn TOTP off', async () => {
  assert.ok(clerkClient);
  const r = await clerkClient.submit('/account/totp/disable', { code: '123456' }, { page: '/api/v1/account' });
  assert.equal(r.status, 403, r.text);
  assert.equal(r.body.code, 'identity.totp_required');
  assert.equal((await clerkClient.account()).body.account.totp_enabled, true);
});

// ---- audit trail and data at rest -----------------------------------------------------------

test('the audit trail has every login, failure, pause, second factor, enrolment, grant and registration', async () => {
  const rows = sql('SELECT action, outcome, actor_id, object, source_ip, detail, at FROM audit_events');
  const has = (action, outcome, pred = () => true) => rows.some((r) => r[0] === action && r[1] === outcome && pred(r));
  const count = (action, outcome) => rows.filter((r) => r[0] === action && r[1] === outcome).length;
  for (const [action, outcome] of [
    ['identity.register', 'ok'],
    ['identity.login', 'ok'],
    ['identity.login', 'password_ok'],
    ['identity.login', 'failed'],
    ['identity.login', 'paused'],
    ['identity.second_factor', 'ok'],
    ['identity.second_factor', 'failed'],
    ['identity.totp_enable', 'ok'],
    ['identity.role_grant', 'ok'],
    ['identity.department_create', 'ok'],
    ['identity.staff_create', 'ok'],
    ['identity.totp_disable', 'ok'],
    ['identity.password_change', 'ok'],
  ]) assert.ok(has(action, outcome), `${action} ${outcome} in:\n${[...new Set(rows.map((r) => `${r[0]} ${r[1]}`))].join('\n')}`);

  // Exact facts about the rows of this file's own actions.
  const throttled = rows.filter((r) => r[0] === 'identity.login' && r[1] === 'paused');
  assert.ok(throttled.filter((r) => r[4] === '127.0.0.1').length >= 5, 'each paused attempt is recorded, with its address');
  assert.ok(throttled.some((r) => r[4] === '127.0.0.99'), 'the account-wide pause');
  assert.ok(throttled.some((r) => r[4] === '127.0.0.50'), 'the address-wide pause');
  // A paused attempt names its account, or none for an unknown login (paused address).
  assert.ok(throttled.every((r) => (r[2] !== '0' && r[2] !== '' && r[3] === `account:${r[2]}`) || (['', '0'].includes(r[2]) && r[3] === '')), JSON.stringify(throttled));
  assert.ok(has('identity.login', 'ok', (r) => r[4] === '127.0.0.2'), 'the login from the other address, with its address');
  assert.ok(has('identity.login', 'failed', (r) => r[5] === 'unknown login' && (r[2] === '0' || r[2] === '') && r[4] === '127.0.0.1'));
  assert.ok(has('identity.login', 'failed', (r) => r[5] === 'wrong password' && r[2] !== '0'));
  assert.ok(has('identity.second_factor', 'ok', (r) => r[5] === 'recovery_code' && r[2] === totpCitizen.accountId));
  assert.ok(has('identity.second_factor', 'failed', (r) => r[5] === 'recovery_code' && r[2] === totpCitizen.accountId));
  assert.ok(has('identity.second_factor', 'failed', (r) => r[5] === 'totp'));
  assert.ok(has('identity.totp_enable', 'ok', (r) => r[2] === admin.accountId && r[4] === '127.0.0.1'));
  assert.ok(has('identity.totp_enable', 'ok', (r) => r[2] === totpCitizen.accountId));
  assert.ok(has('identity.register', 'ok', (r) => r[2] === totpCitizen.accountId && r[3] === `account:${totpCitizen.accountId}` && r[4] === '127.0.0.1'));
  assert.ok(has('identity.role_grant', 'ok', (r) => r[2] === admin.accountId && /^role=reviewer department=\d+$/.test(r[5])), 'the grant made on the page, by the administrator');
  assert.ok(has('identity.department_create', 'ok', (r) => r[2] === admin.accountId && r[3] === `department:${DEPT}`));
  assert.ok(has('identity.staff_create', 'ok', (r) => r[2] === admin.accountId && r[5] === NEW_STAFF));
  assert.ok(count('identity.login', 'failed') >= 9);
  const now = Date.now();
  assert.ok(rows.every((r) => Number(r[6]) > now - 3600e3 && Number(r[6]) <= now + 1000), 'times are ms since the epoch');
  // No personal data or secrets in the trail.
  const text = rows.map((r) => r.join(' ')).join('\n');
  for (const p of registered) assert.ok(!text.includes(p.id), 'no ID number');
  for (const s of [DEMO_CITIZEN.id, DEMO_CITIZEN.phone, DEMO_PASSWORD, adminPassword, 'wrong-password']) assert.ok(!text.includes(s));
});

test('grants and changes made on the admin pages record the source address', () => {
  const rows = sql(`SELECT action, source_ip FROM audit_events WHERE actor_id = ${admin.accountId} AND action IN ('identity.role_grant', 'identity.department_create', 'identity.staff_create')`);
  assert.deepEqual([...new Set(rows.map((r) => r[0]))].sort(), ['identity.department_create', 'identity.role_grant', 'identity.staff_create']);
  for (const r of rows) assert.equal(r[1], '127.0.0.1', r[0]);
});

test('personal data at rest: no ID number or phone in clear; look-up hashes are keyed', () => {
  const people = [...registered.filter((p) => p.id), { id: DEMO_CITIZEN.id, phone: DEMO_CITIZEN.phone }, totpCitizen];
  const needles = people.flatMap((p) => [p.id, p.phone].filter(Boolean));
  if (backend() === 'sqlite') {
    const file = dbUrl.slice('sqlite:'.length);
    const bytes = Buffer.concat([file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f)));
    assert.ok(bytes.length > 100000);
    for (const n of needles) {
      assert.equal(bytes.indexOf(Buffer.from(n)), -1, `${n} in the database file`);
      assert.equal(bytes.indexOf(Buffer.from(n, 'utf16le')), -1);
    }
  } else {
    for (const table of ['accounts', 'audit_events', 'web_sessions', 'login_throttle']) {
      const text = sql(`SELECT t::text FROM ${table} t`).map((r) => r.join('\t')).join('\n');
      assert.ok(table !== 'accounts' || text.length > 1000);
      for (const n of needles) {
        assert.ok(!text.includes(n), `${n} in ${table}`);
        assert.ok(!text.includes(Buffer.from(n).toString('hex')), `${n} as bytes in ${table}`);
      }
    }
  }
  // The columns hold ciphertext, and the look-up hash is not a plain hash of the value.
  const [row] = sql(`SELECT id_number_hash, phone_hash, ${backend() === 'sqlite' ? 'length(id_number_enc), length(phone_enc)' : 'octet_length(id_number_enc), octet_length(phone_enc)'} FROM accounts WHERE id = ${totpCitizen.accountId}`);
  assert.match(row[0], /^[0-9a-f]{64}$/);
  assert.ok(Number(row[2]) > 18 && Number(row[3]) > 11, 'sealed values are longer than the plain ones');
  for (const alg of ['sm3', 'sha256']) {
    assert.notEqual(row[0], createHash(alg).update(totpCitizen.id).digest('hex'), alg);
    assert.notEqual(row[1], createHash(alg).update(totpCitizen.phone).digest('hex'), alg);
  }
  // Nor in the server's log.
  for (const n of needles) assert.ok(!srv.log().includes(n), `${n} in the log`);
});
