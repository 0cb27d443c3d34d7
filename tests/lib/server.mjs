// tests/lib/server.mjs - start a real onewindow server for black-box tests.
//
// Each call gets its own data directory and a free port (the server binds port 0 and
// logs the one it got). The database is SQLite in that directory, or, when
// ONEWINDOW_TEST_PG_URL is set (tests/run.sh does this for the PostgreSQL pass), a fresh
// database of its own on the throwaway PostgreSQL that tests/run.sh started (dropped by
// stop()), so that test files can run side by side. stop() sends SIGTERM and waits: the
// server must drain and exit 0.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.ONEWINDOW_BIN || join(ROOT, 'build', 'onewindow');

export function backend() {
  return process.env.ONEWINDOW_TEST_PG_URL ? 'postgresql' : 'sqlite';
}

// Run a onewindow command to completion; returns {status, signal, stdout, stderr}.
// `timeout` (ms, optional) kills a command that does not finish (then signal is SIGKILL),
// so that a command that wrongly starts serving cannot hang a test.
export function run(args, { env = {}, timeout } = {}) {
  const r = spawnSync(BIN, args, {
    env: { ...process.env, ...env }, encoding: 'utf8', timeout, killSignal: 'SIGKILL',
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

// A fresh database on the test PostgreSQL: its name (ow_srv_<pid>_<n>).
let pgDatabases = 0;
function createPgDatabase() {
  const name = `ow_srv_${process.pid}_${++pgDatabases}`;
  const r = spawnSync('psql', [process.env.ONEWINDOW_TEST_PG_URL, '-XAtq', '-v', 'ON_ERROR_STOP=1',
    '-c', `CREATE DATABASE ${name}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot create a PostgreSQL database (psql needed): ${r.stderr}`);
  return name;
}
function pgDatabaseUrl(name) {
  const u = new URL(process.env.ONEWINDOW_TEST_PG_URL);
  u.pathname = `/${name}`;
  return u.toString();
}
function dropPgDatabase(name) {
  spawnSync('psql', [process.env.ONEWINDOW_TEST_PG_URL, '-XAtq', '-c',
    `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], { encoding: 'utf8' });
}

// Options: args (extra serve flags), env, sqlite (force SQLite even in the PostgreSQL
// pass), init (run `init` first), and data/db to serve an existing data directory and
// database instead of fresh ones (a directory passed in is the caller's: stop() leaves it).
export async function startServer({ args = [], env = {}, sqlite = false, init = true, data: dataDir, db: dbUrl } = {}) {
  const ownData = dataDir === undefined;
  const data = ownData ? mkdtempSync(join(tmpdir(), 'ow-test-')) : dataDir;
  const pgName = dbUrl === undefined && !sqlite && process.env.ONEWINDOW_TEST_PG_URL
    ? createPgDatabase() : undefined;
  const db = dbUrl ?? (pgName ? pgDatabaseUrl(pgName) : `sqlite:${data}/onewindow.db`);
  const common = ['--data', data, '--db', db];
  if (init) {
    const r = run(['init', ...common], { env });
    if (r.status !== 0) throw new Error(`onewindow init failed: ${r.stderr}`);
  }
  const proc = spawn(BIN, ['serve', ...common, '--listen', '127.0.0.1:0', ...args], {
    env: { ...process.env, ONEWINDOW_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 15000);
    proc.stderr.on('data', (chunk) => {
      log += chunk;
      const m = /msg=listening .*port=(\d+)/.exec(log);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}:\n${log}`)); });
  });
  proc.stderr.removeAllListeners('data');
  proc.stderr.on('data', (chunk) => { log += chunk; });
  proc.removeAllListeners('exit');
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    data,
    db,
    proc,
    log: () => log,
    // SIGTERM, wait for a clean exit; returns {code, signal}.
    async stop({ keepData = false } = {}) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const r = await exited;
      if (!keepData && ownData) rmSync(data, { recursive: true, force: true });
      if (!keepData && pgName) dropPgDatabase(pgName);
      return r;
    },
    async kill() {
      proc.kill('SIGKILL');
      return exited;
    },
  };
}

// A language's message catalog as the server sees it: every web/i18n/<lang>/*.json merged,
// laid over Chinese (the server shows zh where a translation is missing).
import { readdirSync, readFileSync } from 'node:fs';
function mergeDeep(base, over) {
  for (const [k, v] of Object.entries(over)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && base[k] && typeof base[k] === 'object') mergeDeep(base[k], v);
    else base[k] = v;
  }
  return base;
}
function rawCatalog(lang) {
  const dir = join(ROOT, 'web', 'i18n', lang);
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
    .reduce((acc, f) => mergeDeep(acc, JSON.parse(readFileSync(join(dir, f), 'utf8'))), {});
}
export function catalog(lang) {
  const zh = rawCatalog('zh');
  return lang === 'zh' ? zh : mergeDeep(zh, rawCatalog(lang));
}
