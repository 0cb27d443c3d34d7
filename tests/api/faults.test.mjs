// tests/api/faults.test.mjs - faults an operator meets (issue 17, item 5):
//   - the disk fills (the server's file-size limit, RLIMIT_FSIZE, lowered under it with
//     prlimit; and, where a tmpfs can be mounted (root), a small file system filled up):
//     writes are answered 503 with Retry-After and a sentence that says so, reads go on,
//     and once space returns writes succeed again without a restart;
//   - the database unreachable at start-up: exit 1 with one sentence.
// (Unreachable later, 503 and reconnection: tests/cluster/cluster.test.mjs, failover.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync, existsSync, chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, run, catalog } from '../lib/server.mjs';
import { Client } from '../lib/client.mjs';

const zh = catalog('zh');
let srv;
before(async () => { srv = await startServer({ sqlite: true }); });
after(async () => {
  spawnSync('prlimit', ['--pid', String(srv.proc.pid), '--fsize=unlimited']);
  const r = await srv.stop();
  assert.deepEqual(r, { code: 0, signal: null }, srv.log());
});

async function order(c, n) {
  return c.submit('/hotline/submit', {
    description: `磁盘测试工单 ${n}：${'路灯不亮，请尽快修理。'.repeat(20)}`, division: '540102005000',
    address: '扎细街道', phone: '13922224444', channel: 'mobile',
  }, { page: '/hotline/submit' });
}

test('a full disk answers 503 with Retry-After and recovers without a restart', async () => {
  const c = new Client(srv, { page: '/hotline/submit' });
  const first = await order(c, 0);
  assert.equal(first.status, 201, first.text.slice(0, 200));
  const db = `${srv.data}/onewindow.db`;
  const size = (f) => (existsSync(f) ? statSync(f).size : 0);
  const limit = Math.max(size(db), size(`${db}-wal`)) + 8192;
  const p = spawnSync('prlimit', ['--pid', String(srv.proc.pid), `--fsize=${limit}:unlimited`], { encoding: 'utf8' });
  assert.equal(p.status, 0, p.stderr);
  let full = null;
  for (let i = 1; i < 400 && !full; i++) {
    const r = await order(c, i);
    if (r.status !== 201) full = r;
  }
  assert.ok(full, 'writes past the limit must fail');
  assert.equal(full.status, 503, full.text.slice(0, 300));
  assert.equal(full.headers['retry-after'], '2');
  assert.equal(full.body.code, 'store.full');
  assert.equal(full.body.detail, zh.errors.store.full);
  // Reads still work, and the process is alive (SIGXFSZ does not end it).
  const h = await fetch(`${srv.url}/healthz`);
  assert.equal(h.status, 200);
  // Space returns: the next write succeeds, same process.
  const u = spawnSync('prlimit', ['--pid', String(srv.proc.pid), '--fsize=unlimited'], { encoding: 'utf8' });
  assert.equal(u.status, 0, u.stderr);
  let again = null;
  for (let i = 0; i < 50; i++) {
    again = await order(c, 1000 + i);
    if (again.status === 201) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(again.status, 201, again.text.slice(0, 300));
  assert.equal(srv.proc.exitCode, null);
});

test('a full file system (a small tmpfs filled up) answers 503 and recovers when space is freed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ow-full-'));
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', dir]).status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    t.skip('cannot mount a tmpfs here (needs root)');
    return;
  }
  let small;
  try {
    small = await startServer({ data: dir, sqlite: true });
    const c = new Client(small, { page: '/hotline/submit' });
    assert.equal((await order(c, 0)).status, 201);
    // Fill the file system: a file as large as it lets us write.
    spawnSync('dd', ['if=/dev/zero', `of=${dir}/filler`, 'bs=64k'], { encoding: 'utf8' });
    let full = null;
    for (let i = 1; i < 200 && !full; i++) {
      const r = await order(c, i);
      if (r.status !== 201) full = r;
    }
    assert.ok(full, 'writes on a full file system must fail');
    assert.equal(full.status, 503, full.text.slice(0, 300));
    assert.equal(full.headers['retry-after'], '2');
    assert.equal(full.body.code, 'store.full');
    assert.equal(full.body.detail, zh.errors.store.full);
    rmSync(`${dir}/filler`);
    const again = await order(c, 1000);
    assert.equal(again.status, 201, again.text.slice(0, 300));
  } finally {
    if (small) {
      const r = await small.stop({ keepData: true });
      assert.deepEqual(r, { code: 0, signal: null }, small.log());
    }
    spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a database unreachable at start-up: exit 1 with one sentence', () => {
  const r = run(['serve', '--data', srv.data, '--listen', '127.0.0.1:0',
    '--db', 'postgresql://nobody@127.0.0.1:1/onewindow?connect_timeout=1'], { timeout: 20000 });
  assert.equal(r.status, 1);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('ts='));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^onewindow: cannot connect to PostgreSQL at .*127\.0\.0\.1.*refused/);
});

test('onewindow doctor says what to fix: the key file mode, the public URL, an unreachable database', () => {
  const common = ['--data', srv.data, '--db', `sqlite:${srv.data}/onewindow.db`];
  const ok = run(['doctor', ...common, '--public-url', 'https://zwfw.example.gov.cn']);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^ok +key file .*master\.key/m);
  assert.match(ok.stdout, /^ok +database .* schema version (\d+) of \1$/m);
  assert.match(ok.stdout, /^ok +clock within \d+ ms/m);
  assert.match(ok.stdout, /^ok +[\d.]+ GiB free for the data directory$/m);
  assert.match(ok.stdout, /^nothing to fix$/m);
  const key = `${srv.data}/keys/master.key`;
  chmodSync(key, 0o644);
  try {
    const bad = run(['doctor', ...common]);
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /^FIX +.*master\.key can be read by others: chmod 600 /m);
    assert.match(bad.stdout, /^FIX +no --public-url/m);
    assert.match(bad.stdout, /^2 thing\(s\) to fix$/m);
  } finally {
    chmodSync(key, 0o600);
  }
  const nodb = run(['doctor', '--data', srv.data, '--db', 'postgresql://nobody@127.0.0.1:1/x?connect_timeout=1', '--public-url', 'https://x.example']);
  assert.equal(nodb.status, 1);
  assert.match(nodb.stdout, /^FIX +the database does not answer: cannot connect to PostgreSQL/m);
});
