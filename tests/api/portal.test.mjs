// tests/api/portal.test.mjs - the home page as a portal (issue 10 item 11): a search box that
// works without JavaScript (a GET form to /search), popular services (the catalog's curated
// "featured" ranks when no use is known), life events for persons and enterprises, the 12345
// hotline, certificate verification, notices, no "under construction" text, small and in
// every language; logged in, the person's latest applications and messages. Expected values
// come from data/catalog/demo.json and the message catalogs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, catalog } from '../lib/server.mjs';
import { demoServer } from '../lib/db.mjs';
import { Client, login, DEMO_CITIZEN_ID } from '../lib/client.mjs';

const DEMO = JSON.parse(readFileSync(join(ROOT, 'data', 'catalog', 'demo.json'), 'utf8'));
const T = { zh: catalog('zh'), bo: catalog('bo'), en: catalog('en') };
const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
let db, srv;

before(async () => { db = await demoServer('portal'); srv = db.srv; });
after(async () => {
  if (db) {
    const r = await db.stop();
    assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
  }
});

const home = async (lang, client) => {
  if (client) return (await client.get(`/?lang=${lang}`, { json: false })).text;
  const res = await fetch(`${srv.url}/?lang=${lang}`);
  assert.equal(res.status, 200);
  return res.text();
};

test('the home page is a portal in zh, bo and en, small, without "under construction"', async () => {
  const featured = DEMO.items.filter((i) => i.featured).sort((a, b) => a.featured - b.featured);
  assert.ok(featured.length >= 3, 'the demo catalog curates popular services');
  for (const lang of ['zh', 'bo', 'en']) {
    const t = T[lang];
    const html = await home(lang);
    assert.ok(Buffer.byteLength(html) < 50 * 1024, `${lang}: ${Buffer.byteLength(html)} bytes`);
    for (const s of ['建设中', '正在建设', 'being built', 'བཟོ་སྐྲུན་བྱེད་བཞིན']) assert.ok(!html.includes(s), `${lang}: ${s}`);
    // The search box: a GET form to /search with a labelled q.
    assert.match(html, /<form method="get" action="\/search" role="search"[^>]*>\s*<label for="portal-q">/);
    assert.match(html, /<input type="search" id="portal-q" name="q"/);
    assert.ok(html.includes(escapeHtml(t.portal.search_label)));
    // Popular services: the curated ranks in order, names in the reader's language.
    const links = [...html.matchAll(/<li><a href="\/services\/(XZ-[A-Z]{2}-\d{3})">/g)].map((m) => m[1]);
    assert.deepEqual(links, featured.slice(0, 6).map((i) => i.code), lang);
    const mz = featured.find((i) => i.code === 'XZ-MZ-001');
    assert.ok(html.includes(`<span lang="${mz.name[lang] ? lang : 'zh'}">${escapeHtml(mz.name[lang] ?? mz.name.zh)}</span>`));
    // Life events, persons and enterprises.
    for (const ev of ['birth', 'marriage', 'death', 'start_business', 'close_business'])
      assert.ok(html.includes(`<a href="/services?event=${ev}">${escapeHtml(t.catalog.events[ev])}</a>`), `${lang} ${ev}`);
    assert.ok(html.includes('href="/services/bundles/BUNDLE-NEWBORN"'));
    // 12345, verification, notices.
    assert.ok(html.includes('href="/hotline/submit"') && html.includes('href="/hotline/status"'));
    assert.match(html, /<form method="get" action="\/verify"/);
    assert.ok(html.includes(escapeHtml(t.portal.notices)));
    assert.ok(html.includes('href="/calendar"'));
    // Logged out: no personal sections.
    assert.ok(!html.includes(escapeHtml(t.portal.my_applications)));
  }
  // The JSON twin has the same model.
  const j = await (await fetch(`${srv.url}/api/v1?lang=bo`)).json();
  assert.deepEqual(j.popular.map((p) => p.code), featured.slice(0, 6).map((i) => i.code));
  assert.equal(j.popular[0].name.lang, 'bo');
  assert.equal(j.logged_in, false);
});

test('the search box works without JavaScript: GET /search?q=结婚 finds marriage registration', async () => {
  const html = await (await fetch(`${srv.url}/search?q=${encodeURIComponent('结婚')}`)).text();
  assert.ok(html.includes('href="/services/XZ-MZ-001"'));
});

test('logged in: my latest applications and messages, never cached', async () => {
  const citizen = await login(srv, DEMO_CITIZEN_ID, { client: new Client(srv, { uploadPage: '/api/v1/services/XZ-MZ-001/apply' }) });
  let html = await home('zh', citizen);
  assert.ok(html.includes(escapeHtml(T.zh.portal.my_applications)));
  assert.ok(html.includes(escapeHtml(T.zh.portal.no_applications)));
  assert.ok(html.includes(escapeHtml(T.zh.portal.no_messages)));

  // A draft, and a message.
  const d = await citizen.upload('/api/v1/services/XZ-MZ-001/apply', { _division: '540102000000', f_female_name: '央金', _action: 'draft' }, []);
  assert.equal(d.status, 200, d.text);
  const [[id]] = db.sql(`SELECT id FROM accounts WHERE name = '扎西多吉'`);
  const sent = db.cli(['notify', 'send', id, 'notify.test.hello', JSON.stringify({ name: '扎西多吉', number: 'N-1' })]);
  assert.equal(sent.status, 0, sent.stderr);

  html = await home('zh', citizen);
  assert.ok(html.includes(`href="/services/XZ-MZ-001/apply?draft=${d.body.draft_id}"`));
  assert.ok(html.includes(escapeHtml(T.zh.apply.states.draft)));
  assert.ok(html.includes('扎西多吉，您好：您的事项 N-1 有新进展。'));
  assert.match(html, new RegExp(`\\(${T.zh.portal.unread} 1\\)`));
  const bo = await home('bo', citizen);
  assert.ok(bo.includes(`<span lang="bo">${DEMO.items.find((i) => i.code === 'XZ-MZ-001').name.bo}</span>`));
  assert.ok(bo.includes(T.bo.apply.states.draft));
  // The anonymous page (cached) never shows them.
  const anon = await home('zh');
  assert.ok(!anon.includes('N-1'));
});
