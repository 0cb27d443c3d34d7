// tests/api/identity_cli.test.mjs - `onewindow user ...`: departments, staff and role
// grants from the command line. Exit status 0 on success, 1 for a refusal at run time
// (bad or unknown division, duplicate, weak password, unknown user or department) with one
// sentence on stderr naming the problem, 2 for a usage error (unknown command, missing
// arguments, unknown role). What the commands did is checked in the database and, at the
// end, through a server: a staff member made and granted `admin` here can administer,
// and cannot any more once revoked.
//
// On a database of its own: a fresh SQLite file, or in the PostgreSQL pass a fresh
// database made with psql. Every command runs with --insecure-fast-passwords 1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { run, startServer } from '../lib/server.mjs';
import { Client } from '../lib/client.mjs';
import { freshDatabase } from '../lib/db.mjs';
import { totpNow } from '../lib/totp.mjs';

const FAST = ['--insecure-fast-passwords', '1'];
const TIMEOUT = 20000;
const U = `c${process.pid}`; // unique prefix for names made here
let tmp, dbUrl, db;

const user = (args, env = {}) => run(['user', ...args, '--data', tmp, '--db', dbUrl, ...FAST], { env, timeout: TIMEOUT });
// Without ONEWINDOW_NEW_PASSWORD from the environment the tests run in.
const staffAdd = (name, full, password) => user(['staff', 'add', name, full], { ONEWINDOW_NEW_PASSWORD: password });

const sql = (query) => db.sql(query);

// The one line a failed command prints.
function sentence(r) {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], /^onewindow: /);
  return lines[0].slice('onewindow: '.length);
}

before(() => {
  db = freshDatabase('usercli');
  ({ data: tmp, db: dbUrl } = db);
  const r = run(['init', '--data', tmp, '--db', dbUrl, ...FAST], { timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
});

let srv;
after(async () => {
  if (srv) {
    const r = await srv.stop();
    assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
  }
  db?.drop();
});

// ---- help and usage ------------------------------------------------------------------------

test('user help lists every command and the roles; onewindow help mentions user', () => {
  for (const args of [['help'], []]) {
    const r = user(args);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^Usage: onewindow user COMMAND/);
    for (const line of ['department add CODE DIVISION NAME_ZH [NAME_BO [NAME_EN]]', 'department list',
      'staff add USERNAME NAME', 'grant USERNAME DEPARTMENT ROLE', 'revoke USERNAME DEPARTMENT ROLE'])
      assert.match(r.stdout, new RegExp(`^  ${line.replace(/[[\]]/g, '\\$&')}`, 'm'), line);
    assert.match(r.stdout, /^Roles: clerk, reviewer, head, hotline_agent, auditor, admin, supervisor$/m);
  }
  const top = run(['help']);
  assert.equal(top.status, 0);
  assert.match(top.stdout, /^ {2}user +\S/m);
});

test('unknown or incomplete user commands are usage errors (exit 2) and change nothing', () => {
  const before = sql('SELECT count(*) FROM departments')[0][0];
  for (const args of [['bogus'], ['department'], ['department', 'add', `${U}-u`, '540102'],
    ['department', 'list', 'extra'], ['staff', 'add', `${U}.only`], ['staff', 'remove', 'x', 'y'],
    ['grant', 'a', 'b'], ['revoke', 'a'], ['grant', 'a', 'b', 'c', 'd']]) {
    const r = user(args, { ONEWINDOW_NEW_PASSWORD: 'Strong-Pass-2026' });
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
    assert.equal(r.stderr.trimEnd().split('\n').at(-1), 'onewindow: unknown or incomplete user command', args.join(' '));
    assert.match(r.stderr, /^Usage: onewindow user/, 'with the usage');
  }
  assert.equal(sql('SELECT count(*) FROM departments')[0][0], before);
  assert.deepEqual(sql(`SELECT username FROM accounts WHERE username LIKE '${U}.%'`), []);
});

test('user commands without init: exit 1, one sentence naming what is missing', () => {
  // A data directory without its key file.
  const d = join(tmp, 'empty');
  const r = run(['user', 'department', 'list', '--data', d, '--db', `sqlite:${d}/x.db`, ...FAST], { timeout: TIMEOUT });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(sentence(r), `the data directory ${d} is not initialised (it has no keys/master.key): run \`onewindow init\` first, or restore the key file from its backup`);
  // The key file is there, the database is empty.
  const r2 = run(['user', 'department', 'list', '--data', tmp, '--db', `sqlite:${tmp}/other.db`, ...FAST], { timeout: TIMEOUT });
  assert.equal(r2.status, 1, r2.stderr);
  assert.equal(sentence(r2), `the database sqlite:${tmp}/other.db is not initialised: run \`onewindow init\` first`);
});

// ---- departments ---------------------------------------------------------------------------

const DEPT = `${U}-mz`;

test('department add: created with the 6- or 12-digit division; list shows it', () => {
  const r = user(['department', 'add', DEPT, '540102', '测试民政局', 'ཚོད་ལྟ།', 'Test Civil Affairs']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `department ${DEPT} created\n`);
  assert.equal(r.stderr, '');
  const r2 = user(['department', 'add', `${DEPT}2`, '540100000000', '测试二']);
  assert.equal(r2.status, 0, r2.stderr);
  assert.deepEqual(sql(`SELECT code, name_zh, name_bo, name_en, division_code FROM departments WHERE code LIKE '${U}-%' ORDER BY code`), [
    [DEPT, '测试民政局', 'ཚོད་ལྟ།', 'Test Civil Affairs', '540102000000'],
    [`${DEPT}2`, '测试二', '', '', '540100000000'],
  ]);
  const list = user(['department', 'list']);
  assert.equal(list.status, 0, list.stderr);
  const lines = list.stdout.split('\n').filter(Boolean);
  assert.ok(lines.includes(`${DEPT.padEnd(12)} 540102000000  测试民政局`), list.stdout);
  assert.ok(lines.includes(`${`${DEPT}2`.padEnd(12)} 540100000000  测试二`), list.stdout);
  assert.ok(lines.some((l) => /^platform +540000000000 {2}\S/.test(l)), 'the platform department made by init');
  assert.equal(lines.length, Number(sql('SELECT count(*) FROM departments')[0][0]));
  // Audited as done by the system.
  const audit = sql(`SELECT actor_id, outcome FROM audit_events WHERE action = 'identity.department_create' AND object = 'department:${DEPT}'`);
  assert.equal(audit.length, 1);
  assert.ok(['', '0'].includes(audit[0][0]));
  assert.equal(audit[0][1], 'ok');
});

test('department add refusals: bad or unknown division, duplicate code, no code (exit 1, a sentence)', () => {
  const count = () => sql('SELECT count(*) FROM departments')[0][0];
  const n = count();
  for (const [args, want] of [
    [['department', 'add', `${U}-bad`, '54', '坏'], 'a division code has 12 digits (or the 6-digit GB/T 2260 form)'],
    [['department', 'add', `${U}-bad`, '54010x', '坏'], 'a division code has 12 digits (or the 6-digit GB/T 2260 form)'],
    [['department', 'add', `${U}-bad`, '100000000000', '坏'], 'a division code has 12 digits (or the 6-digit GB/T 2260 form)'],
    [['department', 'add', `${U}-bad`, '549999000000', '坏'], 'no division has the code 549999000000'],
    [['department', 'add', DEPT, '540102', '重复'], `a department with the code ${DEPT} exists`],
    [['department', 'add', '', '540102', '无代码'], 'a department needs a code (at most 32 characters) and a Chinese name'],
    [['department', 'add', `${U}-noname`, '540102', ''], 'a department needs a code (at most 32 characters) and a Chinese name'],
    [['department', 'add', 'x'.repeat(33), '540102', '太长'], 'a department needs a code (at most 32 characters) and a Chinese name'],
  ]) {
    const r = user(args);
    assert.equal(r.status, 1, args.join(' '));
    assert.equal(r.stdout, '');
    assert.equal(sentence(r), want, args.join(' '));
  }
  assert.equal(count(), n, 'nothing was added');
  assert.deepEqual(sql(`SELECT name_zh FROM departments WHERE code = '${DEPT}'`), [['测试民政局']], 'the original is unchanged');
});

// ---- staff ---------------------------------------------------------------------------------

const STAFF = `${U}.clerk`;
const ADMIN2 = `${U}.admin`;
let admin2Password;

test('staff add with ONEWINDOW_NEW_PASSWORD: created, the password not echoed', () => {
  const r = staffAdd(STAFF, '测试员', 'Strong-Pass-2026');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `staff ${STAFF} created (TOTP is set up at first login)\n`);
  assert.ok(!r.stdout.includes('Strong-Pass-2026') && !r.stderr.includes('Strong-Pass-2026'));
  assert.deepEqual(sql(`SELECT kind, name, status FROM accounts WHERE username = '${STAFF}'`), [['staff', '测试员', 'active']]);
  const [hash] = sql(`SELECT password_hash FROM accounts WHERE username = '${STAFF}'`)[0];
  assert.match(hash, /^\$argon2id\$/, 'an argon2id hash');
  assert.ok(!hash.includes('Strong-Pass-2026'));
});

test('staff add without a password prints a random one-time password once', () => {
  const r = staffAdd(ADMIN2, '测试管理员', undefined);
  assert.equal(r.status, 0, r.stderr);
  const m = /^staff (\S+) created; one-time password (\S+) \(TOTP is set up at first login\)\n$/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.equal(m[1], ADMIN2);
  // Meets the staff policy: upper, lower, digit, then base64url; about 110 bits.
  assert.match(m[2], /^[A-Z][a-z][2-9][A-Za-z0-9_-]{16}$/);
  admin2Password = m[2];
  const again = staffAdd(`${U}.other`, '另一个', undefined);
  assert.notEqual(/one-time password (\S+)/.exec(again.stdout)[1], admin2Password, 'random each time');
});

test('staff add refusals: weak password names the rule, taken or bad username (exit 1)', () => {
  for (const [name, pw, want] of [
    [`${U}.weak`, 'weakpassword', 'staff passwords need 10 characters of three kinds (lower case, upper case, digits, symbols)'],
    [`${U}.weak`, 'Short-1', 'the password needs at least 8 characters'],
    [`${U}.weak`, 'Abcdefg12', 'staff passwords need 10 characters of three kinds (lower case, upper case, digits, symbols)'],
    [`${U}.weak`, 'abcdefghij1234', 'staff passwords need 10 characters of three kinds (lower case, upper case, digits, symbols)'],
    [STAFF, 'Strong-Pass-2026', `the username ${STAFF} is taken`],
    ['Upper.Case', 'Strong-Pass-2026', "a username has 3-32 characters: lower-case letters first, then letters, digits, '.', '_' or '-'"],
    ['ab', 'Strong-Pass-2026', "a username has 3-32 characters: lower-case letters first, then letters, digits, '.', '_' or '-'"],
    ['1abc', 'Strong-Pass-2026', "a username has 3-32 characters: lower-case letters first, then letters, digits, '.', '_' or '-'"],
  ]) {
    const r = staffAdd(name, '测试', pw);
    assert.equal(r.status, 1, `${name} ${pw}`);
    assert.equal(r.stdout, '');
    assert.equal(sentence(r), want, `${name} ${pw}`);
  }
  assert.deepEqual(sql(`SELECT username FROM accounts WHERE username IN ('${U}.weak', 'Upper.Case', 'ab', '1abc')`), []);
  assert.deepEqual(sql(`SELECT name FROM accounts WHERE username = '${STAFF}'`), [['测试员']], 'the existing account is untouched');
});

// ---- grants ---------------------------------------------------------------------------------

const grantsOf = (name) => sql(`SELECT g.role, d.code, CASE WHEN g.revoked_at IS NULL THEN 'active' ELSE 'revoked' END FROM role_grants g JOIN accounts a ON a.id = g.account_id JOIN departments d ON d.id = g.department_id WHERE a.username = '${name}' ORDER BY g.granted_at, g.id`);

test('grant and revoke: printed, stored, audited as the system', () => {
  const g = user(['grant', STAFF, DEPT, 'reviewer']);
  assert.equal(g.status, 0, g.stderr);
  assert.equal(g.stdout, `granted ${STAFF}: reviewer on ${DEPT}\n`);
  assert.deepEqual(grantsOf(STAFF), [['reviewer', DEPT, 'active']]);
  // Granting again changes nothing.
  assert.equal(user(['grant', STAFF, DEPT, 'reviewer']).status, 0);
  assert.deepEqual(grantsOf(STAFF), [['reviewer', DEPT, 'active']]);
  const g2 = user(['grant', STAFF, DEPT, 'clerk']);
  assert.equal(g2.status, 0);
  const rv = user(['revoke', STAFF, DEPT, 'reviewer']);
  assert.equal(rv.status, 0, rv.stderr);
  assert.equal(rv.stdout, `revoked ${STAFF}: reviewer on ${DEPT}\n`);
  assert.deepEqual(grantsOf(STAFF), [['reviewer', DEPT, 'revoked'], ['clerk', DEPT, 'active']]);
  const [id] = sql(`SELECT id FROM accounts WHERE username = '${STAFF}'`)[0];
  const audit = sql(`SELECT action, actor_id, detail FROM audit_events WHERE object = 'account:${id}' AND action LIKE 'identity.role_%' ORDER BY at, id`);
  const [deptId] = sql(`SELECT id FROM departments WHERE code = '${DEPT}'`)[0];
  assert.deepEqual(audit.map((a) => [a[0], a[2]]), [
    ['identity.role_grant', `role=reviewer department=${deptId}`],
    ['identity.role_grant', `role=clerk department=${deptId}`],
    ['identity.role_revoke', `role=reviewer department=${deptId}`],
  ]);
  assert.ok(audit.every((a) => ['', '0'].includes(a[1])), 'the CLI acts as the system (actor 0)');
});

test('grant refusals: unknown role (exit 2), unknown user or department (exit 1); nothing granted', () => {
  const before = grantsOf(STAFF);
  const role = user(['grant', STAFF, DEPT, 'boss']);
  assert.equal(role.status, 2, 'an unknown role is a usage error');
  assert.equal(role.stdout, '');
  const revokeRole = user(['revoke', STAFF, DEPT, 'superuser']);
  assert.equal(revokeRole.status, 2);
  for (const [args, want] of [
    [['grant', `${U}.nobody`, DEPT, 'clerk'], `no account has the username ${U}.nobody`],
    [['revoke', `${U}.nobody`, DEPT, 'clerk'], `no account has the username ${U}.nobody`],
    [['grant', STAFF, `${U}-nodept`, 'clerk'], `no department has the code ${U}-nodept`],
  ]) {
    const r = user(args);
    assert.equal(r.status, 1, args.join(' '));
    assert.equal(r.stdout, '');
    assert.equal(sentence(r), want);
  }
  assert.deepEqual(grantsOf(STAFF), before);
});

test('an unknown role prints one sentence naming it and the roles', () => {
  const r = user(['grant', STAFF, DEPT, 'boss']);
  assert.equal(r.status, 2);
  assert.equal(sentence(r), 'unknown role "boss": use clerk, reviewer, head, hotline_agent, auditor or admin');
});

// ---- through a server --------------------------------------------------------------------------

// A client of the server started below; submit() posts a form with the token of a form page.
const client = () => new Client(srv);

test('a staff member made and granted here administers; revoked, no longer (on a running server)', async () => {
  assert.ok(admin2Password, 'runs after the staff add tests');
  const g = user(['grant', ADMIN2, 'platform', 'admin']);
  assert.equal(g.status, 0, g.stderr);
  srv = await startServer({ init: false, data: tmp, db: dbUrl, args: FAST });
  const c = client();
  const login = await c.submit('/login', { login: ADMIN2, password: admin2Password }, '/login');
  assert.equal(login.status, 303);
  assert.equal(login.location, '/account/totp?next=%2Faccount', 'the printed password works; TOTP set-up comes first');
  const { body } = await c.get('/account/totp');
  const enrol = await c.submit('/account/totp', { secret: body.secret, code: totpNow(body.secret) }, '/account/totp');
  assert.equal(enrol.status, 200);
  assert.equal(enrol.body.codes.length, 10);
  const adminPage = await c.get('/admin');
  assert.equal(adminPage.status, 200);
  assert.ok(adminPage.body.departments.some((d) => d.code === DEPT));

  // Revoked from the command line while the server runs: the next request is refused.
  const rv = user(['revoke', ADMIN2, 'platform', 'admin']);
  assert.equal(rv.status, 0, rv.stderr);
  assert.equal((await c.get('/admin')).status, 403);
  // A grant on a county department is not platform-wide.
  assert.equal(user(['grant', ADMIN2, DEPT, 'admin']).status, 0);
  assert.equal((await c.get('/admin')).status, 403);

  // The staff member with ONEWINDOW_NEW_PASSWORD logs in with exactly that password.
  const s = client();
  assert.equal((await s.submit('/login', { login: STAFF, password: 'Strong-Pass-2026' }, '/login')).status, 303);
  assert.equal((await client().submit('/login', { login: STAFF, password: 'Strong-Pass-202' }, '/login')).status, 401);
});

test('a long ONEWINDOW_NEW_PASSWORD is used as given, or refused; never silently replaced', async () => {
  assert.ok(srv, 'runs after the server test');
  const long = 'Correct-Horse-Battery-Staple-2026!'; // 34 characters: a good passphrase
  const r = staffAdd(`${U}.long`, '长密码', long);
  if (r.status !== 0) {
    assert.equal(r.status, 1);
    assert.match(sentence(r), /password/);
    return;
  }
  const login = await client().submit('/login', { login: `${U}.long`, password: long }, '/login');
  assert.equal(login.status, 303, 'the account was created: its password must be the one given');
});
