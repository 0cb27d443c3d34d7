// tests/browser/catalog.test.mjs - the service catalog in a real browser (Debian's Chromium
// through playwright-core): from the home page to a guide by the life event "marriage", the
// guide page in zh and in bo (Tibetan drawn with a Tibetan font), the bundle page, every
// page checked with axe; and the same way with JavaScript disabled. Issue 11: on a 390 px
// phone in Tibetan, the guides, the listing and the bundles read in Tibetan, and the
// application forms of marriage registration, the newborn bundle and the individual
// business show the catalog's Tibetan labels, help, options, material names and notes.
// Screenshots go to $OW_SHOTS or the system's temporary directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, renderedFonts, TIBETAN_FONT, assertNoAxeViolations as axeCheck } from '../lib/browser.mjs';
import { startServer, run, ROOT, catalog } from '../lib/server.mjs';

const SHOTS = process.env.OW_SHOTS || join(tmpdir(), 'ow-shots');
const DEMO = JSON.parse(readFileSync(join(ROOT, 'data', 'catalog', 'demo.json'), 'utf8'));
const MARRIAGE = DEMO.items.find((i) => i.code === 'XZ-MZ-001');
const ZH = catalog('zh'), BO = catalog('bo');
const item = (code) => DEMO.items.find((i) => i.code === code);
const PHONE = { width: 390, height: 844 };

let srv, browser;
before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  srv = await startServer({ sqlite: true });
  const r = run(['demo', '--data', srv.data, '--db', srv.db], { timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  const r = await srv.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
});

const assertNoAxeViolations = (page, label) => axeCheck(page, label, { ran: true });

test('zh: home → services → marriage → the guide; the guide and the list pass axe', async () => {
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  try {
    await page.goto(`${srv.url}/`);
    await page.locator('main').getByRole('link', { name: ZH.portal.all_services }).click();
    await page.waitForURL(`${srv.url}/services`);
    assert.equal(await page.locator('main h1').innerText(), ZH.catalog.title);
    await assertNoAxeViolations(page, 'zh services');
    await page.getByRole('link', { name: ZH.catalog.events.marriage, exact: true }).click();
    await page.waitForURL(`${srv.url}/services?event=marriage`);
    await page.getByRole('link', { name: MARRIAGE.name.zh }).click();
    await page.waitForURL(`${srv.url}/services/XZ-MZ-001`);
    assert.equal(await page.locator('main h1').innerText(), MARRIAGE.name.zh);
    const rows = await page.locator('main table tbody tr').count();
    assert.equal(rows, MARRIAGE.materials.length);
    const apply = page.getByRole('link', { name: ZH.catalog.apply_online }).first();
    assert.equal(await apply.getAttribute('href'), '/services/XZ-MZ-001/apply');
    await assertNoAxeViolations(page, 'zh guide');
    await page.screenshot({ path: join(SHOTS, 'catalog-guide-zh.png'), fullPage: true });

    await page.goto(`${srv.url}/services/bundles/BUNDLE-NEWBORN`);
    assert.equal(await page.locator('main table tbody tr').count(), 3);
    await assertNoAxeViolations(page, 'zh bundle');
  } finally {
    await ctx.close();
  }
});

test('bo: the guide in Tibetan, drawn with a Tibetan font, passes axe', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  try {
    await page.goto(`${srv.url}/services/XZ-MZ-001?lang=bo`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'bo');
    assert.equal(await page.locator('main h1').innerText(), MARRIAGE.name.bo);
    const fonts = await renderedFonts(page, 'main h1 span[lang="bo"]');
    assert.ok(fonts.some((f) => TIBETAN_FONT.test(f.familyName) && f.glyphCount > 0),
      `Tibetan drawn with ${JSON.stringify(fonts)}`);
    const h2 = await page.locator('main h2').allInnerTexts();
    assert.ok(h2.includes(BO.catalog.materials), `${h2}`);
    await assertNoAxeViolations(page, 'bo guide');
    await page.screenshot({ path: join(SHOTS, 'catalog-guide-bo.png'), fullPage: true });
    await page.goto(`${srv.url}/services?lang=bo`);
    await assertNoAxeViolations(page, 'bo services');
  } finally {
    await ctx.close();
  }
});

test('without JavaScript: filter by department with the form', async () => {
  const ctx = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN' });
  const page = await ctx.newPage();
  try {
    await page.goto(`${srv.url}/services`);
    await page.getByLabel(ZH.catalog.by_department).selectOption('xz-wj');
    await page.getByRole('button', { name: ZH.catalog.filter }).click();
    await page.waitForURL(/\/services\?.*\bdept=xz-wj/);
    const codes = await page.locator('main table tbody code').allInnerTexts();
    const expect = DEMO.items.filter((i) => i.department === 'xz-wj' || i.handled_by.includes('xz-wj')).map((i) => i.code);
    assert.deepEqual(codes.sort(), expect.sort());
  } finally {
    await ctx.close();
  }
});

// ---- Tibetan on a phone (issue 11 items 2-4) -------------------------------------------------

// No sideways scroll, nothing axe finds, and a screenshot.
async function look(page, label) {
  await page.waitForLoadState('load');
  const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(sw <= iw, `${label}: the page scrolls sideways (${sw} px in ${iw} px)`);
  await assertNoAxeViolations(page, label);
  await page.screenshot({ path: join(SHOTS, `catalog-${label}.png`), fullPage: true });
}

// Every Tibetan text among `texts` is on the page's main part, and none of their Chinese.
async function allTibetan(page, texts, label) {
  const main = await page.locator('main').innerText();
  for (const t of texts) {
    assert.ok(main.includes(t.bo), `${label}: ${t.zh} in Tibetan (${t.bo})`);
    assert.ok(!main.includes(t.zh), `${label}: ${t.zh} is shown in Chinese`);
  }
}

const guideTexts = (it) => [it.name, it.conditions, it.legal_basis, it.contact.address, ...it.steps,
  ...it.materials.flatMap((m) => [m.name, m.note].filter(Boolean)),
  ...it.windows.flatMap((w) => [w.name, w.address, w.hours]), ...(it.fee.basis ? [it.fee.basis] : [])];
const formTexts = (it) => it.form.fields.flatMap((f) => [f.label, f.help, ...(f.options ?? []).map((o) => o.label)].filter(Boolean));

test('bo at 390 px: guides, the listing and the bundles in Tibetan', async () => {
  const ctx = await browser.newContext({ viewport: PHONE });
  const page = await ctx.newPage();
  try {
    for (const code of ['XZ-MZ-001', 'XZ-SJ-001', 'XZ-GA-001']) {
      await page.goto(`${srv.url}/services/${code}?lang=bo`);
      assert.equal(await page.locator('main h1').innerText(), item(code).name.bo);
      await allTibetan(page, guideTexts(item(code)), code);
      await look(page, `guide-${code}-bo-390`);
    }
    await page.goto(`${srv.url}/services?lang=bo`);
    await allTibetan(page, [...DEMO.items.map((i) => i.name), ...DEMO.bundles.map((b) => b.name)], 'services');
    await look(page, 'services-bo-390');
    for (const b of DEMO.bundles) {
      await page.goto(`${srv.url}/services/bundles/${b.code}?lang=bo`);
      await allTibetan(page, [b.name, ...b.items.map((c) => item(c).name)], b.code);
      await look(page, `${b.code}-bo-390`);
    }
  } finally {
    await ctx.close();
  }
});

// The application forms are apply's pages; what they show of the catalog comes from it.
test('bo at 390 px: the forms of marriage registration, the newborn bundle and the individual business show the catalog\'s Tibetan', async () => {
  const ctx = await browser.newContext({ viewport: PHONE });
  const page = await ctx.newPage();
  try {
    await page.goto(`${srv.url}/login?lang=bo`);
    await page.getByLabel(BO.identity.fields.login, { exact: true }).fill('540102199001011233');
    await page.getByLabel(BO.identity.fields.password, { exact: true }).fill('Demo-2026-xz');
    await page.locator('main').getByRole('button', { name: BO.identity.login.submit }).click();
    await page.waitForURL(`${srv.url}/account`);
    const forms = [
      ['/services/XZ-MZ-001/apply', ['XZ-MZ-001']],
      ['/services/XZ-SJ-001/apply', ['XZ-SJ-001']],
      ['/services/bundles/BUNDLE-NEWBORN/apply', DEMO.bundles.find((b) => b.code === 'BUNDLE-NEWBORN').items],
    ];
    for (const [url, codes] of forms) {
      await page.goto(`${srv.url}${url}?lang=bo`);
      // A bundle asks once for a material several of its items need (the same key).
      const keys = new Set();
      const materials = codes.flatMap((c) => item(c).materials).filter((m) => !keys.has(m.key) && keys.add(m.key));
      const texts = [...codes.flatMap((c) => [item(c).name, ...formTexts(item(c))]),
        ...materials.flatMap((m) => [m.name, m.note].filter(Boolean))];
      await allTibetan(page, texts, url);
      for (const label of await page.locator('main label').allInnerTexts())
        assert.ok(!/[\u4e00-\u9fff]/.test(label), `${url}: a label in Chinese: ${label}`);
      await look(page, `form-${url.split('/').filter(Boolean).slice(-2, -1)[0]}-bo-390`);
    }
  } finally {
    await ctx.close();
  }
});
