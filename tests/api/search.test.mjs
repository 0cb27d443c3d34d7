// tests/api/search.test.mjs - the platform search over HTTP and the command line: documents
// loaded with `onewindow search index-file`, then GET /search (HTML) and /api/v1/search
// (JSON): Chinese queries of two and more characters, Tibetan syllables, English, only
// public documents, the kind filter, paging, highlighting that stays escaped, and input that
// is empty, enormous or FTS syntax (always a 200, never an error).
//
// One server for the file, on a database of its own (SQLite file, or in the PostgreSQL pass
// a fresh database made with psql, since the shared one may hold other files' documents).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, startServer, catalog } from '../lib/server.mjs';
import { freshDatabase } from '../lib/db.mjs';

const T = { zh: catalog('zh'), bo: catalog('bo'), en: catalog('en') };

const DOCS = [
  { kind: 'kb', id: 1, lang: 'zh', title: '内地居民婚姻登记', body: '办理结婚登记需要双方的户口簿和居民身份证。', tag: 'marriage', division_code: 540102000000 },
  { kind: 'kb', id: 2, lang: 'zh', title: '<script>alert(1)</script>户口登记', body: '新生儿出生后一个月内办理户口登记，需要出生医学证明。', tag: 'household' },
  { kind: 'kb', id: 3, lang: 'bo', title: 'བོད་ལྗོངས་ཀྱི་གཞུང་ཞབས་ཞུ།', body: 'ཁྱིམ་ཚང་ཐོ་འགོད་བྱེད་དགོས་ན་ལག་ཁྱེར་ཁྱེར་ནས་ཡོང་དགོས།' },
  { kind: 'kb', id: 4, lang: 'en', title: 'Marriage registration', body: 'Bring your Resident ID card and the household register.' },
  { kind: 'order', id: 5, lang: 'zh', title: '户口迁移投诉', body: '来电人反映户口迁移办理时间过长。', visibility: 1 },
  { kind: 'policy', id: 6, lang: 'zh', title: '户口政策解读', body: '关于户籍制度改革的政策解读。' },
];
// Enough documents for three pages of "政务".
for (let i = 0; i < 25; i++) DOCS.push({ kind: 'faq', id: 100 + i, lang: 'zh', title: `政务服务常见问题 ${i}`, body: '网上办理指南。' });

let tmp, dbUrl, db, srv, common;

before(async () => {
  db = freshDatabase('search');
  ({ data: tmp, db: dbUrl, common } = db);
  const init = run(['init', ...common]);
  assert.equal(init.status, 0, init.stderr);
  const file = join(tmp, 'docs.jsonl');
  writeFileSync(file, DOCS.map((d) => JSON.stringify({ visibility: 0, updated_at: 1000 + d.id, ...d })).join('\n') + '\n');
  const r = run(['search', 'index-file', file, ...common]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^${DOCS.length} document\\(s\\) indexed, 0 line\\(s\\) refused`));
  srv = await startServer({ init: false, data: tmp, db: dbUrl });
});

after(async () => {
  if (srv) {
    const r = await srv.stop();
    assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
  }
  db?.drop();
});

async function api(params, headers = {}) {
  const res = await fetch(`${srv.url}/api/v1/search?${new URLSearchParams(params)}`, { headers });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /application\/json/);
  return res.json();
}
const ids = (body) => body.hits.map((h) => `${h.kind}:${h.id}`).sort();

test('Chinese: two-character and longer queries, AND of terms, public documents only', async () => {
  assert.deepEqual(ids(await api({ q: '户口' })), ['kb:1', 'kb:2', 'policy:6']); // not the staff order
  assert.deepEqual(ids(await api({ q: '户口登记' })), ['kb:2']);
  assert.deepEqual(ids(await api({ q: '婚姻 身份证' })), ['kb:1']);
  assert.deepEqual(ids(await api({ q: '迁移' })), []); // only in the staff-only order
  const b = await api({ q: '户口' });
  assert.equal(b.total, 3);
  assert.equal(b.query, '户口');
});

test('Tibetan: by syllable, with or without the tsheg, several syllables', async () => {
  for (const q of ['བོད', 'བོད་', 'ལྗོངས', 'བོད་ལྗོངས', 'ཐོ་འགོད']) {
    assert.deepEqual(ids(await api({ q })), ['kb:3'], q);
  }
  assert.deepEqual(ids(await api({ q: 'རྒྱ་གར' })), []);
});

test('English: case-insensitive, two letters work', async () => {
  assert.deepEqual(ids(await api({ q: 'MARRIAGE' })), ['kb:4']);
  assert.deepEqual(ids(await api({ q: 'id' })), ['kb:4']);
});

test('the kind filter and paging', async () => {
  assert.deepEqual(ids(await api({ q: '户口', kind: 'policy' })), ['policy:6']);
  assert.deepEqual(ids(await api({ q: '户口', kind: 'order' })), []); // staff only, even by kind
  const p1 = await api({ q: '政务' });
  assert.equal(p1.total, 25);
  assert.equal(p1.hits.length, 10);
  assert.ok(p1.next_url && !p1.prev_url);
  const p3 = await api({ q: '政务', page: '3' });
  assert.equal(p3.hits.length, 5);
  assert.ok(p3.prev_url && !p3.next_url);
  const all = new Set([...p1.hits, ...(await api({ q: '政务', page: '2' })).hits, ...p3.hits].map((h) => h.id));
  assert.equal(all.size, 25, 'pages do not overlap');
  // A page that is not a whole number in range is a 400 (the handler kit), never page 1
  // by accident.
  for (const page of ['abc', '0', '-1', '1.5', '102']) {
    const res = await fetch(`${srv.url}/api/v1/search?${new URLSearchParams({ q: '政务', page })}`);
    assert.equal(res.status, 400, page);
    assert.equal((await res.json()).code, 'http.bad_number');
  }
});

test('highlighting: segments in JSON, <mark> around escaped text in HTML', async () => {
  const b = await api({ q: '户口登记' });
  const hit = b.hits[0];
  assert.deepEqual(hit.title_segments, [
    { text: '<script>alert(1)</script>', hit: false },
    { text: '户口登记', hit: true },
  ]);
  assert.ok(hit.snippet.some((s) => s.hit && s.text === '户口登记'));
  const res = await fetch(`${srv.url}/search?q=${encodeURIComponent('户口登记')}`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.ok(!html.includes('<script>alert(1)</script>'), 'document text is escaped');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;<mark>户口登记</mark>'));
  assert.ok(html.includes(T.zh.search.title));
});

test('the page in Tibetan and English uses their catalogs', async () => {
  for (const lang of ['bo', 'en']) {
    const res = await fetch(`${srv.url}/search?q=x&lang=${lang}`, { headers: { 'Accept-Language': lang } });
    const html = await res.text();
    assert.equal(res.status, 200);
    assert.ok(html.includes(T[lang].search.none), `${lang}: ${T[lang].search.none}`);
  }
  const empty = await (await fetch(`${srv.url}/search`)).text();
  assert.ok(!empty.includes(T.zh.search.none), 'no result list before a search');
});

test('nasty input never errors', async () => {
  const nasty = ['', ' ', '"', '""', "'", '*', '^', ':', '(', ')', 'NEAR(户口 登记, 2)', '户口 AND', 'OR',
    'NOT 户口', 'title:户口', '户口*', '"户口', '%', '_', '\\', "' OR 1=1 --", '་', '།', '。，',
    '\u200b', '\ufeff', 'a'.repeat(5000), '户口"*('.repeat(200), '{title}: x', '-户口', '+户口'];
  for (const q of nasty) {
    const b = await api({ q });
    assert.equal(typeof b.total, 'number', JSON.stringify(q).slice(0, 40));
    const res = await fetch(`${srv.url}/search?${new URLSearchParams({ q, kind: q.slice(0, 64) })}`);
    assert.equal(res.status, 200, JSON.stringify(q).slice(0, 40));
    await res.text();
  }
  assert.ok((await api({ q: '"户口"' })).total >= 3, 'quotes around a term are not syntax');
  assert.equal((await api({ q: 'a'.repeat(5000) })).query.length, 200);
  // A URL longer than the HTTP layer takes is refused there, cleanly.
  const huge = await fetch(`${srv.url}/api/v1/search?q=${'a'.repeat(100000)}`);
  assert.equal(huge.status, 414);
});

test('onewindow search query and delete', () => {
  let r = run(['search', 'query', '迁移', ...common]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).total, 0); // public only by default
  r = run(['search', 'query', '迁移', 'order', 'staff', ...common]);
  assert.equal(JSON.parse(r.stdout).total, 1);
  r = run(['search', 'delete', 'order', '5', ...common]);
  assert.equal(r.status, 0, r.stderr);
  r = run(['search', 'query', '迁移', 'order', 'staff', ...common]);
  assert.equal(JSON.parse(r.stdout).total, 0);
  r = run(['search', 'bogus', ...common]);
  assert.equal(r.status, 2);
  const bad = join(tmp, 'bad.jsonl');
  writeFileSync(bad, '{"kind":"BAD KIND","id":1,"title":"x"}\nnot json\n{"kind":"kb","id":77,"title":"好的"}\n');
  r = run(['search', 'index-file', bad, ...common]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.jsonl:1: /);
  assert.match(r.stderr, /bad\.jsonl:2: /);
  assert.match(r.stdout, /^1 document\(s\) indexed, 2 line\(s\) refused/);
});
