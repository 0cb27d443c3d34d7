// tests/api/backup.test.mjs - `onewindow backup DEST` while the server serves and writes,
// `onewindow restore SRC` into a fresh data directory (and database), refusal of a live
// target, and the restored copy: its audit chain verifies, it serves, and it holds every
// row that was committed before the backup began (issue 17, item 2). Runs on SQLite and,
// in the PostgreSQL pass, on PostgreSQL (pg_dump/pg_restore).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, readFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, startServer, backend } from '../lib/server.mjs';
import { demoServer, freshDatabase } from '../lib/db.mjs';
import { Client, login, DEMO_CITIZEN_ID } from '../lib/client.mjs';

let env;
const dirs = [];
before(async () => { env = await demoServer('backup', { timeout: 60000 }); });
after(async () => {
  const r = await env?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  assert.deepEqual(r, { code: 0, signal: null });
});
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'ow-bk-')); dirs.push(d); return d; };

const TABLES = ['accounts', 'audit_events', 'certificates', 'hotline_orders', 'applications'];
const counts = (sql) => Object.fromEntries(TABLES.map((t) => [t, Number(sql(`SELECT count(*) FROM ${t}`)[0][0])]));

async function newOrder(anon, n) {
  const r = await anon.submit('/hotline/submit', {
    description: `备份测试工单 ${n}：路灯不亮，请尽快修理。`, division: '540102005000', address: '扎细街道',
    phone: '13922224444', channel: 'mobile',
  }, { page: '/hotline/submit' });
  assert.ok([201, 303].includes(r.status), r.text.slice(0, 300));
}

test('backup while serving, restore elsewhere: the copy verifies, serves and holds what was committed', async () => {
  const anon = new Client(env.srv, { page: '/hotline/submit' });
  for (let i = 0; i < 3; i++) await newOrder(anon, i);
  const before = counts(env.sql);
  const dest = join(tmp(), 'bk');
  // Writes go on while the backup runs.
  let writing = true;
  let written = 0;
  const writer = (async () => { while (writing) { await newOrder(anon, 100 + written); written++; } })();
  const b = run(['backup', dest, '--data', env.data, '--db', env.db], { timeout: 60000 });
  writing = false;
  await writer;
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stdout, /^backup of the (sqlite|postgresql) database and keys in .*: \d+ bytes, [\d.]+ s$/m);
  assert.equal(statSync(dest).mode & 0o777, 0o700);
  assert.equal(statSync(join(dest, 'keys', 'master.key')).mode & 0o777, 0o600);
  for (const f of ['MANIFEST', backend() === 'sqlite' ? 'onewindow.db' : 'onewindow.pgdump']) {
    assert.equal(statSync(join(dest, f)).mode & 0o077, 0, `${f} is readable by its owner only`);
  }
  assert.deepEqual(readFileSync(join(dest, 'keys', 'master.key')), readFileSync(join(env.data, 'keys', 'master.key')));
  assert.match(readFileSync(join(dest, 'MANIFEST'), 'utf8'), new RegExp(`backend=${backend()}`));
  // A second backup into the same place is refused.
  const again = run(['backup', dest, '--data', env.data, '--db', env.db]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already exists/);

  // Restore refuses the live data directory.
  const live = run(['restore', dest, '--data', env.data, '--db', env.db]);
  assert.equal(live.status, 1);
  assert.match(live.stderr, /refuses to overwrite a live/);

  const target = freshDatabase('restored');
  try {
    const r = run(['restore', dest, '--data', target.data, '--db', target.db], { timeout: 60000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(statSync(join(target.data, 'keys', 'master.key')).mode & 0o777, 0o600);
    // Restoring twice into the same target is refused too.
    const twice = run(['restore', dest, '--data', target.data, '--db', target.db]);
    assert.equal(twice.status, 1);
    const v = run(['audit', 'verify', '--data', target.data, '--db', target.db]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /audit chain intact/);
    const restored = counts(target.sql);
    const afterAll = counts(env.sql);
    for (const t of TABLES) {
      assert.ok(restored[t] >= before[t], `${t}: ${restored[t]} rows restored, ${before[t]} committed before the backup`);
      assert.ok(restored[t] <= afterAll[t], `${t}: ${restored[t]} restored > ${afterAll[t]} in the source`);
    }
    // Same rows, same content, for what was committed before the backup.
    const q = 'SELECT id, status FROM hotline_orders ORDER BY id';
    const src = env.sql(q).map((r) => r.join(' '));
    const dst = target.sql(q).map((r) => r.join(' '));
    assert.deepEqual(dst, src.slice(0, dst.length), 'the restored orders are a prefix of the source\'s');
    // The restored copy serves: the citizen logs in and sees the same certificates.
    const srv = await startServer({ init: false, data: target.data, db: target.db, args: ['--insecure-fast-passwords', '1'] });
    try {
      const c1 = await login(env.srv, DEMO_CITIZEN_ID);
      const c2 = await login(srv, DEMO_CITIZEN_ID);
      const w1 = await c1.get('/certificates');
      const w2 = await c2.get('/certificates');
      assert.equal(w2.status, 200);
      assert.deepEqual(w2.body.certificates.map((c) => c.identifier).sort(), w1.body.certificates.map((c) => c.identifier).sort());
      assert.ok(w2.body.certificates.length > 0);
    } finally {
      const s = await srv.stop();
      assert.deepEqual(s, { code: 0, signal: null }, srv.log());
    }
  } finally {
    target.drop();
  }
});

test('restore refuses what is not a backup, and a backup of the other backend', () => {
  const d = tmp();
  const r = run(['restore', d, '--data', join(d, 'x')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not a onewindow backup/);
  assert.ok(!existsSync(join(d, 'x', 'keys')), 'nothing written');
  const u = run(['backup']);
  assert.equal(u.status, 2);
});
