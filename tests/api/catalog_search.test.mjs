// tests/api/catalog_search.test.mjs - the service catalog in the platform search (issue 10
// item 5): after `onewindow demo`, what people type (护照, 婚姻, 出生登记, "marriage",
// གཉེན་སྒྲིག ...) finds the catalog's items and bundles at /search and /api/v1/search, hits
// link to /services/CODE and /services/bundles/CODE and show the name in the reader's
// language; /services?q= filters the listing; an import re-indexes (aliases included); a
// database whose index lacks the catalog is indexed at start, and `catalog reindex` rebuilds.
// Expected names come from data/catalog/demo.json, never typed in twice. SQLite and, with
// ONEWINDOW_TEST_PG_URL, PostgreSQL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, catalog, startServer } from '../lib/server.mjs';
import { demoServer } from '../lib/db.mjs';

const DEMO = JSON.parse(readFileSync(join(ROOT, 'data', 'catalog', 'demo.json'), 'utf8'));
const item = (code) => DEMO.items.find((i) => i.code === code);
const bundle = (code) => DEMO.bundles.find((b) => b.code === code);
const T = { zh: catalog('zh'), bo: catalog('bo'), en: catalog('en') };
let db, srv;

before(async () => {
  db = await demoServer('catalog-search');
  srv = db.srv;
});

after(async () => {
  if (db) {
    // srv: the server of the last test (it restarts one), whose data directory is db's.
    const r = await srv.stop();
    db.drop();
    assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
  }
});

async function search(q, { lang = 'zh', kind } = {}) {
  const params = new URLSearchParams({ q, lang });
  if (kind) params.set('kind', kind);
  const res = await fetch(`${srv.url}/api/v1/search?${params}`);
  assert.equal(res.status, 200);
  return res.json();
}
// The catalog hits as "kind:CODE", in rank order.
const refs = (r) => r.hits.filter((h) => h.ref).map((h) => `${h.kind}:${h.ref}`);

test('the five queries of the issue find the service (and more)', async () => {
  const cases = [
    ['护照', 'service:XZ-GA-001'],
    ['婚姻', 'service:XZ-MZ-001'],
    ['婚姻', 'service:XZ-MZ-002'],
    ['出生登记', 'service:XZ-GA-003'],
    ['出生登记', 'service_bundle:BUNDLE-NEWBORN'], // through its items' names
    ['marriage', 'service:XZ-MZ-001'],
    ['MARRIAGE', 'service:XZ-MZ-001'],
    ['གཉེན་སྒྲིག', 'service:XZ-MZ-001'],
    ['གཉེན་སྒྲིག་', 'service:XZ-MZ-001'], // with the tsheg
    ['结婚', 'service:XZ-MZ-001'],
    ['passport', 'service:XZ-GA-001'],
    ['身份证', 'service:XZ-GA-002'],
    ['个体工商户', 'service:XZ-SJ-001'],
    ['个体工商户', 'service_bundle:BUNDLE-START-BUSINESS'],
    ['新生儿', 'service_bundle:BUNDLE-NEWBORN'],
    ['XZ-MZ-001', 'service:XZ-MZ-001'], // the code
    ['出生医学证明', 'service:XZ-WJ-001'], // a material's name
  ];
  for (const [q, want] of cases) assert.ok(refs(await search(q)).includes(want), `${q} finds ${want}`);
  // The item whose name has the words comes first.
  assert.equal(refs(await search('护照'))[0], 'service:XZ-GA-001');
  assert.equal(refs(await search('marriage'))[0], 'service:XZ-MZ-001');
  assert.deepEqual(refs(await search('火星移民')), []);
});

test('hits link to the guide or the bundle and show the reader\'s name', async () => {
  const r = await search('婚姻', { lang: 'bo' });
  const mz1 = r.hits.find((h) => h.ref === 'XZ-MZ-001');
  assert.equal(mz1.title, item('XZ-MZ-001').name.bo);
  assert.equal(mz1.title_lang, 'bo');
  assert.equal(mz1.kind_label, T.bo.catalog.kind.item);
  assert.equal(mz1.url, '/services/XZ-MZ-001');
  // Every demo item has its Tibetan name (issue 11): XZ-MZ-002's too.
  const mz2 = r.hits.find((h) => h.ref === 'XZ-MZ-002');
  assert.equal(mz2.title, item('XZ-MZ-002').name.bo);
  assert.equal(mz2.title_lang, 'bo');
  const en = (await search('marriage', { lang: 'en' })).hits.find((h) => h.ref === 'XZ-MZ-001');
  assert.equal(en.title, item('XZ-MZ-001').name.en);
  const b = (await search('新生儿')).hits.find((h) => h.ref === 'BUNDLE-NEWBORN');
  assert.equal(b.url, '/services/bundles/BUNDLE-NEWBORN');
  assert.equal(b.title, bundle('BUNDLE-NEWBORN').name.zh);
  assert.equal(b.kind_label, T.zh.catalog.kind.bundle);
  // The kind filter.
  assert.deepEqual(refs(await search('出生登记', { kind: 'service_bundle' })), ['service_bundle:BUNDLE-NEWBORN']);

  // The HTML page: a link with the name, marked with its language, the hit highlighted.
  const html = await (await fetch(`${srv.url}/search?q=${encodeURIComponent('གཉེན་སྒྲིག')}&lang=bo`)).text();
  assert.match(html, /<h2 lang="bo"><a href="\/services\/XZ-MZ-001">[^<]*<mark>གཉེན་སྒྲིག<\/mark>/);
  for (const f of ['护照', '婚姻', '出生登记', 'marriage']) {
    const page = await (await fetch(`${srv.url}/search?q=${encodeURIComponent(f)}`)).text();
    assert.match(page, /href="\/services\/XZ-[A-Z]{2}-\d{3}"/, f);
  }
});

// Issue 11 item 2: Tibetan queries for other services than marriage registration find them
// through their Tibetan names and texts, with or without the final tsheg, and the hits read
// in Tibetan on a Tibetan page.
test('Tibetan queries find the passport, birth registration, the individual business and more', async () => {
  const cases = [
    ['ཕྱི་ཐོན་ལག་ཁྱེར', 'service:XZ-GA-001', 'name'], // passport
    ['ཕྱི་ཐོན་ལག་ཁྱེར་', 'service:XZ-GA-001', 'name'], // with the tsheg
    ['སྐྱེས་ཐོ', 'service:XZ-GA-003', 'name'], // birth registration
    ['སྐྱེས་ཐོ', 'service_bundle:BUNDLE-NEWBORN', null], // through its items' names
    ['ཐོབ་ཐང་ལག་ཁྱེར་བརྗེ་ལེན', 'service:XZ-GA-002', 'name'], // ID card renewal
    ['ཁ་ལོ་བའི་ལག་ཁྱེར', 'service:XZ-GA-004', 'name'], // driving licence
    ['སྒེར་གཉེར་ཚོང་ལས', 'service:XZ-SJ-001', 'name'], // individual business
    ['སྒེར་གཉེར་ཚོང་ལས', 'service_bundle:BUNDLE-START-BUSINESS', null],
    ['སེམས་ཞི་དུས་ཡུན', 'service:XZ-MZ-002', 'conditions'], // divorce: the cooling-off period
    ['ཐེམ་ཐོ་དེབ', 'service:XZ-GA-002', 'material'], // a material's name
  ];
  for (const [q, want, where] of cases) {
    const code = want.split(':')[1];
    if (where === 'name') assert.ok(item(code).name.bo.includes(q.replace(/་$/, '')), `${q} is in ${code}'s name`);
    if (where === 'conditions') assert.ok(item(code).conditions.bo.includes(q), `${q} is in ${code}'s conditions`);
    if (where === 'material') assert.ok(item(code).materials.some((m) => m.name.bo.includes(q)), `${q} names a material of ${code}`);
    assert.ok(refs(await search(q, { lang: 'bo' })).includes(want), `${q} finds ${want}`);
  }
  // The item named so comes first, shown in Tibetan.
  const r = await search('ཕྱི་ཐོན་ལག་ཁྱེར', { lang: 'bo' });
  assert.equal(refs(r)[0], 'service:XZ-GA-001');
  assert.equal(r.hits[0].title, item('XZ-GA-001').name.bo);
  assert.equal(r.hits[0].title_lang, 'bo');
  const birth = (await search('སྐྱེས་ཐོ', { lang: 'bo' })).hits.find((h) => h.ref === 'BUNDLE-NEWBORN');
  assert.equal(birth.title, bundle('BUNDLE-NEWBORN').name.bo);
  // /services?q= in Tibetan, too.
  const res = await fetch(`${srv.url}/api/v1/services?q=${encodeURIComponent('ཕྱི་ཐོན་ལག་ཁྱེར')}&lang=bo`);
  const list = await res.json();
  assert.deepEqual(list.items.map((i) => i.code), ['XZ-GA-001']);
  assert.deepEqual(list.items[0].name, { text: item('XZ-GA-001').name.bo, lang: 'bo' });
});

test('/services?q= filters the listing (with the other filters), best first', async () => {
  const list = async (qs) => {
    const res = await fetch(`${srv.url}/api/v1/services?${qs}`);
    assert.equal(res.status, 200);
    return res.json();
  };
  let r = await list(`q=${encodeURIComponent('护照')}`);
  assert.deepEqual(r.items.map((i) => i.code), ['XZ-GA-001']);
  assert.equal(r.filters.q, '护照');
  r = await list(`q=${encodeURIComponent('婚姻')}`);
  assert.deepEqual(r.items.map((i) => i.code).sort(), ['XZ-MZ-001', 'XZ-MZ-002']);
  r = await list(`q=${encodeURIComponent('出生')}&event=birth`);
  assert.ok(r.items.every((i) => i.summary.life_events.includes('birth')));
  assert.ok(r.items.some((i) => i.code === 'XZ-GA-003'));
  assert.deepEqual(r.bundles.map((b) => b.code), ['BUNDLE-NEWBORN']);
  r = await list(`q=${encodeURIComponent('火星移民')}`);
  assert.equal(r.count, 0);
  // The HTML form keeps what was typed.
  const html = await (await fetch(`${srv.url}/services?q=${encodeURIComponent('护照')}`)).text();
  assert.ok(html.includes('value="护照"'));
  assert.ok(html.includes('href="/services/XZ-GA-001"'));
  assert.ok(!html.includes('href="/services/XZ-MZ-001"'));
});

test('an import re-indexes: a new name and aliases are found, the old name is not', async () => {
  const doc = structuredClone(item('XZ-RS-001'));
  delete doc.featured;
  doc.name = { zh: '失业金领取', bo: 'ལས་མེད་འཚོ་སྐྱོང་མ་དངུལ་ལེན་པ།', en: 'Unemployment benefit claim' };
  doc.aliases = [{ zh: '失业补助', bo: 'ལས་ཤོར་རོགས་དངུལ།', en: 'jobless pay' }];
  const file = join(db.data, 'rs001.json');
  writeFileSync(file, JSON.stringify(doc));
  const r = db.cli(['catalog', 'import', file]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(refs(await search('失业金领取')).includes('service:XZ-RS-001'));
  assert.ok(refs(await search('失业补助')).includes('service:XZ-RS-001'));
  assert.ok(refs(await search('jobless')).includes('service:XZ-RS-001'));
  assert.ok(refs(await search('ལས་མེད')).includes('service:XZ-RS-001'));
  assert.ok(refs(await search('ལས་ཤོར་རོགས་དངུལ')).includes('service:XZ-RS-001'));
  assert.ok(!refs(await search('失业保险金申领')).includes('service:XZ-RS-001'), 'the old name is gone');
  // Aliases are checked like any text.
  writeFileSync(file, JSON.stringify({ ...doc, aliases: [{ bo: 'x' }], featured: 0 }));
  const bad = db.cli(['catalog', 'import', file]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /\$\.aliases\[0\]\.zh: .*\(catalog\.check\.required\)/);
  assert.match(bad.stderr, /\$\.featured: .*\(catalog\.check\.range\)/);
});

test('a database whose index lacks the catalog is indexed at start; catalog reindex rebuilds', async () => {
  // As a database from before: no catalog documents, no record of an index.
  db.sql("DELETE FROM search_docs WHERE kind IN ('service', 'service_bundle')");
  db.sql("DELETE FROM platform_meta WHERE key = 'catalog_search_format'");
  assert.deepEqual(refs(await search('护照')), []);
  const r = await srv.stop({ keepData: true });
  assert.deepEqual(r, { code: 0, signal: null });
  srv = await startServer({ init: false, data: db.data, db: db.db, args: ['--insecure-fast-passwords', '1'] });
  assert.match(srv.log(), /the catalog was indexed for search/);
  assert.deepEqual(refs(await search('护照')), ['service:XZ-GA-001']);

  const re = db.cli(['catalog', 'reindex']);
  assert.equal(re.status, 0, re.stderr);
  assert.match(re.stdout, new RegExp(`^catalog: ${DEMO.items.length} item\\(s\\) and ${DEMO.bundles.length} bundle\\(s\\) indexed for search`));
  assert.deepEqual(refs(await search('护照')), ['service:XZ-GA-001']);
  const n = db.sql("SELECT COUNT(*) FROM search_docs WHERE kind IN ('service', 'service_bundle')");
  assert.equal(Number(n[0][0]), DEMO.items.length + DEMO.bundles.length);
});
