// tests/api/cli.test.mjs - the onewindow command line: help and version, usage errors
// (exit 2, one sentence), runtime failures (exit 1), init idempotence, and consistency of
// the database after init is killed in the middle of writing.
//
// The database tests run on a fresh SQLite directory, and in the PostgreSQL pass
// (ONEWINDOW_TEST_PG_URL set) also on a fresh PostgreSQL database made with psql for the test.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, startServer, BIN, ROOT } from '../lib/server.mjs';

const TIMEOUT = 20000; // a command that should fail at once must not start serving forever
const tmp = mkdtempSync(join(tmpdir(), 'ow-cli-'));
const cleanups = [];
after(() => {
  for (const f of cleanups.reverse()) f();
  rmSync(tmp, { recursive: true, force: true });
});

// Lines of the reference CSV files (headers excluded): what a complete init loads.
const csvRows = (f) => readFileSync(join(ROOT, 'data', f), 'utf8').split(/\r?\n/).filter((l) => l !== '').length - 1;
const divisionLines = readFileSync(join(ROOT, 'data', 'xizang-divisions.csv'), 'utf8').split(/\r?\n/).slice(1).filter(Boolean);
const TOTAL = csvRows('xizang-divisions.csv') + csvRows('xizang-villages.csv');
const levelCount = (level) => divisionLines.filter((l) => l.split(',')[4] === level).length;
const EXPECTED_COUNTS = [
  { level: 'prefecture', count: levelCount('prefecture') },
  { level: 'county', count: levelCount('county') },
  { level: 'township', count: levelCount('township') },
  { level: 'village', count: csvRows('xizang-villages.csv') },
];

let dirs = 0;
const freshDir = () => {
  const d = join(tmp, `d${++dirs}`);
  return d;
};

function oneLine(stderr) {
  const lines = stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${stderr}`);
  assert.match(lines[0], /^onewindow: /);
  return lines[0];
}

// Serve must never be reached by these: they are run with a throwaway data dir and port 0.
const SAFE = (d = freshDir()) => ['--data', d, '--listen', '127.0.0.1:0'];

// ---- fresh databases --------------------------------------------------------------------------

const PG_URL = process.env.ONEWINDOW_TEST_PG_URL;
const psql = (url, sql) => spawnSync('psql', [url, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
const havePsql = PG_URL ? spawnSync('psql', ['--version']).status === 0 : false;

// {data, db} of an empty database of `kind`, dropped after the file.
function freshDatabase(kind) {
  const data = freshDir();
  if (kind === 'sqlite') return { data, db: `sqlite:${data}/onewindow.db` };
  const name = `ow_cli_${process.pid}_${dirs}`;
  const r = psql(PG_URL, `CREATE DATABASE ${name}`);
  assert.equal(r.status, 0, `cannot create a PostgreSQL database: ${r.stderr}`);
  cleanups.push(() => psql(PG_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return { data, db: u.toString() };
}

const KINDS = ['sqlite', ...(PG_URL ? ['postgresql'] : [])];
const skipPg = (kind) => (kind === 'postgresql' && !havePsql ? 'psql is not installed' : false);

// ---- help and version ---------------------------------------------------------------------------

test('help exits 0 and lists the commands', () => {
  const r = run(['help']);
  assert.equal(r.status, 0);
  assert.equal(r.stderr, '');
  for (const cmd of ['serve', 'init', 'migrate', 'demo', 'version', 'help'])
    assert.match(r.stdout, new RegExp(`^  ${cmd} +\\S`, 'm'), cmd);
  for (const flag of ['--listen', '--data', '--db', '--threads', '--config', '--max-body'])
    assert.ok(r.stdout.includes(flag), flag);
  assert.equal(run(['--help']).stdout, r.stdout);
});

test('version names the program and the libraries', () => {
  const r = run(['version']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^onewindow \d+\.\d+\.\d+/);
  assert.match(r.stdout, /libmicrohttpd \d+\.\d+/);
  assert.match(r.stdout, /SQLite \d+\.\d+/);
  assert.match(r.stdout, /libpq \d+/);
});

// ---- usage errors: exit 2 and one sentence --------------------------------------------------------

test('no command and an unknown command exit 2', () => {
  const none = run([]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /no command given/);
  const r = run(['frobnicate']);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(oneLine(r.stderr), /unknown command "frobnicate"/);
});

test('--threads abc exits 2 with a sentence about threads', () => {
  const r = run(['serve', ...SAFE(), '--threads', 'abc'], { timeout: TIMEOUT });
  assert.equal(r.status, 2);
  const line = oneLine(r.stderr);
  assert.match(line, /threads/);
  assert.match(line, /"abc"/);
  const range = run(['serve', ...SAFE(), '--threads=100000'], { timeout: TIMEOUT });
  assert.equal(range.status, 2);
  assert.match(oneLine(range.stderr), /threads.*between 0 and 256/);
});

test('--listen with a port out of range exits 2', () => {
  for (const listen of ['127.0.0.1:99999', '127.0.0.1:', '127.0.0.1:80x']) {
    const r = run(['serve', '--data', freshDir(), '--listen', listen], { timeout: TIMEOUT });
    assert.equal(r.status, 2, listen);
    assert.match(oneLine(r.stderr), /--listen/, listen);
  }
});

test('an unknown flag, a missing value and a stray argument exit 2', () => {
  const r = run(['serve', ...SAFE(), '--no-such-flag'], { timeout: TIMEOUT });
  assert.equal(r.status, 2);
  assert.match(oneLine(r.stderr), /unknown option --no-such-flag/);
  const missing = run(['init', '--data'], { timeout: TIMEOUT });
  assert.equal(missing.status, 2);
  assert.match(oneLine(missing.stderr), /--data needs a value/);
  const stray = run(['init', '--data', freshDir(), 'extra'], { timeout: TIMEOUT });
  assert.equal(stray.status, 2);
  assert.match(oneLine(stray.stderr), /unexpected argument "extra"/);
});

test('a config file with a bad value exits 2 naming the file and the line', () => {
  const file = join(tmp, 'bad-value.ini');
  writeFileSync(file, '[server]\nthreads = lots\n');
  const r = run(['serve', ...SAFE(), '--config', file], { timeout: TIMEOUT });
  assert.equal(r.status, 2);
  const line = oneLine(r.stderr);
  assert.ok(line.includes(file), line);
  assert.match(line, /line 2\b/);
  assert.match(line, /threads/);
  assert.match(line, /"lots"/);
  // The same file through the environment.
  const env = run(['serve', ...SAFE()], { env: { ONEWINDOW_CONFIG: file }, timeout: TIMEOUT });
  assert.equal(env.status, 2);
  assert.ok(oneLine(env.stderr).includes(file));
});

test('a config file with an unknown key exits 2', () => {
  const file = join(tmp, 'unknown-key.ini');
  writeFileSync(file, '[server]\nthreads = 2\n\n[server]\ncolour = blue\n');
  const r = run(['serve', ...SAFE(), '--config', file], { timeout: TIMEOUT });
  assert.equal(r.status, 2);
  const line = oneLine(r.stderr);
  assert.ok(line.includes(file), line);
  assert.match(line, /line 5\b/);
  assert.match(line, /colour/);
  const missing = run(['serve', ...SAFE(), '--config', join(tmp, 'no-such.ini')], { timeout: TIMEOUT });
  assert.equal(missing.status, 2);
  assert.match(oneLine(missing.stderr), /cannot read the config file/);
});

test('a bad environment variable exits 2 naming the variable', () => {
  const r = run(['serve', ...SAFE()], { env: { ONEWINDOW_THREADS: '-1' }, timeout: TIMEOUT });
  assert.equal(r.status, 2);
  const line = oneLine(r.stderr);
  assert.match(line, /ONEWINDOW_THREADS/);
  assert.match(line, /"-1"/);
  const choice = run(['serve', ...SAFE()], { env: { ONEWINDOW_LOG_LEVEL: 'loud' }, timeout: TIMEOUT });
  assert.equal(choice.status, 2);
  assert.match(oneLine(choice.stderr), /ONEWINDOW_LOG_LEVEL.*"loud"/);
});

// ---- runtime failures: exit 1 ----------------------------------------------------------------------

test('an unreachable PostgreSQL exits 1 saying so, without the password', () => {
  const r = run(['init', '--data', freshDir(), '--db', 'postgresql://nobody@127.0.0.1:1/x'], { timeout: TIMEOUT });
  assert.equal(r.status, 1);
  assert.match(oneLine(r.stderr), /cannot connect/);
  for (const url of ['postgresql://u:secret@127.0.0.1:1/x', 'postgresql://127.0.0.1:1/x?user=u&password=secret']) {
    const s = run(['serve', '--data', freshDir(), '--listen', '127.0.0.1:0', '--db', url], { timeout: TIMEOUT });
    assert.equal(s.status, 1, url);
    const line = oneLine(s.stderr);
    assert.match(line, /cannot connect/);
    assert.equal(s.stderr.includes('secret'), false, `the password leaked: ${line}`);
    assert.equal(s.stdout.includes('secret'), false);
  }
});

test('a data path that is a file exits 1', () => {
  const file = join(tmp, 'a-file');
  writeFileSync(file, 'x');
  const r = run(['init', '--data', file], { timeout: TIMEOUT });
  assert.equal(r.status, 1);
  assert.match(oneLine(r.stderr), /not a directory/);
});

// ---- init, serve and crashes, per backend -------------------------------------------------------------

// The newest embedded migration: init logs it just before loading the reference data.
const LAST_MIGRATION = readdirSync(join(ROOT, 'src', 'store', 'migrations')).filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort().at(-1);

const initLine = (applied, inserted, names = '\\d+') => new RegExp(
  `^database \\S+: ${applied} migration\\(s\\) applied, schema version \\d+; reference data: ${inserted} new division\\(s\\), ${names} Tibetan division name\\(s\\) filled or corrected, \\d+ new calendar day\\(s\\)$`, 'm');

for (const kind of KINDS) {
  test(`[${kind}] init twice: the second run applies 0 migrations and adds 0 divisions`, { skip: skipPg(kind) }, () => {
    const { data, db } = freshDatabase(kind);
    const a = run(['init', '--data', data, '--db', db], { timeout: TIMEOUT });
    assert.equal(a.status, 0, a.stderr);
    assert.match(a.stdout, initLine('[1-9]\\d*', TOTAL));
    const b = run(['init', '--data', data, '--db', db], { timeout: TIMEOUT });
    assert.equal(b.status, 0, b.stderr);
    assert.match(b.stdout, initLine(0, 0, 0));
    const m = run(['migrate', '--data', data, '--db', db], { timeout: TIMEOUT });
    assert.equal(m.status, 0, m.stderr);
    assert.match(m.stdout, /^0 migration\(s\) applied/);
  });

  test(`[${kind}] serve and demo on a database that was never initialised exit 1 and say to run init`, { skip: skipPg(kind) }, () => {
    const { data, db } = freshDatabase(kind);
    const r = run(['serve', '--data', data, '--db', db, '--listen', '127.0.0.1:0'], { timeout: TIMEOUT });
    assert.equal(r.signal, null, 'serve must not start on an empty database');
    assert.equal(r.status, 1);
    const line = oneLine(r.stderr);
    assert.match(line, /not initialised/);
    assert.match(line, /onewindow init/);
    const d = run(['demo', '--data', data, '--db', db], { timeout: TIMEOUT });
    assert.equal(d.status, 1);
    assert.match(oneLine(d.stderr), /onewindow init/);
  });

  test(`[${kind}] init killed (SIGKILL) while writing leaves a consistent database; init again completes it`, { skip: skipPg(kind) }, async (t) => {
    // Kill init the moment it reports the last schema migration, i.e. inside the reference data
    // transaction; retry on a new database if init was quicker than the kill.
    let target, killed = null, attempt = 0;
    for (; attempt < 5 && !killed; attempt++) {
      target = freshDatabase(kind);
      const p = spawn(BIN, ['init', '--data', target.data, '--db', target.db], {
        stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ONEWINDOW_LOG_LEVEL: 'info' },
      });
      let err = '';
      p.stdout.resume();
      p.stderr.on('data', (c) => {
        err += c;
        if (err.includes(`msg="migration applied" name=${LAST_MIGRATION}`) && p.exitCode === null) p.kill('SIGKILL');
      });
      const [code, signal] = await new Promise((resolve) => p.on('exit', (c, s) => resolve([c, s])));
      if (signal === 'SIGKILL') killed = { err };
      else assert.equal(code, 0, `init failed on its own: ${err}`);
    }
    assert.ok(killed, 'init finished before it could be killed, 5 times');

    // Right after the crash: the schema is there and the reference data is all or nothing.
    let present;
    {
      const s = await startServer({ data: target.data, db: target.db, init: false });
      try {
        const ready = await fetch(`${s.url}/readyz`);
        assert.equal(ready.status, 200);
        const idx = await fetch(`${s.url}/api/v1/divisions`);
        const body = await idx.json();
        if (idx.status === 404) {
          assert.equal(body.code, 'divisions.not_found');
          const v = await fetch(`${s.url}/api/v1/divisions/540102002001`);
          assert.equal(v.status, 404, 'no village without the region: the load is one transaction');
          present = 0;
        } else {
          assert.equal(idx.status, 200);
          assert.deepEqual(body.counts.items.map(({ level, count }) => ({ level, count })), EXPECTED_COUNTS,
            'a partly loaded reference set is visible after the crash');
          present = TOTAL;
        }
      } finally {
        assert.deepEqual(await s.stop(), { code: 0, signal: null });
      }
    }

    t.diagnostic(`killed on attempt ${attempt}; divisions present right after the crash: ${present}`);
    const again = run(['init', '--data', target.data, '--db', target.db], { timeout: TIMEOUT });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, initLine(0, TOTAL - present));

    const s = await startServer({ data: target.data, db: target.db, init: false });
    try {
      const ready = await fetch(`${s.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal((await ready.json()).status, 'ready');
      const idx = await fetch(`${s.url}/api/v1/divisions`);
      assert.equal(idx.status, 200);
      const body = await idx.json();
      assert.deepEqual(body.counts.items.map(({ level, count }) => ({ level, count })), EXPECTED_COUNTS);
      assert.equal(body.children_count, levelCount('prefecture'));
      const village = await fetch(`${s.url}/api/v1/divisions/540102002001`);
      assert.equal(village.status, 200);
      assert.equal((await village.json()).breadcrumbs.length, 5);
    } finally {
      assert.deepEqual(await s.stop(), { code: 0, signal: null });
    }
  });
}

test('demo totp prints the demo staff\'s current code, as an authenticator app would', async () => {
  const { totp } = await import('../lib/totp.mjs');
  const before = Math.floor(Date.now() / 30000);
  const r = run(['demo', 'totp']);
  const after = Math.floor(Date.now() / 30000);
  assert.equal(r.status, 0, r.stderr);
  const m = /^(\d{6})  \(.*valid for (\d+) more seconds\)\n$/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.ok([totp(before), totp(after)].includes(m[1]), `${m[1]} is not the code of step ${before}`);
  assert.ok(Number(m[2]) >= 1 && Number(m[2]) <= 30);
});
