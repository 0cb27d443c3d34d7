// tests/api/json_ids.test.mjs - 64-bit ids are strings in every JSON document (issue 17,
// docs/ARCHITECTURE.md "JSON ids"): JavaScript numbers lose digits past 2^53. Walks the
// JSON twins of the pages a citizen, a clerk and a visitor reach (the browser crawl does
// the same for every role), plus the documents the issue names: a certificate's issuer.id
// and seal_id (its issuer is named by a department code now), the application form's materials[].certs[].id, search hits' id.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { demoServer } from '../lib/db.mjs';
import { Client, login, DEMO_CITIZEN_ID, unescapeHtml } from '../lib/client.mjs';
import { unsafeIntegers } from '../lib/jsonints.mjs';

let env;
before(async () => { env = await demoServer('json_ids', { sqlite: true, timeout: 60000 }); });
after(async () => {
  const r = await env?.stop();
  assert.deepEqual(r, { code: 0, signal: null });
});

const ID = /^[1-9][0-9]{0,18}$/;
const SKIP = [/^\/logout/, /^\/login/, /\/files\//, /\.pdf$/, /\.csv$/, /\/export/, /^\/static\//,
  /^\/trust\//, /\/qr(\.png)?$/];

function assertSafe(path, text) {
  const bad = unsafeIntegers(text);
  assert.deepEqual(bad, [], `${path}: integers beyond 2^53 in the JSON`);
}

// Follow same-site links from the home page (up to `max` pages, a few per address shape)
// and check each page's JSON twin.
async function walk(c, max) {
  const queue = ['/'];
  const seen = new Set();
  const shapes = new Map();
  while (queue.length && seen.size < max) {
    const href = queue.shift().replace(/#.*$/, '');
    if (seen.has(href) || SKIP.some((re) => re.test(href))) continue;
    const shape = href.replace(/\/[^/?]*\d[^/?]*/g, '/N').replace(/\?.*$/, '');
    if ((shapes.get(shape) ?? 0) >= 2) continue;
    shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
    seen.add(href);
    const j = await c.get(href, { json: true });
    if (/json/.test(j.headers['content-type'] ?? '')) assertSafe(href, j.text);
    const h = await c.get(href, { json: false });
    if (!/text\/html/.test(h.headers['content-type'] ?? '')) continue;
    for (const m of h.text.matchAll(/<a\s[^>]*?href="(\/[^/"][^"]*)"/g)) queue.push(unescapeHtml(m[1]));
  }
  return seen.size;
}

test('the checker itself finds an integer beyond 2^53 and passes ids as strings', () => {
  assert.deepEqual(unsafeIntegers('{"a":[{"id":388168990494556160}],"n":9007199254740992}'),
    [{ path: 'a.0.id', value: '388168990494556160' }]);
  assert.deepEqual(unsafeIntegers('{"id":"388168990494556160","t":1796613899165,"x":1.5e300}'), []);
});

test('the documents the issue names carry their ids as strings', async () => {
  const c = await login(env.srv, DEMO_CITIZEN_ID);
  const wallet = await c.get('/certificates');
  assert.equal(wallet.status, 200);
  assertSafe('/certificates', wallet.text);
  assert.ok(wallet.body.certificates.length > 0, 'the demo citizen holds certificates');
  for (const cert of wallet.body.certificates) {
    assert.match(cert.id, ID);
    const r = await c.get(cert.url);
    assert.equal(r.status, 200, r.text.slice(0, 200));
    assertSafe(cert.url, r.text);
    assert.match(r.body.seal_id, ID, 'seal_id is a string');
    // The issuer is named by its department code (no numeric id in this document).
    assert.equal(typeof r.body.issuer.code, 'string');
    assert.ok(!('id' in r.body.issuer) || ID.test(r.body.issuer.id), 'issuer.id, if any, is a string');
  }
  const form = await c.get('/api/v1/services/XZ-MZ-001/apply');
  assert.equal(form.status, 200);
  assertSafe('apply form', form.text);
  const certs = form.body.materials.flatMap((m) => m.certs ?? []);
  assert.ok(certs.length > 0, 'the form offers the held certificates');
  for (const cert of certs) assert.match(cert.id, ID);
  const s = await c.get(`/api/v1/search?q=${encodeURIComponent('结婚')}`);
  assert.equal(s.status, 200);
  assertSafe('search', s.text);
  assert.ok(s.body.hits.length > 0);
  for (const h of s.body.hits) assert.match(h.id, ID);
});

for (const who of ['anon', DEMO_CITIZEN_ID, 'clerk.chengguan']) {
  test(`every JSON twin ${who} reaches has no integer beyond 2^53`, async () => {
    const c = who === 'anon' ? new Client(env.srv) : await login(env.srv, who, { staff: who.includes('.') });
    const n = await walk(c, 60);
    assert.ok(n > 5, `only ${n} pages reached`);
  });
}
