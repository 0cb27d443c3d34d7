// tests/api/catalog.test.mjs - the service catalog over HTTP and at the console: browsing by
// life event, department, division and audience; the guide page and its JSON twin; bundles;
// caching by catalog version; the administration pages (draft with every problem at once,
// publish, history with changes, retire) and who is refused; `onewindow catalog
// import|export` with good and bad files. Expected values come from data/catalog/demo.json
// and the message catalogs, never typed in twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, ROOT, catalog } from '../lib/server.mjs';
import { FormBrowser, unescapeHtml as unescape, csrfOf, DEMO_PASSWORD } from '../lib/client.mjs';
import { demoServer } from '../lib/db.mjs';
import { totpNow } from '../lib/totp.mjs';

const DEMO = JSON.parse(readFileSync(join(ROOT, 'data', 'catalog', 'demo.json'), 'utf8'));
const ZH = catalog('zh'), EN = catalog('en'), BO = catalog('bo');
let srv, tmp, dbUrl, db, common;

before(async () => {
  db = await demoServer('catalog');
  ({ srv, data: tmp, db: dbUrl, common } = db);
});

after(async () => {
  if (srv) {
    const r = await db.stop();
    assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
  }
});

const item = (code) => DEMO.items.find((i) => i.code === code);
const json = async (path, init = {}) => {
  const res = await fetch(`${srv.url}${path}`, { ...init, headers: { accept: 'application/json', ...(init.headers ?? {}) } });
  return { status: res.status, body: await res.json(), res };
};
const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

test('browse by life event, department, division and audience (JSON)', async () => {
  const all = await json('/api/v1/services');
  assert.equal(all.status, 200);
  assert.equal(all.body.count, DEMO.items.length);
  const codes = (b) => b.items.map((i) => i.code).sort();
  const expect = (pred) => DEMO.items.filter(pred).map((i) => i.code).sort();

  const birth = await json('/api/v1/services?event=birth');
  assert.deepEqual(codes(birth.body), expect((i) => i.life_events.includes('birth')));
  assert.deepEqual(codes(birth.body), ['XZ-GA-003', 'XZ-RS-002', 'XZ-WJ-001']);

  const cgmz = await json('/api/v1/services?dept=cg-mz');
  assert.deepEqual(codes(cgmz.body), expect((i) => i.department === 'cg-mz' || i.handled_by.includes('cg-mz')));

  const ent = await json('/api/v1/services?audience=enterprise');
  assert.deepEqual(codes(ent.body), expect((i) => i.audience.includes('enterprise')));

  // Shigatse (5402): none of the Lhasa or Chengguan departments serves it.
  const regionDepts = ['xz-ga', 'xz-mz', 'xz-rs', 'xz-sj', 'xz-wj', 'xz-zr'];
  const sg = await json('/api/v1/services?division=540200000000');
  assert.deepEqual(codes(sg.body), expect((i) => i.handled_by.some((d) => regionDepts.includes(d))));
  // Barkhor, Chengguan: everything handled in Chengguan, Lhasa or the region.
  const bk = await json('/api/v1/services?division=540102002000');
  assert.equal(bk.body.count, DEMO.items.length);

  // Combined filters narrow.
  const both = await json('/api/v1/services?event=birth&dept=cg-ga');
  assert.deepEqual(codes(both.body), ['XZ-GA-003']);

  // Bad filters are refused with a stable code, not ignored.
  for (const q of ['event=nonsense', 'audience=alien', 'division=12ab', 'dept=%3Cscript%3E']) {
    const r = await json(`/api/v1/services?${q}`);
    assert.equal(r.status, 400, q);
    assert.match(r.body.code, /^(catalog\.bad_filter|divisions\.bad_code)$/, q);
  }
});

test('the guide page: everything a citizen needs, in zh, bo and en, under 50 KB', async () => {
  const m = item('XZ-MZ-001');
  const res = await fetch(`${srv.url}/services/XZ-MZ-001`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.ok(Buffer.byteLength(html) < 50 * 1024, `guide is ${Buffer.byteLength(html)} bytes`);
  assert.ok(html.includes(escapeHtml(m.name.zh)));
  assert.ok(html.includes(escapeHtml(m.conditions.zh)));
  assert.ok(html.includes(escapeHtml(m.legal_basis.zh)));
  for (const mat of m.materials) assert.ok(html.includes(escapeHtml(mat.name.zh)), mat.key);
  for (const s of m.steps) assert.ok(html.includes(escapeHtml(s.zh)));
  assert.ok(html.includes(m.contact.phone));
  assert.ok(html.includes(escapeHtml(m.windows[0].hours.zh)));
  assert.ok(html.includes(ZH.catalog.fee_free));
  assert.ok(html.includes(ZH.catalog.cert_types.ID_CARD), 'the e-certificate alternative is named');
  assert.ok(html.includes(ZH.catalog.depth.one_trip));
  assert.ok(html.includes('href="/services/XZ-MZ-001/apply"'));
  assert.ok(html.includes('拉萨市城关区民政局'), 'handled_by departments by name');

  // The passport's fee in yuan from fen.
  const passport = await (await fetch(`${srv.url}/services/XZ-GA-001?lang=en`)).text();
  assert.ok(passport.includes(`120.00 ${EN.catalog.yuan}`));
  assert.ok(passport.includes(escapeHtml(item('XZ-GA-001').fee.basis.en)));

  // Tibetan (issue 11 item 2): every text of the item in bo, marked so, and nothing in
  // Chinese on the page's main part.
  const bo = await (await fetch(`${srv.url}/services/XZ-MZ-001?lang=bo`)).text();
  assert.match(bo, /<html[^>]+lang="bo"/);
  assert.ok(bo.includes(`<span lang="bo">${m.name.bo}</span>`));
  assert.ok(bo.includes(BO.catalog.materials));
  const texts = [m.conditions, m.legal_basis, m.contact.address, ...m.steps,
    ...m.materials.flatMap((x) => [x.name, x.note ?? []].flat()),
    ...m.windows.flatMap((w) => [w.name, w.address, w.hours])];
  for (const t of texts) assert.ok(bo.includes(`lang="bo">${escapeHtml(t.bo)}<`), `${t.zh} in Tibetan`);
  const main = bo.slice(bo.indexOf('<main'), bo.indexOf('</main>'));
  assert.ok(!main.includes('lang="zh"'), 'no Chinese on the Tibetan guide');
  assert.ok(!/[\u4e00-\u9fff]/.test(main.replace(/<code>[^<]*<\/code>/g, '')), 'no Han character on the Tibetan guide');

  const unknown = await fetch(`${srv.url}/services/XZ-NOPE-404`);
  assert.equal(unknown.status, 404);
  const weird = await fetch(`${srv.url}/services/%3Cb%3E`);
  assert.equal(weird.status, 404);
});

test('the JSON twin carries the whole published item, with version and status', async () => {
  const r = await json('/api/v1/services/XZ-MZ-001');
  assert.equal(r.status, 200);
  const { version, status, ...doc } = r.body.item;
  assert.equal(status, 'published');
  assert.equal(version, 1);
  assert.deepEqual(doc, item('XZ-MZ-001'));
  const missing = await json('/api/v1/services/XZ-NOPE-404');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.code, 'catalog.not_found');
});

test('bundles: the newborn bundle lists its three items by department', async () => {
  const r = await json('/api/v1/services/bundles/BUNDLE-NEWBORN');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.items.map((i) => i.code), DEMO.bundles[0].items);
  assert.deepEqual(r.body.items.map((i) => i.department.code), ['xz-wj', 'xz-ga', 'xz-rs']);
  const html = await (await fetch(`${srv.url}/services/bundles/BUNDLE-NEWBORN`)).text();
  assert.ok(html.includes(escapeHtml(DEMO.bundles[0].name.zh)));
  assert.equal((await fetch(`${srv.url}/services/bundles/BUNDLE-NONE`)).status, 404);
  const index = await (await fetch(`${srv.url}/services`)).text();
  assert.ok(index.includes('href="/services/bundles/BUNDLE-NEWBORN"'));
});

test('bo readers see every item and bundle name in Tibetan: listing, bundles', async () => {
  const list = await (await fetch(`${srv.url}/services?lang=bo`)).text();
  for (const i of DEMO.items) assert.ok(list.includes(`<span lang="bo">${escapeHtml(i.name.bo)}</span>`), i.code);
  for (const b of DEMO.bundles) assert.ok(list.includes(`<span lang="bo">${escapeHtml(b.name.bo)}</span>`), b.code);
  const listJson = await json('/api/v1/services?lang=bo');
  assert.ok(listJson.body.items.every((i) => i.name.lang === 'bo'));
  for (const b of DEMO.bundles) {
    const page = await (await fetch(`${srv.url}/services/bundles/${b.code}?lang=bo`)).text();
    assert.ok(page.includes(`<span lang="bo">${escapeHtml(b.name.bo)}</span>`), b.code);
    for (const code of b.items) assert.ok(page.includes(`<span lang="bo">${escapeHtml(item(code).name.bo)}</span>`), code);
    // (Departments without a Tibetan name still show in Chinese, marked so: identity's data.)
    for (const code of b.items) assert.ok(!page.includes(`lang="zh">${escapeHtml(item(code).name.zh)}<`), code);
  }
});

test('the home page and the navigation link to the services', async () => {
  const home = await (await fetch(`${srv.url}/`)).text();
  assert.ok(home.includes('href="/services"'));
  assert.ok(home.includes(ZH.portal.all_services));
  assert.ok(home.includes(ZH.nav.services));
});

// ---- administration ------------------------------------------------------------------------

class Browser extends FormBrowser {
  constructor() { super(srv); }
}

// Log a demo staff member in with both factors; a TOTP step is accepted once per account.
async function staffLogin(username) {
  const b = new Browser();
  const form = await (await b.req('/login')).text();
  let res = await b.req('/login', { method: 'POST', form: { _csrf: csrfOf(form), login: username, password: DEMO_PASSWORD } });
  assert.equal(res.status, 303, `login of ${username}`);
  const page = await (await b.req('/login/second-factor')).text();
  res = await b.req('/login/second-factor', { method: 'POST', form: { _csrf: csrfOf(page), code: totpNow() } });
  assert.equal(res.status, 303, `second factor of ${username}: ${res.status}`);
  return b;
}

let admin;
test('administration is refused to anonymous visitors, citizens and other staff', async () => {
  const anon = await new Browser().req('/admin/catalog');
  assert.equal(anon.status, 303);
  assert.match(anon.headers.get('location'), /^\/login/);
  const anonJson = await json('/admin/catalog');
  assert.equal(anonJson.status, 401);

  const citizen = new Browser();
  const form = await (await citizen.req('/login')).text();
  const res = await citizen.req('/login', { method: 'POST', form: { _csrf: csrfOf(form), login: '13800000001', password: DEMO_PASSWORD } });
  assert.equal(res.status, 303);
  assert.equal((await citizen.req('/admin/catalog')).status, 403);

  const clerk = await staffLogin('clerk.chengguan');
  const denied = await clerk.req('/admin/catalog', { headers: { accept: 'application/json' } });
  assert.equal(denied.status, 403);
  assert.equal((await denied.json()).code, 'catalog.forbidden');
  const page = await (await clerk.req('/services')).text();
  const post = await clerk.req('/admin/catalog/XZ-MZ-001/retire', { method: 'POST', form: { _csrf: csrfOf(page) } });
  assert.equal(post.status, 403);
  // Still published.
  assert.equal((await fetch(`${srv.url}/services/XZ-MZ-001`)).status, 200);
});

test('an administrator edits a draft (every problem at once), publishes it and retires an item', async () => {
  admin = await staffLogin('catalog.xz');
  const list = await admin.req('/admin/catalog');
  assert.equal(list.status, 200);
  const listHtml = await list.text();
  for (const i of DEMO.items) assert.ok(listHtml.includes(`/admin/catalog/${i.code}`));

  const editor = await (await admin.req('/admin/catalog/new?from=XZ-GA-002')).text();
  const csrf = csrfOf(editor);
  const textarea = unescape(/<textarea[^>]*>([^<]*)<\/textarea>/.exec(editor)[1]);
  assert.deepEqual(JSON.parse(textarea), item('XZ-GA-002'));

  // Bad: three problems, all listed, nothing stored.
  const bad = structuredClone(item('XZ-GA-002'));
  bad.fee.fen = -5;
  bad.time_limit.promised_days = 999;
  bad.handled_by.push('no-such-dept');
  let res = await admin.req('/admin/catalog/new', { method: 'POST', form: { _csrf: csrf, doc: JSON.stringify(bad) } });
  assert.equal(res.status, 422);
  let html = await res.text();
  for (const p of ['$.fee.fen', '$.time_limit.promised_days', `$.handled_by[${bad.handled_by.length - 1}]`]) assert.ok(html.includes(p), p);
  assert.ok(html.includes(ZH.catalog.check.promised_over_legal));
  assert.ok(html.includes(ZH.catalog.check.unknown_department));
  // The text comes back as typed.
  assert.equal(unescape(/<textarea[^>]*>([^<]*)<\/textarea>/.exec(html)[1]), JSON.stringify(bad));
  res = await admin.req('/admin/catalog/new', { method: 'POST', form: { _csrf: csrf, doc: '{"code": ' } });
  assert.equal(res.status, 422);
  // JSON clients get a problem document with every problem.
  res = await admin.req('/admin/catalog/new', {
    method: 'POST', body: JSON.stringify(bad),
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
  });
  assert.equal(res.status, 422);
  const prob = await res.json();
  assert.equal(prob.code, 'catalog.invalid');
  assert.equal(prob.detail, ZH.errors.catalog.invalid);
  assert.deepEqual(prob.problems.map((p) => p.path).sort(),
    ['$.fee.fen', `$.handled_by[${bad.handled_by.length - 1}]`, '$.time_limit.promised_days'].sort());
  assert.ok(prob.problems.every((p) => p.item === 'XZ-GA-002' && p.code.startsWith('catalog.check.') && p.text));
  // Without the CSRF token: refused.
  res = await admin.req('/admin/catalog/new', { method: 'POST', form: { doc: JSON.stringify(item('XZ-GA-002')) } });
  assert.equal(res.status, 403);

  // A draft may lack Tibetan (JSON body, JSON answer): draft version 2, not public yet.
  const good = structuredClone(item('XZ-GA-002'));
  good.time_limit.promised_days = 10;
  good.aliases = [{ zh: '换领身份证', en: 'new identity card' }];
  good.steps[1] = { ...good.steps[1], bo: good.steps[1].zh };
  res = await admin.req('/admin/catalog/new', {
    method: 'POST', body: JSON.stringify(good),
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
  });
  assert.equal(res.status, 201);
  assert.deepEqual(await res.json(), { code: 'XZ-GA-002', version: 2, status: 'draft', url: '/admin/catalog/XZ-GA-002' });
  let pub = await json('/api/v1/services/XZ-GA-002');
  assert.equal(pub.body.item.version, 1);
  const refsOf = async (q) => (await json(`/api/v1/search?q=${encodeURIComponent(q)}`)).body.hits.map((h) => h.ref);
  assert.ok(!(await refsOf('换领身份证')).includes('XZ-GA-002'), 'a draft is not searchable');

  // The editor and the item's page list what the draft lacks in Tibetan, before publishing.
  const lacking = ['$.aliases[0].bo', '$.steps[1].bo'];
  const editing = await (await admin.req('/admin/catalog/new?from=XZ-GA-002')).text();
  for (const p of lacking) assert.ok(editing.includes(`<code>${p}</code>`), `the editor lists ${p}`);
  assert.ok(editing.includes(ZH.catalog.admin.bo_missing));
  assert.ok(editing.includes(ZH.catalog.check.bo_missing) && editing.includes(ZH.catalog.check.bo_copy));
  const show = await (await admin.req('/admin/catalog/XZ-GA-002')).text();
  assert.ok(show.includes('$.time_limit.promised_days'));
  for (const p of lacking) assert.ok(show.includes(`<code>${p}</code>`), `the item's page lists ${p}`);
  const shown = await (await admin.req('/admin/catalog/XZ-GA-002', { headers: { accept: 'application/json' } })).json();
  assert.deepEqual(shown.versions[0].publish_problems.map((p) => [p.path, p.code]),
    [['$.aliases[0].bo', 'catalog.check.bo_missing'], ['$.steps[1].bo', 'catalog.check.bo_copy']]);

  // Publishing it is refused with the same list (a page for people, a problem for programs).
  res = await admin.req('/admin/catalog/XZ-GA-002/publish', { method: 'POST', form: { _csrf: csrf, version: '2' } });
  assert.equal(res.status, 422);
  html = await res.text();
  assert.ok(html.includes(ZH.catalog.admin.refused));
  assert.match(html, /<h1><code>XZ-GA-002<\/code>/, 'the page still names the item');
  for (const p of lacking) assert.ok(html.includes(`<code>${p}</code>`), p);
  res = await admin.req('/admin/catalog/XZ-GA-002/publish', { method: 'POST', form: { _csrf: csrf, version: '2' }, headers: { accept: 'application/json' } });
  assert.equal(res.status, 422);
  const refused = await res.json();
  assert.equal(refused.code, 'catalog.not_publishable');
  assert.equal(refused.detail, ZH.errors.catalog.not_publishable);
  assert.deepEqual(refused.problems.map((p) => p.path), lacking);
  assert.equal((await json('/api/v1/services/XZ-GA-002')).body.item.version, 1, 'nothing published');

  // Completed: draft 3 publishes.
  good.aliases[0].bo = 'ཐོབ་ཐང་ལག་ཁྱེར་བརྗེ་བ།';
  good.steps[1] = item('XZ-GA-002').steps[1];
  res = await admin.req('/admin/catalog/new', {
    method: 'POST', body: JSON.stringify(good),
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
  });
  assert.equal(res.status, 201);
  assert.equal((await res.json()).version, 3);
  const ready = await (await admin.req('/admin/catalog/new?from=XZ-GA-002')).text();
  assert.ok(!ready.includes(ZH.catalog.admin.bo_missing), 'nothing left to list');
  res = await admin.req('/admin/catalog/XZ-GA-002/publish', { method: 'POST', form: { _csrf: csrf, version: '3' } });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/admin/catalog/XZ-GA-002?done=catalog_published');
  assert.ok((await refsOf('换领身份证')).includes('XZ-GA-002'), 'publishing indexes the new version');
  pub = await json('/api/v1/services/XZ-GA-002');
  assert.equal(pub.body.item.version, 3);
  assert.equal(pub.body.promised_days, 10, 'the cached guide was replaced when the catalog changed');
  res = await admin.req('/admin/catalog/XZ-GA-002/publish', { method: 'POST', form: { _csrf: csrf, version: '3' }, headers: { accept: 'application/json' } });
  assert.equal(res.status, 409);
  assert.equal((await res.json()).code, 'catalog.not_draft');
  res = await admin.req('/admin/catalog/XZ-GA-002/publish', { method: 'POST', form: { _csrf: csrf, version: 'x' }, headers: { accept: 'application/json' } });
  assert.equal(res.status, 400);

  const hist = await (await admin.req('/admin/catalog/XZ-GA-002', { headers: { accept: 'application/json' } })).json();
  assert.deepEqual(hist.versions.map((v) => [v.version, v.status]), [[3, 'published'], [2, 'draft'], [1, 'superseded']]);
  assert.deepEqual(hist.versions[0].changes, ['$.aliases[0].bo', '$.steps[1].bo']);
  assert.deepEqual(hist.versions[1].changes, ['$.steps[1].bo', '$.time_limit.promised_days', '$.aliases']);

  // The administrators' list reads in the reader's language.
  const boList = await (await admin.req('/admin/catalog?lang=bo')).text();
  for (const i of DEMO.items.filter((x) => x.code !== 'XZ-GA-002')) assert.ok(boList.includes(`<span lang="bo">${escapeHtml(i.name.bo)}</span>`), i.code);
  const boShow = await (await admin.req('/admin/catalog/XZ-MZ-001?lang=bo')).text();
  assert.ok(boShow.includes(`<span lang="bo">${escapeHtml(item('XZ-MZ-001').name.bo)}</span>`));

  // Retire: gone from the public catalog and from search, version kept.
  assert.ok((await refsOf(item('XZ-ZR-003').name.zh)).includes('XZ-ZR-003'));
  res = await admin.req('/admin/catalog/XZ-ZR-003/retire', { method: 'POST', form: { _csrf: csrf } });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/admin/catalog/XZ-ZR-003?done=catalog_retired');
  assert.ok(!(await refsOf(item('XZ-ZR-003').name.zh)).includes('XZ-ZR-003'), 'a retired item is not found');
  assert.equal((await fetch(`${srv.url}/services/XZ-ZR-003`)).status, 404);
  const after = await json('/api/v1/services');
  assert.ok(!after.body.items.some((i) => i.code === 'XZ-ZR-003'));
  res = await admin.req('/admin/catalog/XZ-ZR-003/retire', { method: 'POST', form: { _csrf: csrf }, headers: { accept: 'application/json' } });
  assert.equal(res.status, 409);
});

test('every catalog change is in the audit trail', async () => {
  const r = run(['audit', 'verify', ...common], { timeout: 30000 });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const q = "SELECT action, object, outcome FROM audit_events WHERE action LIKE 'catalog.%' ORDER BY id";
  const out = db.sql(q).map((row) => row.join('|')).join('\n');
  assert.match(out, /catalog\.draft\|catalog_item:XZ-GA-002\|ok/);
  assert.match(out, /catalog\.publish\|catalog_item:XZ-GA-002\|ok/);
  assert.match(out, /catalog\.retire\|catalog_item:XZ-ZR-003\|ok/);
  assert.match(out, /catalog\.admin\|\/admin\/catalog\|denied/);
});

// ---- the console ------------------------------------------------------------------------------

test('catalog export and import at the console: round trip, idempotence, every problem of a bad file', () => {
  const file = join(tmp, 'catalog.json');
  let r = run(['catalog', 'export', file, ...common]);
  assert.equal(r.status, 0, r.stderr);
  const exported = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(exported.items.length, DEMO.items.length - 1, 'the retired item is not exported');
  assert.deepEqual(exported.items.find((i) => i.code === 'XZ-GA-002').time_limit.promised_days, 10);
  r = run(['catalog', 'import', file, ...common]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /0 entr\(ies\) created, 0 updated/);
  // stdout export is the same document.
  r = run(['catalog', 'export', ...common]);
  assert.deepEqual(JSON.parse(r.stdout), exported);

  const bad = structuredClone(exported);
  bad.items[0].fee.fen = 'free';
  bad.items[2].form.fields[0].type = 'colour';
  bad.items[3].surprise = true;
  bad.bundles[0].items.push('XZ-NONE-1');
  bad.bundles[1].name = { zh: bad.bundles[1].name.zh, en: bad.bundles[1].name.en };
  writeFileSync(join(tmp, 'bad.json'), JSON.stringify(bad));
  r = run(['catalog', 'import', join(tmp, 'bad.json'), ...common]);
  assert.equal(r.status, 1);
  assert.ok(r.stderr.includes(`${bad.items[0].code} $.items[0].fee.fen`), r.stderr);
  assert.ok(r.stderr.includes(`${bad.items[2].code} $.items[2].form.fields[0].type`), r.stderr);
  assert.ok(r.stderr.includes(`${bad.items[3].code} $.items[3].surprise`), r.stderr);
  assert.ok(r.stderr.includes('BUNDLE-NEWBORN $.bundles[0].items[3]'), r.stderr);
  assert.ok(r.stderr.includes(`${bad.bundles[1].code} $.bundles[1].name.bo: the Tibetan text is missing`), r.stderr);

  writeFileSync(join(tmp, 'broken.json'), '{"items": [');
  r = run(['catalog', 'import', join(tmp, 'broken.json'), ...common]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /broken\.json:1:\d+: not valid JSON/);
  r = run(['catalog', 'import', join(tmp, 'absent.json'), ...common]);
  assert.equal(r.status, 1);
  r = run(['catalog', 'frobnicate', ...common]);
  assert.equal(r.status, 2);

  // Importing publishes: an item lacking Tibetan is refused with every path, nothing written.
  const one = structuredClone(exported.items.find((i) => i.code === 'XZ-RS-001'));
  one.name.en = 'Unemployment benefit';
  writeFileSync(join(tmp, 'one.json'), JSON.stringify({ ...one, name: { zh: one.name.zh, en: one.name.en }, legal_basis: { ...one.legal_basis, bo: one.legal_basis.en } }));
  r = run(['catalog', 'import', join(tmp, 'one.json'), ...common]);
  assert.equal(r.status, 1);
  assert.ok(r.stderr.includes('XZ-RS-001 $.name.bo: the Tibetan text is missing (catalog.check.bo_missing)'), r.stderr);
  assert.ok(r.stderr.includes('XZ-RS-001 $.legal_basis.bo:'), r.stderr);
  assert.match(r.stderr, /catalog\.check\.bo_copy/);

  // One changed item: one new version.
  writeFileSync(join(tmp, 'one.json'), JSON.stringify(one));
  r = run(['catalog', 'import', join(tmp, 'one.json'), ...common]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /0 entr\(ies\) created, 1 updated/);
});

// ---- run time: an old published version without Tibetan (issue 11 item 3) -------------------

test('an old published version lacking Tibetan shows its Chinese, marked lang="zh", everywhere', async () => {
  // As a version published before the rule: no bo name, bo conditions copied from zh, a
  // material's bo copied from en. Written in the store as it would have been, then the
  // catalog version moved so no cached page is served.
  const old = structuredClone(item('XZ-WJ-001'));
  delete old.name.bo;
  old.conditions.bo = old.conditions.zh;
  old.materials[0].name.bo = old.materials[0].name.en;
  const quoted = JSON.stringify(old).replace(/'/g, "''");
  db.sql(`UPDATE catalog_versions SET doc = '${quoted}' WHERE code = 'XZ-WJ-001' AND status = 'published'`);
  db.sql("UPDATE platform_meta SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = 'catalog_version'");

  const marked = (t) => `lang="zh">${escapeHtml(t.zh)}<`;
  const guide = await (await fetch(`${srv.url}/services/XZ-WJ-001?lang=bo`)).text();
  assert.ok(guide.includes(`<span ${marked(old.name)}/span>`), 'the name');
  assert.ok(guide.includes(marked(old.conditions)), 'the conditions (a copy is no translation)');
  assert.ok(guide.includes(marked(old.materials[0].name)), 'a material (an English copy is no translation)');
  assert.ok(guide.includes(`lang="bo">${escapeHtml(old.materials[1].name.bo)}<`), 'the rest stays Tibetan');
  assert.ok(guide.includes(`lang="bo">${escapeHtml(old.legal_basis.bo)}<`));
  const api = await json('/api/v1/services/XZ-WJ-001?lang=bo');
  assert.deepEqual(api.body.name, { text: old.name.zh, lang: 'zh' });

  const list = await (await fetch(`${srv.url}/services?lang=bo`)).text();
  assert.ok(list.includes(`<span ${marked(old.name)}/span>`), 'the listing');
  const bundle = await (await fetch(`${srv.url}/services/bundles/BUNDLE-NEWBORN?lang=bo`)).text();
  assert.ok(bundle.includes(`<span ${marked(old.name)}/span>`), 'the bundle');
  const adminList = await (await admin.req('/admin/catalog?lang=bo')).text();
  assert.ok(adminList.includes(`<span ${marked(old.name)}/span>`), "the administrators' list");
  const adminShow = await (await admin.req('/admin/catalog/XZ-WJ-001?lang=bo')).text();
  assert.ok(adminShow.includes(`<span ${marked(old.name)}/span>`), "the item's page");
  // In English the English text, unmarked Chinese nowhere.
  const en = await (await fetch(`${srv.url}/services/XZ-WJ-001?lang=en`)).text();
  assert.ok(en.includes(`lang="en">${escapeHtml(old.name.en)}<`));
});
