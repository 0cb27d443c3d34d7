// tests/browser/crawl.test.mjs - every page a person can reach, as each demo role, in zh, bo
// and en (issue 10, "Tests that see what a person sees"). A crawler logs in as each role,
// follows every same-site link from the home page and the account menu, and asserts on
// each page what a person would notice:
//   - no server error (5xx), no dead link (404) among the links the pages offer;
//   - no raw template tag ("{{") and no untranslated catalog key ("apply.err.x") in the
//     text a person reads;
//   - parity with the JSON twin: the names, titles, labels and messages of the page's
//     model appear in the page's visible text (a section that drops them is caught);
//   - no integer in a JSON twin beyond 2^53 (64-bit ids are strings, issue 17);
//   - in Chromium at 360 px, in zh and bo, no page scrolls sideways, and axe (with colour
//     contrast) finds nothing.
// The data is seeded first (an application, a hotline order) so that case pages exist.
// Links are followed up to a budget per role, and only a few instances of each address
// shape (ids replaced by N) are kept, so the run stays short.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AxeBuilder } from '@axe-core/playwright';
import { launch } from '../lib/browser.mjs';
import { catalog } from '../lib/server.mjs';
import { demoServer } from '../lib/db.mjs';
import { Client, login, DEMO_CITIZEN_ID, unescapeHtml } from '../lib/client.mjs';
import { idNumbers } from '../lib/ids.mjs';
import { unsafeIntegers } from '../lib/jsonints.mjs';

const LANGS = ['zh', 'bo', 'en'];
const ONLY = process.env.CRAWL_ROLE; // run one role by hand: CRAWL_ROLE=citizen
const ROLES = [
  { who: 'anon' },
  { who: DEMO_CITIZEN_ID, label: 'citizen' },
  { who: 'clerk.bakuo', staff: true },
  { who: 'clerk.chengguan', staff: true },
  { who: 'reviewer.chengguan', staff: true },
  { who: 'head.chengguan', staff: true },
  { who: 'hotline.xz', staff: true },
  { who: 'clerk.water', staff: true },
  { who: 'clerk.ga', staff: true },
  { who: 'catalog.xz', staff: true },
  { who: 'auditor.xz', staff: true },
  { who: 'supervisor.xz', staff: true },
  { who: 'supervisor.lhasa', staff: true },
  { who: 'security.xz', staff: true },
];
const MAX_PAGES = 90;       // per role
const PER_SHAPE = 2;        // instances of one address shape
// Top-level namespaces of the catalogs: a visible token "ns.key.path" is an untranslated key.
const NAMESPACES = new Set(Object.keys(catalog('zh')));

let env, browser;
before(async () => {
  env = await demoServer('crawl', { sqlite: true, timeout: 60000 });
  browser = await launch();
  await seed();
});
after(async () => {
  await browser?.close();
  await env?.stop();
});

// ---- seed data: one application to work on, one hotline order ---------------------------

const PDF = Buffer.from('%PDF-1.4\n% crawl\n');
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
const PNG = Buffer.from('\x89PNG\r\n\x1a\nxx', 'latin1');

async function seed() {
  const item = 'XZ-MZ-001';
  const c = new Client(env.srv, { uploadPage: `/api/v1/services/${item}/apply` });
  await login(env.srv, DEMO_CITIZEN_ID, { client: c });
  const day = new Date(Date.now() + 10 * 86400000).toISOString().slice(0, 10);
  const r = await c.upload(`/api/v1/services/${item}/apply`, {
    _division: '540102000000', f_male_name: '扎西多吉', f_male_id: DEMO_CITIZEN_ID,
    f_female_name: '卓玛', f_female_id: idNumbers({ birth: '19960405', seed: 77 })(),
    f_appointment_date: day, f_phone: '13800000001', f_declaration: 'on', _action: 'submit',
  }, [
    { name: 'm_id_card', filename: 'id.pdf', type: 'application/pdf', data: PDF },
    { name: 'm_household_register', filename: 'hukou.jpg', type: 'image/jpeg', data: JPEG },
    { name: 'm_photo', filename: 'photo.png', type: 'image/png', data: PNG },
  ]);
  assert.ok([200, 201, 303].includes(r.status), `seed application: ${r.status} ${r.text.slice(0, 300)}`);
  // A passport application: its fee order (src/pay), paid at the counter so that the
  // order page has a receipt, history and the refund form.
  const pr = await c.upload('/api/v1/services/XZ-GA-001/apply', {
    _division: '540100000000', f_applicant_name: '扎西多吉', f_applicant_id: DEMO_CITIZEN_ID,
    f_phone: '13800000001', f_delivery: 'window', _action: 'submit',
  }, [
    { name: 'm_id_card', filename: 'id.pdf', type: 'application/pdf', data: PDF },
    { name: 'm_photo', filename: 'photo.pdf', type: 'application/pdf', data: PDF },
  ]);
  assert.ok([200, 201, 303].includes(pr.status), `seed passport: ${pr.status} ${pr.text.slice(0, 300)}`);
  const code = (await c.get(`/api/v1/pay/applications/${pr.body.number}`)).body.code;
  const ga = await login(env.srv, 'clerk.ga', { staff: true });
  const paid = await ga.submit(`/api/v1/pay/orders/${code}/counter`, { method: 'pos', ref: 'CRAWL-1' }, { page: '/api/v1/messages' });
  assert.equal(paid.status, 200, paid.text);
  // A hotline order from the public form, dispatched by the agent, so that order pages
  // with a history exist for the agent and the department.
  const anon = new Client(env.srv);
  const o = await anon.submit('/hotline/submit', {
    description: '小区供暖不热，室内温度只有十几度。', division: '540102005000', address: '扎细街道',
    phone: '13922224444', channel: 'mobile',
  }, { page: '/hotline/submit' });
  assert.equal(o.status, 201, `seed order: ${o.text.slice(0, 300)}`);
}

// ---- page analysis ---------------------------------------------------------------------

function visibleText(html) {
  const title = /<title>([\s\S]*?)<\/title>/i.exec(html)?.[1] ?? '';
  const body = title + ' ' + html.replace(/^[\s\S]*?<body[^>]*>/i, '');
  return unescapeHtml(body
    .replace(/<script[\s\S]*?<\/script>/gi, ' ')
    .replace(/<style[\s\S]*?<\/style>/gi, ' ')
    .replace(/<code[\s\S]*?<\/code>/gi, ' ')
    .replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ');
}

// Chinese on a Tibetan page that no element marks lang="zh" (a reader's screen reader and
// font choice go wrong there). Options and the title cannot carry markup and are left out;
// so are form values (attributes).
function unmarkedChinese(html) {
  let body = html.replace(/^[\s\S]*?<body[^>]*>/i, '')
    .replace(/<script[\s\S]*?<\/script>/gi, ' ').replace(/<option[\s\S]*?<\/option>/gi, ' ')
    .replace(/<textarea[\s\S]*?<\/textarea>/gi, ' ');
  // Drop every element marked zh (innermost first, so nesting unwinds).
  for (let i = 0; i < 8; i++) {
    const next = body.replace(/<(\w+)\b[^>]*\blang="zh(?:-CN)?"[^>]*>(?:(?!<\1\b)[\s\S])*?<\/\1>/g, ' ');
    if (next === body) break;
    body = next;
  }
  const text = unescapeHtml(body.replace(/<[^>]+>/g, ' '));
  return [...text.matchAll(/[\u3400-\u9fff][\u3400-\u9fff\u3000-\u303f\uff00-\uffef\w ·]*/g)].map((m) => m[0].trim());
}

function rawKeys(text) {
  const found = [];
  for (const m of text.matchAll(/(?<![\w./@-])([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)(?![\w/@-])/g)) {
    if (NAMESPACES.has(m[1].split('.')[0])) found.push(m[1]);
  }
  return found;
}

function links(html) {
  const out = [];
  for (const m of html.matchAll(/<a\s[^>]*?href="([^"]+)"/g)) {
    const href = unescapeHtml(m[1]);
    if (!href.startsWith('/') || href.startsWith('//')) continue;
    out.push(href.replace(/#.*$/, ''));
  }
  return out;
}

// The address without the language and the confirmation flag, and its shape.
function normal(href) {
  const u = new URL(href, 'http://x');
  u.searchParams.delete('lang');
  u.searchParams.delete('done');
  const s = u.pathname + (u.searchParams.size ? `?${u.searchParams}` : '');
  return s;
}
// Path segments with a digit (codes, ids, numbers) become N; query values are dropped.
const shapeOf = (href) => {
  const u = new URL(href, 'http://x');
  return u.pathname.split('/').map((seg) => (/\d/.test(seg) ? 'N' : seg)).join('/') + '?' +
    [...u.searchParams.keys()].sort().join('&');
};

// User-facing strings of a JSON model: values of keys people read. Codes, ids, URLs,
// times and numbers are not compared.
const FACING = new Set(['name', 'title', 'label', 'message', 'notice', 'summary', 'heading']);
function facingValues(model, out = [], depth = 0) {
  if (depth > 6 || model === null || typeof model !== 'object') return out;
  for (const [k, v] of Object.entries(model)) {
    if (k === 't' || k === 'langs' || k === 'me') continue;
    // Not user-facing though the key is: addresses, and form control names ("f_division.l2").
    if (typeof v === 'string' && FACING.has(k) && v.trim().length >= 2 && !/^(\/|https?:)/.test(v) &&
        !/^[a-z_][a-z0-9_.]*$/.test(v)) out.push(v.trim());
    else if (v && typeof v === 'object') facingValues(v, out, depth + 1);
  }
  return out;
}

// ---- the crawl -------------------------------------------------------------------------

// Links that change state or leave the HTML world are requested but not followed.
const SKIP = [/^\/logout/, /^\/login/, /^\/register/, /\/files\//, /\.pdf$/, /\.csv$/, /\/export/, /^\/static\//,
  /^\/trust\//, /^\/open311\/v2\//, /^\/\.well-known\//, /^\/metrics/, /^\/api\//, /\/qr(\.png)?$/];

async function clientFor(role) {
  if (role.who === 'anon') return new Client(env.srv);
  return login(env.srv, role.who, { staff: !!role.staff });
}

async function crawl(role, c) {
  const seen = new Map(); // normal address -> zh html
  const perShape = new Map();
  const queue = ['/', ...((await c.get('/', { json: false })).text.match(/<nav class="me"[\s\S]*?<\/nav>/)?.[0] ?? '')
    .match(/href="[^"]+"/g)?.map((h) => unescapeHtml(h.slice(6, -1))) ?? []];
  const problems = [];
  while (queue.length && seen.size < MAX_PAGES) {
    const href = normal(queue.shift());
    if (seen.has(href) || SKIP.some((re) => re.test(href))) continue;
    const shape = shapeOf(href);
    if ((perShape.get(shape) ?? 0) >= PER_SHAPE) continue;
    perShape.set(shape, (perShape.get(shape) ?? 0) + 1);
    const r = await c.get(href, { json: false });
    seen.set(href, r);
    if (r.status >= 500 || r.status === 404) problems.push(`${href}: ${r.status}`);
    if (r.status !== 200 || !/text\/html/.test(r.headers['content-type'] ?? '')) continue;
    for (const l of links(r.text)) queue.push(l);
  }
  return { seen, problems };
}

async function checkLanguages(role, c, seen) {
  const problems = [];
  for (const [href, zh] of seen) {
    if (zh.status !== 200 || !/text\/html/.test(zh.headers['content-type'] ?? '')) continue;
    for (const lang of LANGS) {
      const sep = href.includes('?') ? '&' : '?';
      const r = lang === 'zh' ? zh : await c.get(`${href}${sep}lang=${lang}`, { json: false });
      if (r.status >= 500) { problems.push(`${lang} ${href}: ${r.status}`); continue; }
      const text = visibleText(r.text);
      if (/\{\{|\}\}/.test(text) || /\{\{/.test(r.text.replace(/<script[\s\S]*?<\/script>/gi, ''))) problems.push(`${lang} ${href}: a raw template tag`);
      const keys = rawKeys(text);
      if (keys.length) problems.push(`${lang} ${href}: untranslated key(s) ${[...new Set(keys)].join(', ')}`);
      if (lang === 'bo') {
        const han = unmarkedChinese(r.text);
        if (han.length) problems.push(`bo ${href}: Chinese nobody marked: ${han.slice(0, 4).map((h) => JSON.stringify(h)).join(', ')}`);
      }
    }
    // Parity with the JSON twin, in zh (the model is the same in every language).
    const j = await c.get(`${href}${href.includes('?') ? '&' : '?'}lang=zh`, { json: true });
    // 64-bit ids are strings in JSON: no integer JavaScript would round.
    if (j.body && typeof j.body === 'object') {
      for (const u of unsafeIntegers(j.text)) problems.push(`${href}: the JSON twin's ${u.path} is the integer ${u.value} (beyond 2^53: an id must be a string)`);
    }
    if (j.status === 200 && j.body && typeof j.body === 'object') {
      const text = visibleText(zh.text);
      const missing = [...new Set(facingValues(j.body))].filter((v) => !text.includes(v.replace(/\s+/g, ' ')));
      if (missing.length) problems.push(`${href}: the JSON twin's ${missing.slice(0, 5).map((v) => JSON.stringify(v.slice(0, 40))).join(', ')} not on the page (${JSON.stringify(text.slice(0, 60))})`);
    }
  }
  return problems;
}

async function checkInBrowser(role, c, seen, done) {
  const problems = [];
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  try {
    const cookies = [...c.jar].filter(([k]) => k !== 'lang').map(([name, value]) => ({ name, value, url: env.srv.url }));
    if (cookies.length) await context.addCookies(cookies);
    const page = await context.newPage();
    for (const [href, zh] of seen) {
      if (zh.status !== 200 || !/text\/html/.test(zh.headers['content-type'] ?? '')) continue;
      const shape = shapeOf(href);
      if (done.has(shape)) continue; // a public page already checked as another role
      if (role.who === 'anon') done.add(shape);
      for (const lang of ['zh', 'bo']) {
        const sep = href.includes('?') ? '&' : '?';
        await page.goto(`${env.srv.url}${href}${sep}lang=${lang}`);
        const { sw, iw } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, iw: window.innerWidth }));
        if (sw > iw) problems.push(`${lang} ${href}: scrolls sideways at 360 px (${sw} px wide)`);
        if (lang !== 'bo') continue; // axe once per page: Tibetan at 360 px, the hardest case
        const axe = await new AxeBuilder({ page }).analyze();
        for (const v of axe.violations) {
          problems.push(`${lang} ${href}: axe ${v.id} (${v.impact}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
        }
      }
    }
  } finally {
    await context.close();
  }
  return problems;
}

const publicShapes = new Set();
for (const role of ROLES.filter((r) => !ONLY || (r.label ?? r.who) === ONLY)) {
  test(`crawl as ${role.label ?? role.who}: no 5xx or dead link, no raw tag or key, JSON parity, no sideways scroll, axe`, async () => {
    const c = await clientFor(role);
    const { seen, problems } = await crawl(role, c);
    assert.ok(seen.size >= (role.who === 'anon' ? 15 : 5), `only ${seen.size} pages reached`);
    problems.push(...await checkLanguages(role, c, seen));
    problems.push(...await checkInBrowser(role, c, seen, publicShapes));
    assert.deepEqual(problems, [], `${problems.length} problem(s) as ${role.label ?? role.who}:\n${problems.join('\n')}`);
  });
}
