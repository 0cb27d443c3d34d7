// tests/browser/catalog.test.mjs - the service catalog in a real browser (Debian's Chromium
// through playwright-core): from the home page to a guide by the life event "marriage", the
// guide page in zh and in bo (Tibetan drawn with a Tibetan font), the bundle page, every
// page checked with axe; and the same way with JavaScript disabled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, renderedFonts, TIBETAN_FONT, assertNoAxeViolations as axeCheck } from '../lib/browser.mjs';
import { startServer, run, ROOT, catalog } from '../lib/server.mjs';

const SHOTS = join(ROOT, 'tests', 'browser', 'screenshots');
const DEMO = JSON.parse(readFileSync(join(ROOT, 'data', 'catalog', 'demo.json'), 'utf8'));
const MARRIAGE = DEMO.items.find((i) => i.code === 'XZ-MZ-001');
const ZH = catalog('zh'), BO = catalog('bo');

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
