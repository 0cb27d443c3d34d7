// tests/lib/db.mjs - a database of a test file's own: a temporary data directory and, in the
// PostgreSQL pass (ONEWINDOW_TEST_PG_URL set), a fresh database on that server named
// ow_<name>_<pid>; otherwise SQLite in the data directory. freshDatabase() initialises
// nothing (the caller runs `init` with `common`); demoServer() runs `init` and `demo` and
// starts a server on it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, startServer } from './server.mjs';

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

// `init` and `demo` (each asserted to exit 0) on a fresh database, then a server on it, all
// with `args` (--insecure-fast-passwords 1 unless told otherwise). Options: sqlite (as for
// freshDatabase) and timeout (ms, for the two commands). Returns the fields of
// freshDatabase() and {srv, init, demo (the two commands' results), cli(args), stop()}:
// stop() stops the server, drops the database and returns the server's {code, signal} for
// the caller to assert. If a step fails, the database is dropped before the error is thrown.
export async function demoServer(name, { args = ['--insecure-fast-passwords', '1'], sqlite = false, timeout } = {}) {
  const fresh = freshDatabase(name, { args, sqlite });
  try {
    const init = run(['init', ...fresh.common], { timeout });
    assert.equal(init.status, 0, `init: ${init.stderr}`);
    const demo = run(['demo', ...fresh.common], { timeout });
    assert.equal(demo.status, 0, `demo: ${demo.stderr}`);
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
