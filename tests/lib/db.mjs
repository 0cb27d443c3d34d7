// tests/lib/db.mjs - a database of a test file's own: a temporary data directory and, in the
// PostgreSQL pass (ONEWINDOW_TEST_PG_URL set), a fresh database on that server named
// ow_<name>_<pid>; otherwise SQLite in the data directory. freshDatabase() initialises
// nothing (the caller runs `init` with `common`); demoServer() starts a server on a copy of
// a database on which `init` and `demo` ran (see demoTemplate) and starts a server on it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, run, startServer } from './server.mjs';

export const PG_URL = process.env.ONEWINDOW_TEST_PG_URL;

// psql, tab-separated unaligned rows, stopping at the first error; returns spawnSync's result.
export const psql = (url, query) =>
  spawnSync('psql', [url, '-XAtq', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', query], { encoding: 'utf8' });

// Run SQL on a database URL (sqlite:… or postgresql://…); asserts success and returns the rows
// as arrays of strings.
export function sqlOn(dbUrl, query) {
  const r = dbUrl.startsWith('sqlite:')
    ? spawnSync('sqlite3', ['-batch', '-noheader', '-separator', '\t', dbUrl.slice('sqlite:'.length), query], { encoding: 'utf8' })
    : psql(dbUrl, query);
  assert.equal(r.status, 0, `${query}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

// Returns {data, db, pgName, common (['--data', data, '--db', db, ...args]), sql(query), drop()}.
// drop() drops the PostgreSQL database and removes the data directory. sqlite: SQLite even
// in the PostgreSQL pass.
export function freshDatabase(name, { args = [], sqlite = false } = {}) {
  const data = mkdtempSync(join(tmpdir(), `ow-${name}-`));
  let db, pgName;
  if (PG_URL && !sqlite) {
    pgName = `ow_${name.replace(/-/g, '_')}_${process.pid}`;
    const r = psql(PG_URL, `CREATE DATABASE ${pgName}`);
    assert.equal(r.status, 0, `cannot create a PostgreSQL database (psql needed): ${r.stderr}`);
    const u = new URL(PG_URL);
    u.pathname = `/${pgName}`;
    db = u.toString();
  } else {
    db = `sqlite:${data}/onewindow.db`;
  }
  return {
    data, db, pgName,
    common: ['--data', data, '--db', db, ...args],
    sql: (query) => sqlOn(db, query),
    drop() {
      if (pgName) psql(PG_URL, `DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
      rmSync(data, { recursive: true, force: true });
    },
  };
}

const sleepMs = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };

// `init` + `demo` take seconds of commits each (every one durable); forty test files each
// doing them was a large share of the suites' time. So they run once per binary, backend
// and argument list, into a template (a data directory and, on PostgreSQL, a template
// database), and each test file gets a copy: the data directory copied, the PostgreSQL
// database made with CREATE DATABASE … TEMPLATE. The template is made by the first file
// that needs it, under a lock directory other files wait on (test files run in parallel
// processes). The demo's dates are relative to the day it ran, and a run of the suites
// lasts minutes, so a copy is as fresh as a demo run by the file itself.
// ONEWINDOW_TEST_FRESH_DEMO=1 (or the option fresh) runs `init` and `demo` for the file.
// Returns {data, db, init, demo} of the template.
function demoTemplate({ args, sqlite, timeout }) {
  const pg = PG_URL && !sqlite;
  const bin = statSync(BIN);
  const key = createHash('sha256')
    .update(JSON.stringify([BIN, bin.mtimeMs, bin.size, args, pg ? PG_URL : 'sqlite']))
    .digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `ow-demo-template-${key}`);
  const pgName = `ow_tpl_${key}`;
  const ready = () => existsSync(join(dir, 'ready')) &&
    (!pg || psql(PG_URL, `SELECT 1 FROM pg_database WHERE datname = '${pgName}'`).stdout.trim() === '1');
  for (let waited = 0; !ready(); waited += 100) {
    const lock = `${dir}.lock`;
    try {
      mkdirSync(lock);
    } catch {
      let owner = 0;
      try { owner = Number(readFileSync(join(lock, 'pid'), 'utf8')); } catch { /* being written */ }
      if (owner && !alive(owner)) rmSync(lock, { recursive: true, force: true });
      assert.ok(waited < 300000, `the demo template ${dir} was not made within 5 minutes`);
      sleepMs(100);
      continue;
    }
    try {
      writeFileSync(join(lock, 'pid'), String(process.pid));
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(join(dir, 'data'), { recursive: true });
      let db = `sqlite:${join(dir, 'data')}/onewindow.db`;
      if (pg) {
        psql(PG_URL, `DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
        const r = psql(PG_URL, `CREATE DATABASE ${pgName}`);
        assert.equal(r.status, 0, `cannot create a PostgreSQL database (psql needed): ${r.stderr}`);
        const u = new URL(PG_URL);
        u.pathname = `/${pgName}`;
        db = u.toString();
      }
      const common = ['--data', join(dir, 'data'), '--db', db, ...args];
      const init = run(['init', ...common], { timeout });
      assert.equal(init.status, 0, `init: ${init.stderr}`);
      const demo = run(['demo', ...common], { timeout });
      assert.equal(demo.status, 0, `demo: ${demo.stderr}`);
      writeFileSync(join(dir, 'result.json'), JSON.stringify({ init, demo }));
      writeFileSync(join(dir, 'ready'), '');
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return { dir, pgName: pg ? pgName : undefined, ...JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) };
}

// A copy of the demo template in a fresh database (as freshDatabase returns it).
function copyOfDemo(name, { args, sqlite, timeout }) {
  const tpl = demoTemplate({ args, sqlite, timeout });
  const data = mkdtempSync(join(tmpdir(), `ow-${name}-`));
  cpSync(join(tpl.dir, 'data'), data, { recursive: true });
  let db = `sqlite:${data}/onewindow.db`;
  let pgName;
  if (tpl.pgName) {
    pgName = `ow_${name.replace(/-/g, '_')}_${process.pid}`;
    // Two copies of one template at the same moment: PostgreSQL refuses the second while
    // the first holds the template ("being accessed by other users"); try again.
    for (let i = 0; ; i++) {
      const r = psql(PG_URL, `CREATE DATABASE ${pgName} TEMPLATE ${tpl.pgName}`);
      if (r.status === 0) break;
      assert.ok(i < 100 && /being accessed/.test(r.stderr), `cannot copy the demo template: ${r.stderr}`);
      sleepMs(100);
    }
    const u = new URL(PG_URL);
    u.pathname = `/${pgName}`;
    db = u.toString();
  }
  return {
    data, db, pgName, init: tpl.init, demo: tpl.demo,
    common: ['--data', data, '--db', db, ...args],
    sql: (query) => sqlOn(db, query),
    drop() {
      if (pgName) psql(PG_URL, `DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
      rmSync(data, { recursive: true, force: true });
    },
  };
}

// `init` and `demo` (each asserted to exit 0) on a fresh database, then a server on it, all
// with `args` (--insecure-fast-passwords 1 unless told otherwise). Options: sqlite (as for
// freshDatabase) and timeout (ms, for the two commands). Returns the fields of
// freshDatabase() and {srv, init, demo (the two commands' results), cli(args), stop()}:
// stop() stops the server, drops the database and returns the server's {code, signal} for
// the caller to assert. If a step fails, the database is dropped before the error is thrown.
// The database is a copy of the demo template (demoTemplate) unless fresh is set.
export async function demoServer(name, { args = ['--insecure-fast-passwords', '1'], sqlite = false, timeout, fresh: own = !!process.env.ONEWINDOW_TEST_FRESH_DEMO } = {}) {
  let fresh, init, demo;
  if (own) {
    fresh = freshDatabase(name, { args, sqlite });
  } else {
    fresh = copyOfDemo(name, { args, sqlite, timeout });
    ({ init, demo } = fresh);
  }
  try {
    if (own) {
      init = run(['init', ...fresh.common], { timeout });
      assert.equal(init.status, 0, `init: ${init.stderr}`);
      demo = run(['demo', ...fresh.common], { timeout });
      assert.equal(demo.status, 0, `demo: ${demo.stderr}`);
    }
    const srv = await startServer({ init: false, data: fresh.data, db: fresh.db, args });
    return {
      ...fresh, srv, init, demo,
      cli: (more) => run([...more, '--data', fresh.data, '--db', fresh.db]),
      async stop() {
        const r = await srv.stop();
        fresh.drop();
        return r;
      },
    };
  } catch (e) {
    fresh.drop();
    throw e;
  }
}
