// tests/api/writepath.test.mjs - the write path's caches (issue 19), on one demo database
// (SQLite file, or PostgreSQL in the PostgreSQL pass):
// - the verification API's result cache on two nodes: two servers on the database answer
//   /api/v1/verify from memory; a seal or a certificate revoked elsewhere (the command
//   line, a third process) is reported by every node within a second;
// - submission's cache of published items follows the catalog's version: an item withdrawn
//   behind the server's back (another node) is refused at the next submission.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { demoServer } from '../lib/db.mjs';
import { randomBytes } from 'node:crypto';
import { Client, login, DEMO_CITIZEN_ID } from '../lib/client.mjs';
import { idNumbers } from '../lib/ids.mjs';

const MARRIAGE = { male_name: '扎西多吉', female_name: '卓玛' };
let d, node2;

before(async () => {
  d = await demoServer('writepath');
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

// ---- submission and the catalog's version ---------------------------------------------------

const ITEM = 'XZ-MZ-001';
const newIdNumber = idNumbers({ birth: '19960405', seed: process.pid % 900 });
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(200)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(200)]);
const PNG = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), randomBytes(200)]);
const files = () => [
  { name: 'm_id_card', filename: 'id.pdf', type: 'application/pdf', data: PDF },
  { name: 'm_household_register', filename: 'hukou.jpg', type: 'image/jpeg', data: JPEG },
  { name: 'm_photo', filename: 'photo.png', type: 'image/png', data: PNG },
];
const fields = () => ({
  _division: '540102000000', _action: 'submit',
  f_male_name: '扎西多吉', f_male_id: DEMO_CITIZEN_ID,
  f_female_name: '卓玛', f_female_id: newIdNumber(),
  f_appointment_date: new Date(Date.now() + 10 * 86400000).toISOString().slice(0, 10),
  f_phone: '13800000001', f_declaration: 'on',
});
const bumpCatalog = () => d.sql("UPDATE platform_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_version'");

// The handler and the submission take the item from the cache: a rule changed behind the
// server's back (another node: the document and the catalog's version, in one transaction)
// applies at once. (Without the version's bump the old rule would still hold: the cache.)
test('a submission follows the catalog version: a rule changed elsewhere applies to the next one', async () => {
  const citizen = await login(d.srv, DEMO_CITIZEN_ID, { client: new Client(d.srv, { uploadPage: `/api/v1/services/${ITEM}/apply` }) });
  const ok = await citizen.upload(`/api/v1/services/${ITEM}/apply`, fields(), files());
  assert.equal(ok.status, 201, ok.text);
  const [[doc]] = d.sql(`SELECT doc FROM catalog_versions WHERE code = '${ITEM}' AND status = 'published'`);
  const item = JSON.parse(doc);
  item.form.fields.find((f) => f.key === 'female_name').min_len = 5; // 卓玛 is 2 characters
  const put = (text) => d.sql(`UPDATE catalog_versions SET doc = '${text.replace(/'/g, "''")}' WHERE code = '${ITEM}' AND status = 'published'`);
  put(JSON.stringify(item));
  bumpCatalog();
  try {
    const refused = await citizen.upload(`/api/v1/services/${ITEM}/apply`, fields(), files());
    assert.equal(refused.status, 422, refused.text);
    assert.deepEqual(refused.body.problems.map((p) => p.key), ['female_name']);
  } finally {
    put(doc);
    bumpCatalog();
  }
  const again = await citizen.upload(`/api/v1/services/${ITEM}/apply`, fields(), files());
  assert.equal(again.status, 201, again.text);
});
