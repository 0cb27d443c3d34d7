// audit.test.mjs - the tamper-evident audit log from the command line: after real activity
// (init, demo), `onewindow audit verify` finds the chain intact; a hand edit of one row in
// the database is reported as that entry altered, with exit status 1; checkpoints sign
// the head. SQLite here (the chain logic runs on both backends in tests/unit/audit_test.c).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../lib/server.mjs';

const data = mkdtempSync(join(tmpdir(), 'ow-audit-'));
const common = ['--data', data, '--db', `sqlite:${data}/onewindow.db`, '--insecure-fast-passwords', '1'];
after(() => rmSync(data, { recursive: true, force: true }));

const sql = (q) => {
  const r = spawnSync('sqlite3', [`${data}/onewindow.db`, q], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
};

test('verify passes after real activity, checkpoints sign the head, and a hand edit is caught', () => {
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
