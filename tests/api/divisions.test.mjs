// tests/api/divisions.test.mjs - the divisions pages and their JSON twins, checked
// against the reference CSV files the binary embeds (data/*.csv) and the message
// catalogs (web/i18n/<lang>/*.json): expected values are computed from those files, never typed in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, ROOT, catalog } from '../lib/server.mjs';

// ---- reference data ---------------------------------------------------------------------

// RFC 4180 CSV (quotes, doubled quotes, CRLF) into an array of objects keyed by the header.
function readCsv(path) {
  const text = readFileSync(path, 'utf8');
  const rows = [];
  let row = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

const divisionRows = readCsv(join(ROOT, 'data', 'xizang-divisions.csv'));
const villageRows = readCsv(join(ROOT, 'data', 'xizang-villages.csv'))
  .map((v) => ({ ...v, name_en: '', level: 'village' }));
const ALL = [...divisionRows, ...villageRows];
const BY_CODE = new Map(ALL.map((d) => [d.code, d]));
const childrenOf = (code) => ALL.filter((d) => d.parent_code === code)
  .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
const countLevel = (level) => ALL.filter((d) => d.level === level).length;
const T = { zh: catalog('zh'), bo: catalog('bo'), en: catalog('en') };
const LEVELS = ['region', 'prefecture', 'county', 'township', 'village'];

// What the server should say about one division in `lang`: the translated name when the
// data has one, else the Chinese name marked name_lang "zh".
function expectedDivision(code, lang = 'zh') {
  const d = BY_CODE.get(code);
  assert.ok(d, `test data has no ${code}`);
  const translated = lang === 'zh' ? d.name_zh : d[`name_${lang}`];
  const e = {
    code: d.code,
    name: translated || d.name_zh,
    name_lang: translated ? lang : 'zh',
    name_zh: d.name_zh,
    level: d.level,
    level_name: T[lang].divisions.levels[d.level],
    url: `/divisions/${d.code}`,
    name_bo: d.name_bo || null,
    name_en: d.name_en || null,
    name_bo_source: d.name_bo_source || null,
    api_url: `/api/v1/divisions/${d.code}`,
  };
  if (/^https?:\/\//.test(d.name_bo_source ?? '')) e.name_bo_source_url = d.name_bo_source.split(' ')[0];
  if (d.parent_code) e.parent_code = d.parent_code;
  return e;
}

function chainTo(code) {
  const chain = [];
  for (let c = code; c; c = BY_CODE.get(c).parent_code) chain.unshift(c);
  return chain;
}

// ---- the server -------------------------------------------------------------------------

let srv;
before(async () => { srv = await startServer(); });
after(async () => {
  const r = await srv.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
});

async function getJson(path, headers = {}) {
  const res = await fetch(srv.url + path, { headers });
  const text = await res.text();
  let body;
  try { body = JSON.parse(text); } catch { body = text; }
  return { status: res.status, type: res.headers.get('content-type'), headers: res.headers, body };
}

async function getText(path, headers = {}) {
  const res = await fetch(srv.url + path, { headers });
  return { status: res.status, type: res.headers.get('content-type'), headers: res.headers, body: await res.text() };
}

// ---- sanity of the reference data the assertions rely on ---------------------------------

test('the reference CSV files have the shape the tests assume', () => {
  assert.equal(countLevel('region'), 1);
  assert.equal(countLevel('prefecture'), 7);
  assert.equal(countLevel('village'), 5580);
  assert.ok(countLevel('county') > 0 && countLevel('township') > 0);
  assert.equal(BY_CODE.size, ALL.length, 'codes are unique');
  for (const d of ALL) {
    assert.match(d.code, /^\d{12}$/);
    assert.ok(LEVELS.includes(d.level), `${d.code} level ${d.level}`);
    if (d.level !== 'region') assert.ok(BY_CODE.has(d.parent_code), `${d.code} has its parent`);
  }
});

// ---- index ---------------------------------------------------------------------------------

test('GET /api/v1/divisions: the region, its 7 prefectures with 3 names, counts from the CSV', async () => {
  const r = await getJson('/api/v1/divisions');
  assert.equal(r.status, 200);
  assert.equal(r.type, 'application/json');
  const m = r.body;
  assert.deepEqual(m.division, expectedDivision('540000000000'));
  assert.equal(m.division.parent_code, undefined, 'the root has no parent');
  assert.deepEqual(m.breadcrumbs, [{ ...expectedDivision('540000000000'), current: true }]);

  const prefectures = divisionRows.filter((d) => d.level === 'prefecture');
  assert.equal(m.children.length, 7);
  assert.equal(m.children_count, 7);
  assert.equal(m.has_children, true);
  assert.deepEqual(m.children.map((c) => c.code), prefectures.map((p) => p.code).sort());
  for (const c of m.children) {
    const p = BY_CODE.get(c.code);
    assert.equal(c.name_zh, p.name_zh);
    assert.equal(c.name_bo, p.name_bo);
    assert.equal(c.name_en, p.name_en);
    assert.ok(c.name_zh && c.name_bo && c.name_en, `${c.code} has all three names`);
    assert.deepEqual(c, expectedDivision(c.code));
  }
  const lhasa = m.children.find((c) => c.code === '540100000000');
  assert.equal(lhasa.name_zh, '拉萨市');
  assert.equal(lhasa.name_bo, 'ལྷ་ས་གྲོང་ཁྱེར།');
  assert.equal(lhasa.name_en, 'Lhasa');

  assert.deepEqual(m.counts, {
    items: ['prefecture', 'county', 'township', 'village'].map((level) => ({
      level, name: T.zh.divisions.levels[level], count: countLevel(level),
    })),
  });
  assert.equal(m.counts.items[0].count, 7);
  assert.equal(m.counts.items[3].count, 5580);
  assert.equal(m.children_level_name, T.zh.divisions.levels.prefecture);
  assert.equal(m.title, T.zh.divisions.title);
});

test('GET /divisions with Accept: application/json is the same model as /api/v1/divisions', async () => {
  const api = await getJson('/api/v1/divisions');
  const page = await getJson('/divisions', { accept: 'application/json' });
  assert.equal(page.status, 200);
  assert.equal(page.type, 'application/json');
  assert.deepEqual(page.body, api.body);
});

// ---- show -----------------------------------------------------------------------------------

// One division's model: itself, the way up (each crumb exact, the last current), and its
// children exactly as the CSV has them, ordered by code.
async function checkShow(code, lang = 'zh') {
  const r = await getJson(`/api/v1/divisions/${code}?lang=${lang}`);
  assert.equal(r.status, 200, `${code}: ${JSON.stringify(r.body)}`);
  const m = r.body;
  assert.deepEqual(m.division, expectedDivision(code, lang));
  const chain = chainTo(code);
  assert.deepEqual(m.breadcrumbs, chain.map((c, i) => ({
    ...expectedDivision(c, lang), ...(i === chain.length - 1 ? { current: true } : {}),
  })));
  const kids = childrenOf(code);
  assert.deepEqual(m.children, kids.map((k) => expectedDivision(k.code, lang)));
  for (const k of m.children) assert.equal(k.parent_code, code);
  assert.equal(m.children_count, kids.length);
  assert.equal(m.has_children, kids.length > 0);
  const level = LEVELS.indexOf(BY_CODE.get(code).level);
  if (level < LEVELS.length - 1)
    assert.equal(m.children_level_name, T[lang].divisions.levels[LEVELS[level + 1]]);
  else
    assert.equal('children_level_name' in m, false);
  assert.equal(m.title, `${expectedDivision(code, lang).name} · ${T[lang].divisions.title}`);
  assert.equal('counts' in m, false, 'counts are on the index only');
  return m;
}

test('show a prefecture: Lhasa, breadcrumbs region › Lhasa, its counties by code', async () => {
  const m = await checkShow('540100000000');
  assert.equal(m.division.level, 'prefecture');
  assert.equal(m.division.parent_code, '540000000000');
  assert.deepEqual(m.breadcrumbs.map((b) => b.code), ['540000000000', '540100000000']);
  assert.ok(m.children.length > 0);
  assert.ok(m.children.every((c) => c.level === 'county'));
  assert.equal(m.children[0].code, '540102000000');
  assert.equal(m.children[0].name, '城关区');
});

test('show a county: 城关区, its townships', async () => {
  const m = await checkShow('540102000000');
  assert.equal(m.division.name, '城关区');
  assert.equal(m.division.level, 'county');
  assert.equal(m.division.parent_code, '540100000000');
  assert.deepEqual(m.breadcrumbs.map((b) => b.code), ['540000000000', '540100000000', '540102000000']);
  assert.ok(m.children.every((c) => c.level === 'township'));
  assert.ok(m.children.some((c) => c.code === '540102002000'));
});

test('show a township: its villages come from the villages file', async () => {
  const m = await checkShow('540102002000');
  assert.equal(m.division.level, 'township');
  assert.equal(m.division.parent_code, '540102000000');
  assert.ok(m.children.length > 0);
  assert.ok(m.children.every((c) => c.level === 'village'));
  assert.equal(m.children[0].code, '540102002001');
  assert.equal(m.children[0].name, '绕赛社区居委会');
});

test('show a village: five crumbs, no children', async () => {
  const m = await checkShow('540102002001');
  assert.equal(m.division.name, '绕赛社区居委会');
  assert.equal(m.division.level, 'village');
  assert.equal(m.division.parent_code, '540102002000');
  assert.deepEqual(m.breadcrumbs.map((b) => b.code),
    ['540000000000', '540100000000', '540102000000', '540102002000', '540102002001']);
  assert.deepEqual(m.children, []);
  assert.equal(m.has_children, false);
});

test('every prefecture and county lists exactly its CSV children, ordered by code', async () => {
  const parents = divisionRows.filter((d) => d.level === 'prefecture' || d.level === 'county');
  for (const p of parents) {
    const r = await getJson(`/api/v1/divisions/${p.code}`);
    assert.equal(r.status, 200, p.code);
    assert.deepEqual(r.body.children.map((c) => c.code), childrenOf(p.code).map((c) => c.code), p.code);
  }
});

test('the 6-digit GB/T 2260 form is the same division as the 12-digit code', async () => {
  for (const [short, long] of [['540102', '540102000000'], ['540100', '540100000000'], ['540000', '540000000000']]) {
    const a = await getJson(`/api/v1/divisions/${short}`);
    const b = await getJson(`/api/v1/divisions/${long}`);
    assert.equal(a.status, 200, short);
    assert.deepEqual(a.body, b.body, short);
  }
});

test('names in bo and en where translated; zh fallback marked name_lang "zh"', async () => {
  for (const lang of ['bo', 'en']) {
    // Lhasa is translated; its counties have Tibetan names (the zones do not), no English.
    const lhasa = await checkShow('540100000000', lang);
    assert.equal(lhasa.division.name, BY_CODE.get('540100000000')[`name_${lang}`]);
    assert.equal(lhasa.division.name_lang, lang);
    assert.equal(lhasa.breadcrumbs[0].name_lang, lang);
    for (const c of lhasa.children) {
      assert.equal(c.name_en, null);
      const bo = lang === 'bo' && c.name_bo;
      assert.equal(c.name, bo ? c.name_bo : c.name_zh);
      assert.equal(c.name_lang, bo ? 'bo' : 'zh');
    }
    assert.equal(lhasa.children.find((c) => c.code === '540121000000').name_bo, 'ལྷུན་གྲུབ་རྫོང་།');
    assert.equal(lhasa.children.find((c) => c.code === '540171000000').name_bo, null);
    const village = await checkShow('540102002001', lang);
    assert.equal(village.division.name, '绕赛社区居委会');
    assert.equal(village.division.name_lang, 'zh');
    assert.equal(village.division.level_name, T[lang].divisions.levels.village);
  }
  const bo = await getJson('/api/v1/divisions/540100000000?lang=bo');
  assert.equal(bo.body.division.name, 'ལྷ་ས་གྲོང་ཁྱེར།');
  const en = await getJson('/api/v1/divisions/540100000000?lang=en');
  assert.equal(en.body.division.name, 'Lhasa');
  assert.equal(en.body.title, 'Lhasa · Administrative divisions');
});

test('Accept: application/json on /divisions/540100000000 gives the /api/v1 model', async () => {
  for (const accept of ['application/json', 'application/json, text/html;q=0.9']) {
    const page = await getJson('/divisions/540100000000', { accept });
    const api = await getJson('/api/v1/divisions/540100000000');
    assert.equal(page.status, 200);
    assert.equal(page.type, 'application/json', accept);
    assert.deepEqual(page.body, api.body);
  }
  // A browser's Accept (HTML first) gets the page.
  const html = await getText('/divisions/540100000000',
    { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' });
  assert.equal(html.type, 'text/html; charset=utf-8');
});

// ---- Tibetan names -------------------------------------------------------------------------

test('the region, the 7 prefectures and the counties with a Tibetan name carry its source', () => {
  const named = divisionRows.filter((d) => d.name_bo);
  for (const d of ALL) {
    assert.equal(Boolean(d.name_bo), Boolean(d.name_bo_source), `${d.code}: a name and its source go together`);
    if (d.name_bo) assert.match(d.name_bo, /^[\u0F00-\u0FFF]+།$/u, `${d.code}: Tibetan script, ending with a shad`);
    if (d.name_bo) assert.equal(d.name_bo, d.name_bo.normalize('NFC'), `${d.code} is NFC`);
  }
  assert.equal(named.filter((d) => d.level === 'region' || d.level === 'prefecture').length, 8);
  assert.ok(named.filter((d) => d.level === 'county').length >= 70);
  assert.equal(ALL.filter((d) => d.name_bo && (d.level === 'township' || d.level === 'village')).length, 0);
});

test('a county page in bo is in Tibetan: its name, the crumbs above, the source of the name', async () => {
  const r = await getText('/divisions/540121000000?lang=bo');
  assert.equal(r.status, 200);
  const h = r.body;
  const d = BY_CODE.get('540121000000');
  assert.ok(h.includes(`<title>${d.name_bo} · ${T.bo.divisions.title} · `), 'the title');
  assert.ok(h.includes(`<h1><span lang="bo">${d.name_bo}</span> <small class="level">${T.bo.divisions.levels.county}</small></h1>`));
  assert.ok(h.includes(`<a href="/divisions/540100000000" lang="bo">${BY_CODE.get('540100000000').name_bo}</a>`));
  assert.ok(h.includes(`<span aria-current="page" lang="bo">${d.name_bo}</span>`));
  assert.ok(h.includes(`<a href="${d.name_bo_source.split(' ')[0]}" rel="nofollow noopener noreferrer">${T.bo.divisions.name_bo_source}</a>`),
    'the source of the Tibetan name is linked');
  // Its townships have no Tibetan name yet: Chinese, marked as such.
  for (const k of childrenOf('540121000000'))
    assert.ok(h.includes(`<a href="/divisions/${k.code}"><span lang="zh">${k.name_zh}</span>`), k.code);
  // Every county page names the county in Tibetan where the data has a name.
  for (const c of divisionRows.filter((x) => x.level === 'county')) {
    const j = await getJson(`/api/v1/divisions/${c.code}?lang=bo`);
    assert.equal(j.body.division.name, c.name_bo || c.name_zh, c.code);
    assert.equal(j.body.division.name_lang, c.name_bo ? 'bo' : 'zh', c.code);
  }
});

// ---- HTML ----------------------------------------------------------------------------------

test('the HTML page shows the names, breadcrumbs, children and the language switcher', async () => {
  const r = await getText('/divisions/540100000000');
  assert.equal(r.status, 200);
  assert.equal(r.type, 'text/html; charset=utf-8');
  const h = r.body;
  assert.match(h, /^<!doctype html>\n<html lang="zh-CN">/);
  assert.ok(h.includes('<title>拉萨市 · 行政区划 · 一网通办</title>'));
  assert.ok(h.includes('<h1><span lang="zh">拉萨市</span> <small class="level">地（市）</small></h1>'));
  assert.ok(h.includes('<span lang="bo">ལྷ་ས་གྲོང་ཁྱེར།</span>'));
  assert.ok(h.includes('<span lang="en">Lhasa</span>'));
  assert.ok(h.includes('<a href="/divisions/540000000000" lang="zh">西藏自治区</a>'), 'crumb link to the region');
  assert.ok(h.includes('<span aria-current="page" lang="zh">拉萨市</span>'), 'current crumb');
  const kids = childrenOf('540100000000');
  let at = -1;
  for (const k of kids) {
    const i = h.indexOf(`<a href="/divisions/${k.code}"><span lang="zh">${k.name_zh}</span> <code>${k.code}</code></a>`);
    assert.ok(i > at, `child ${k.code} listed, in code order`);
    at = i;
  }
  // The switcher: three languages, the current one marked.
  const nav = /<nav class="langs"[^>]*>([\s\S]*?)<\/nav>/.exec(h);
  assert.ok(nav, 'nav.langs');
  const links = [...nav[1].matchAll(/<a href="([^"]*)" lang="([^"]*)" hreflang="[^"]*"( aria-current="true")?>([^<]*)<\/a>/g)];
  assert.deepEqual(links.map((l) => [l[1], l[2], Boolean(l[3]), l[4]]), [
    ['/divisions/540100000000?lang=zh', 'zh-CN', true, '中文'],
    ['/divisions/540100000000?lang=bo', 'bo', false, 'བོད་ཡིག'],
    ['/divisions/540100000000?lang=en', 'en', false, 'English'],
  ]);
});

test('the index page has the counts and the prefectures', async () => {
  const r = await getText('/divisions?lang=en');
  assert.equal(r.status, 200);
  assert.match(r.body, /<html lang="en">/);
  assert.ok(r.body.includes(`<li><strong>${countLevel('village')}</strong> Village</li>`));
  assert.ok(r.body.includes(`<li><strong>${countLevel('county')}</strong> County</li>`));
  for (const p of divisionRows.filter((d) => d.level === 'prefecture'))
    assert.ok(r.body.includes(`<span lang="en">${p.name_en}</span> <code>${p.code}</code>`), p.code);
});

test('query text is escaped: nothing from the URL reaches the page unescaped', async () => {
  const evil = '<script>alert(1)</script>"\'&';
  const r = await getText(`/divisions/540100000000?q=${encodeURIComponent(evil)}`);
  assert.equal(r.status, 200);
  assert.equal(r.body.includes('<script'), false);
  assert.equal(r.body.includes('alert(1)</'), false);
  // The switcher keeps the parameter, percent-encoded.
  assert.ok(r.body.includes('href="/divisions/540100000000?lang=bo&amp;q=%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22%27%26"')
    || r.body.includes('href="/divisions/540100000000?lang=bo&q=%3Cscript%3Ealert%281%29%3C%2Fscript%3E%22%27%26"'),
  'the switcher link keeps q, encoded');
});

// ---- errors ----------------------------------------------------------------------------------

test('malformed codes are 400 divisions.bad_code (problem+json on the API, a page otherwise)', async () => {
  for (const code of ['abc', '5401', '54010000000x', '5401000000001', '54010000000', '-54010000000']) {
    const r = await getJson(`/api/v1/divisions/${code}`);
    assert.equal(r.status, 400, code);
    assert.equal(r.type, 'application/problem+json', code);
    assert.equal(r.body.code, 'divisions.bad_code', code);
    assert.equal(r.body.status, 400);
    assert.equal(r.body.detail, T.zh.errors.divisions.bad_code);
    const page = await getText(`/divisions/${code}`);
    assert.equal(page.status, 400, code);
    assert.equal(page.type, 'text/html; charset=utf-8');
    assert.ok(page.body.includes(T.zh.errors.divisions.bad_code));
  }
  // A NUL byte never reaches the code parser: the URL itself is refused.
  const nul = await getJson('/api/v1/divisions/%00');
  assert.equal(nul.status, 400);
  assert.equal(nul.type, 'application/problem+json');
  assert.equal(nul.body.code, 'http.bad_uri');
});

test('unknown 999999999999 is a 404 problem, its detail localised per ?lang', async () => {
  const zh = await getJson('/api/v1/divisions/999999999999');
  const en = await getJson('/api/v1/divisions/999999999999?lang=en');
  const bo = await getJson('/api/v1/divisions/999999999999?lang=bo');
  for (const [r, lang] of [[zh, 'zh'], [en, 'en'], [bo, 'bo']]) {
    assert.equal(r.status, 404);
    assert.equal(r.type, 'application/problem+json');
    assert.deepEqual(Object.keys(r.body).sort(),
      ['code', 'detail', 'instance', 'request_id', 'status', 'title', 'type']);
    assert.equal(r.body.type, 'about:blank');
    assert.equal(r.body.title, 'Not Found');
    assert.equal(r.body.status, 404);
    assert.equal(r.body.code, 'divisions.not_found');
    assert.equal(r.body.instance, '/api/v1/divisions/999999999999');
    assert.equal(r.body.detail, T[lang].errors.divisions.not_found);
    assert.match(r.body.request_id, /^[0-9a-f]{16}$/);
    assert.equal(r.body.request_id, r.headers.get('x-request-id'));
    assert.equal(r.headers.get('cache-control'), 'no-store');
  }
  assert.notEqual(zh.body.detail, en.body.detail);
  assert.notEqual(bo.body.detail, en.body.detail);
  assert.notEqual(zh.body.request_id, en.body.request_id);
});

test('the HTML 404 for an unknown division is a localised page', async () => {
  for (const lang of ['zh', 'bo', 'en']) {
    const r = await getText(`/divisions/999999999999?lang=${lang}`);
    assert.equal(r.status, 404);
    assert.equal(r.type, 'text/html; charset=utf-8');
    assert.match(r.body, new RegExp(`<html lang="${lang === 'zh' ? 'zh-CN' : lang}">`));
    assert.ok(r.body.includes(`<h1>${T[lang].errors.status['404']}</h1>`), lang);
    assert.ok(r.body.includes(`<p class="error-message">${T[lang].errors.divisions.not_found}</p>`), lang);
    assert.ok(r.body.includes(`<code>${r.headers.get('x-request-id')}</code>`), 'the request number is shown');
    assert.ok(r.body.includes('<nav class="langs"'), 'error pages have the switcher too');
  }
});

// Divisions are reference data served from the response cache: the second request must be
// byte-identical to the first, revalidate with its ETag, and never mix up URLs or languages.
test('division pages carry a strong ETag, revalidate with 304, and repeat byte for byte', async () => {
  for (const path of ['/divisions/540100000000', '/api/v1/divisions/540100000000', '/divisions']) {
    const a = await fetch(`${srv.url}${path}`);
    const bodyA = await a.text();
    const etag = a.headers.get('etag');
    assert.match(etag ?? '', /^"[0-9a-f]{16}"$/, path);
    const b = await fetch(`${srv.url}${path}`);
    assert.equal(await b.text(), bodyA, path);
    assert.equal(b.headers.get('etag'), etag);
    assert.notEqual(b.headers.get('x-request-id'), a.headers.get('x-request-id'));
    const nm = await fetch(`${srv.url}${path}`, { headers: { 'if-none-match': etag } });
    assert.equal(nm.status, 304, path);
    assert.equal(await nm.text(), '');
    const stale = await fetch(`${srv.url}${path}`, { headers: { 'if-none-match': '"0000000000000000"' } });
    assert.equal(stale.status, 200);
  }
});

test('cached pages keep each URL and language apart (switcher links, names)', async () => {
  const plain = await (await fetch(`${srv.url}/divisions/540100000000?lang=en`)).text();
  const extra = await (await fetch(`${srv.url}/divisions/540100000000?lang=en&x=%3Cb%3E`)).text();
  assert.ok(!plain.includes('x=%3Cb%3E'), 'a query seen on another URL never leaks into this one');
  assert.ok(extra.includes('?lang=zh&amp;x=%3Cb%3E'), 'the switcher keeps this URL\'s own query');
  const again = await (await fetch(`${srv.url}/divisions/540100000000?lang=en`)).text();
  assert.equal(again, plain);
  const bo = await (await fetch(`${srv.url}/divisions/540100000000`, { headers: { cookie: 'lang=bo' } })).text();
  const zh = await (await fetch(`${srv.url}/divisions/540100000000`)).text();
  assert.match(bo, /<html lang="bo">/);
  assert.match(zh, /<html lang="zh-CN">/);
});
