// durability.test.mjs - an acknowledged write is on disk before it is acknowledged.
//
// kill -9 proves only process-crash atomicity (the OS cache survives it), so this test
// traces the server's system calls instead (FACTS.md, "Running things"): with one client
// making one request at a time, every response that acknowledges a write must follow an
// fdatasync/fsync made after the previous response. It runs the default SQLite mode,
// group commit (synchronous=NORMAL plus the store's own grouped fdatasync of the WAL),
// and --sync full. Linux with strace only; skipped elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, run } from '../lib/server.mjs';

const haveStrace = spawnSync('strace', ['-V']).status === 0;

async function traced(mode) {
  const data = mkdtempSync(join(tmpdir(), 'ow-durable-'));
  const common = ['--data', data, '--db', `sqlite:${data}/onewindow.db`, '--insecure-fast-passwords', '1'];
  const init = run(['init', ...common]);
  assert.equal(init.status, 0, init.stderr);
  const trace = join(data, 'trace.txt');
  const proc = spawn('strace', ['-f', '-e', 'trace=fdatasync,fsync,sendmsg,sendto,writev', '-o', trace,
    BIN, 'serve', ...common, '--listen', '127.0.0.1:0', '--sync', mode],
  { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no start: ${log}`)), 20000);
    proc.stderr.on('data', (c) => {
      log += c;
      const m = /msg=listening .*port=(\d+)/.exec(log);
      if (m) { clearTimeout(t); resolve(Number(m[1])); }
    });
  });
  try {
    await session(`http://127.0.0.1:${port}`);
  } finally {
    // strace and the server it started form one process group: stop both.
    const exited = new Promise((r) => (proc.exitCode !== null ? r() : proc.on('exit', r)));
    try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* already gone */ }
    await exited;
  }
  const lines = readFileSync(trace, 'utf8').split('\n');
  rmSync(data, { recursive: true, force: true });
  return lines;
}

// One visitor, one request at a time: a read, then acknowledged writes.
async function session(base) {
  const jar = new Map();
  const req = async (path, init = {}) => {
    const headers = { ...(init.headers || {}), cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') };
    const r = await fetch(base + path, { ...init, headers, redirect: 'manual' });
    for (const c of r.headers.getSetCookie()) { const [kv] = c.split(';'); const i = kv.indexOf('='); jar.set(kv.slice(0, i), kv.slice(i + 1)); }
    await r.arrayBuffer();
    return r;
  };
  // A read (the form), then three acknowledged writes, one at a time.
  const form = await fetch(`${base}/register`);
  const html = await form.text();
  for (const c of form.headers.getSetCookie()) { const [kv] = c.split(';'); const i = kv.indexOf('='); jar.set(kv.slice(0, i), kv.slice(i + 1)); }
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)[1];
  const body = new URLSearchParams({ _csrf: csrf, name: '测试', id_number: '540102199001011233', phone: '13900000077',
    password: 'durable-pass-1', password_again: 'durable-pass-1' });
  const reg = await req('/register', { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(reg.status, 303);
  const account = await req('/api/v1/account', { headers: { accept: 'application/json' } });
  assert.equal(account.status, 200);
  const session = jar.get('ow_session');
  const out = await req('/logout', { method: 'POST', body: '', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': await csrfOfSession(base, session) } });
  assert.equal(out.status, 303);
}

// The session's CSRF token, from the account page's JSON.
async function csrfOfSession(base, session) {
  const r = await fetch(`${base}/api/v1/account`, { headers: { accept: 'application/json', cookie: `ow_session=${session}` } });
  return (await r.json()).csrf;
}

// Responses in order: a sendmsg/sendto/writev whose data starts with "HTTP/1.1".
function responses(lines) {
  const events = [];
  for (const l of lines) {
    if (/\b(fdatasync|fsync)\(\d+\)\s+=\s+0/.test(l)) events.push({ sync: true });
    else if (/(sendmsg|sendto|writev)\(.*"HTTP\/1\.1 (\d{3})/.test(l)) events.push({ status: Number(/"HTTP\/1\.1 (\d{3})/.exec(l)[1]) });
  }
  return events;
}

for (const mode of ['group', 'full']) {
  test(`[${mode}] every acknowledged write is preceded by a sync made after the previous response`, { skip: !haveStrace && 'strace is not installed' }, async () => {
    const events = responses(await traced(mode));
    const answers = events.filter((e) => e.status);
    // GET /register, POST /register (303), GET /api/v1/account, GET /api/v1/account (csrf), POST /logout (303)
    assert.ok(answers.length >= 5, JSON.stringify(events));
    let syncedSinceLast = false;
    const writes = [];
    for (const e of events) {
      if (e.sync) { syncedSinceLast = true; continue; }
      if (e.status === 303) writes.push(syncedSinceLast);
      syncedSinceLast = false;
    }
    assert.deepEqual(writes, [true, true], 'registration and logout were acknowledged only after a sync');
  });
}

// The control: --sync normal (SQLite synchronous=NORMAL, no store sync) acknowledges
// without a sync, and the check above must see it, or it proves nothing.
test('[normal] the check notices writes acknowledged without a sync', { skip: !haveStrace && 'strace is not installed' }, async () => {
  const events = responses(await traced('normal'));
  let syncedSinceLast = false;
  const writes = [];
  for (const e of events) {
    if (e.sync) { syncedSinceLast = true; continue; }
    if (e.status === 303) writes.push(syncedSinceLast);
    syncedSinceLast = false;
  }
  assert.ok(writes.includes(false), JSON.stringify(events));
});
