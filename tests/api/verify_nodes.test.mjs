// tests/api/verify_nodes.test.mjs - the verification API's result cache on two nodes
// (issue 19): two servers on one database (SQLite file, or PostgreSQL in the PostgreSQL
// pass) answer /api/v1/verify from memory; a seal or a certificate revoked elsewhere (the
// command line, a third process) is reported by every node within a second.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { demoServer } from '../lib/db.mjs';
import { DEMO_CITIZEN_ID } from '../lib/client.mjs';

const MARRIAGE = { male_name: '扎西多吉', female_name: '卓玛' };
let d, node2;

before(async () => {
  d = await demoServer('verifynodes');
  node2 = await startServer({ init: false, data: d.data, db: d.db, args: ['--insecure-fast-passwords', '1'] });
});

after(async () => {
  if (node2) assert.deepEqual(await node2.stop(), { code: 0, signal: null });
  if (d) assert.deepEqual(await d.stop(), { code: 0, signal: null });
});

function issue(dept) {
  const r = d.cli(['cert', 'issue', 'MARRIAGE_CERT', DEMO_CITIZEN_ID, dept, JSON.stringify(MARRIAGE)]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

async function verifyOn(node, id) {
  const r = await fetch(`${node.url}/api/v1/verify?q=${encodeURIComponent(id)}`);
  assert.equal(r.status, 200);
  return r.json();
}

// Poll both nodes (every 25 ms, capped at 3 s) until each says `status`; the milliseconds
// until the slower one did.
async function untilBoth(id, status) {
  const t0 = Date.now();
  const seen = new Map();
  while (Date.now() - t0 < 3000 && seen.size < 2) {
    for (const node of [d.srv, node2]) {
      if (!seen.has(node) && (await verifyOn(node, id)).status === status) seen.set(node, Date.now() - t0);
    }
    if (seen.size < 2) await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(seen.size, 2, `both nodes should say ${status}`);
  return Math.max(...seen.values());
}

// Warm both nodes' caches: a second request is served from memory (same answer).
async function warm(id) {
  for (const node of [d.srv, node2]) {
    for (let i = 0; i < 3; i++) assert.equal((await verifyOn(node, id)).status, 'valid');
  }
}

test('a seal revoked elsewhere: both nodes report it within a second', async () => {
  const id = issue('cg-mz');
  await warm(id);
  const seals = d.cli(['seal', 'list', 'cg-mz']).stdout.trim().split('\n').map((l) => l.split('\t'));
  const sealId = seals.find((s) => s.includes('active'))?.[0] ?? seals[0][0];
  const r = d.cli(['seal', 'revoke', sealId]);
  assert.equal(r.status, 0, r.stderr);
  const ms = await untilBoth(id, 'revoked');
  assert.ok(ms < 1000, `reported after ${ms} ms`);
  const v = await verifyOn(node2, id);
  assert.equal(v.failed, 'seal_status');
});

test('a certificate revoked elsewhere: both nodes report it within a second', async () => {
  const id = issue('ls-mz');
  await warm(id);
  const r = d.cli(['cert', 'revoke', id]);
  assert.equal(r.status, 0, r.stderr);
  const ms = await untilBoth(id, 'revoked');
  assert.ok(ms < 1000, `reported after ${ms} ms`);
});
