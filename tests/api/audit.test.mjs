// audit.test.mjs - the tamper-evident audit log from the command line: after real activity
// (init, demo), `onewindow audit verify` finds the chain intact; a hand edit of one row in
// the database is reported as that entry altered, with exit status 1; checkpoints sign
// the head. SQLite here (the chain logic runs on both backends in tests/unit/audit_test.c);
// the second test runs on the suite's backend (PostgreSQL too).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, startServer, backend } from '../lib/server.mjs';
import { Client } from '../lib/client.mjs';
import { sqlOn, psql, PG_URL } from '../lib/db.mjs';

const data = mkdtempSync(join(tmpdir(), 'ow-audit-'));
const common = ['--data', data, '--db', `sqlite:${data}/onewindow.db`, '--insecure-fast-passwords', '1'];
after(() => rmSync(data, { recursive: true, force: true }));

const sql = (q) => {
  const r = spawnSync('sqlite3', [`${data}/onewindow.db`, q], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
};

test('SQLite: verify passes after real activity, checkpoints sign the head, and a hand edit is caught', () => {
  assert.equal(run(['init', ...common]).status, 0);
  const demo = run(['demo', ...common]);
  assert.equal(demo.status, 0, demo.stderr);
  const entries = Number(sql('SELECT COUNT(*) FROM audit_events'));
  assert.ok(entries > 20, `demo writes audit records (${entries})`);

  const ok = run(['audit', 'verify', ...common]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`^audit chain intact: ${entries} entries, 0 checkpoints`, 'm'));

  const cp = run(['audit', 'checkpoint', ...common]);
  assert.equal(cp.status, 0, cp.stderr);
  assert.match(cp.stdout, new RegExp(`signed at entry ${entries}`));
  assert.match(run(['audit', 'verify', ...common]).stdout, new RegExp(`intact: ${entries} entries, 1 checkpoints`));

  sql("UPDATE audit_events SET detail = 'nothing happened' WHERE seq = 7");
  const bad = run(['audit', 'verify', ...common]);
  assert.equal(bad.status, 1);
  assert.match(bad.stdout + bad.stderr, /audit chain broken at entry 7: altered/);

  const usage = run(['audit', 'shred', ...common]);
  assert.equal(usage.status, 2);
});

// Sub-chains (docs/internals/audit.md): audited requests served at the same time by the
// server's threads are chained per slot (PostgreSQL: one slot per thread; SQLite: slot 0
// only), every slot gap-free from 1; a checkpoint signs every slot's head, and deleting the
// tail of one slot after it is reported as missing entries of that slot. Both backends.
test('concurrent audited requests: sub-chains verify, a checkpoint signs every head, a deleted tail is caught', async () => {
  const srv = await startServer({ args: ['--insecure-fast-passwords', '1'] });
  const common2 = ['--data', srv.data, '--db', srv.db, '--insecure-fast-passwords', '1'];
  const sqlAt = (q) => sqlOn(srv.db, q);
  try {
    // Failed logins from 8 addresses at once (each is an audit record of its own).
    await Promise.all(Array.from({ length: 8 }, async (_, i) => {
      const c = new Client(srv, { localAddress: `127.0.${i + 1}.1` });
      for (let k = 0; k < 2; k++) {
        const r = await c.submit('/login', { login: `nobody${i}`, password: 'wrong password' });
        assert.ok(r.status === 401 || r.status === 429, `${r.status} ${r.text.slice(0, 200)}`);
      }
    }));
  } finally {
    await srv.stop({ keepData: true });
  }
  try {
    const entries = Number(sqlAt('SELECT COUNT(*) FROM audit_events')[0][0]);
    assert.ok(entries >= 16, `every failed login audited (${entries})`);
    // Every slot gap-free from 1.
    assert.deepEqual(sqlAt('SELECT slot FROM audit_events GROUP BY slot HAVING MIN(seq) <> 1 OR MAX(seq) <> COUNT(*)'), []);
    const slots = sqlAt('SELECT slot, MAX(seq) FROM audit_events GROUP BY slot ORDER BY slot');
    if (backend() === 'sqlite') assert.deepEqual(slots.map((r) => r[0]), ['0']);
    else assert.ok(slots.length >= 2 && slots.every((r) => r[0] !== '0'), `threads on slots of their own: ${JSON.stringify(slots)}`);

    const ok = run(['audit', 'verify', ...common2]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, new RegExp(`^audit chain intact: ${entries} entries, \\d+ checkpoints`, 'm'));
    const cp = run(['audit', 'checkpoint', ...common2]);
    assert.equal(cp.status, 0, cp.stderr);
    assert.match(cp.stdout, new RegExp(`signed at entry ${entries}\\b`));
    // The heads, one line per slot ("slot seq hash"): the rows printed are its lines.
    const heads = sqlAt('SELECT heads FROM audit_merged_checkpoints ORDER BY id DESC LIMIT 1').map((r) => r[0].split(' '));
    assert.deepEqual(heads.map(([s, q]) => [s, q]), slots);
    assert.equal(sqlAt('SELECT entries FROM audit_merged_checkpoints ORDER BY id DESC LIMIT 1')[0][0], String(entries));

    // Delete the newest entry of the last slot: its tail after the checkpoint.
    const [slot, head] = slots[slots.length - 1];
    sqlAt(`DELETE FROM audit_events WHERE slot = ${slot} AND seq = ${head}`);
    const bad = run(['audit', 'verify', ...common2]);
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, new RegExp(`broken at entry ${head}: missing: entries ${head} to ${head} are missing${slot === '0' ? '' : ` \\(sub-chain ${slot}\\)`}`));
  } finally {
    if (PG_URL && !srv.db.startsWith('sqlite:')) psql(PG_URL, `DROP DATABASE IF EXISTS ${new URL(srv.db).pathname.slice(1)} WITH (FORCE)`);
    rmSync(srv.data, { recursive: true, force: true });
  }
});
