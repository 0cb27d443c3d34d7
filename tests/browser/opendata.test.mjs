// tests/browser/opendata.test.mjs - the open-data portal in a real browser (Debian's Chromium
// through playwright-core), in zh and bo: from the home page a visitor follows the link to
// /data, searches for the marriage statistics, opens the dataset, sees the preview of its
// first rows and downloads its CSV (the file's bytes are checked). A department head uploads
// a malformed CSV through the admin form and is told the line; the draft without Tibetan is
// flagged. axe finds nothing on the portal, dataset and admin pages; Tibetan is drawn with a
// Tibetan font. Screenshots (zh 1280 px, bo 390 px) in $OW_SHOTS or the temporary directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshTotp } from '../lib/totp.mjs';
import { launch, renderedFonts, TIBETAN_FONT, assertNoAxeViolations } from '../lib/browser.mjs';
import { catalog } from '../lib/server.mjs';
import { demoServer } from '../lib/db.mjs';

const SHOTS = process.env.OW_SHOTS || join(tmpdir(), 'ow-shots');
const T = { zh: catalog('zh'), bo: catalog('bo') };
const DEMO_PASSWORD = 'Demo-2026-xz';

let server, srv, browser;
before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await demoServer('opendata-browser', { sqlite: true, timeout: 60000 });
  srv = server.srv;
  browser = await launch();
});
after(async () => {
  await browser?.close();
  const r = await server?.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv?.log()}`);
});

const SEARCH = { zh: '婚姻', bo: 'གཉེན་སྒྲིག' };
const WIDTH = { zh: 1280, bo: 390 };

for (const lang of ['zh', 'bo']) {
  test(`${lang}: find the marriage statistics from the home page and download the CSV`, async () => {
    const context = await browser.newContext({ viewport: { width: WIDTH[lang], height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(`${srv.url}/?lang=${lang}`);
    await page.locator(`nav.main-nav a[href="/data"]`).click();
    await page.waitForURL(/\/data$/);
    assert.equal(await page.locator('h1').textContent(), T[lang].opendata.title);
    await assertNoAxeViolations(page, `/data ${lang}`);
    await page.locator('#data-q').fill(SEARCH[lang]);
    await page.locator('main form button[type="submit"]').click();
    await page.waitForURL(/\/data\?q=/);
    const hits = page.locator('ul.datasets > li');
    assert.equal(await hits.count(), 1);
    if (lang === 'bo') {
      const fonts = await renderedFonts(page, 'ul.datasets h2 a');
      assert.ok(fonts.some((f) => TIBETAN_FONT.test(f.familyName)), JSON.stringify(fonts));
    }
    await page.screenshot({ path: join(SHOTS, `opendata-search-${lang}.png`), fullPage: true });
    await hits.first().locator('h2 a').click();
    await page.waitForURL(/\/data\/chengguan-marriage-registrations$/);
    assert.match(await page.locator('h1').textContent(), lang === 'zh' ? /城关区婚姻登记统计/ : /གཉེན་སྒྲིག/);
    // the preview: the header and the first ten rows
    assert.deepEqual(await page.locator('table.stats thead th').allTextContents(), ['month', 'marriages', 'divorces', 'remarriages']);
    assert.equal(await page.locator('table.stats tbody tr').count(), 10);
    assert.deepEqual(await page.locator('table.stats tbody tr').first().locator('td').allTextContents(), ['2026-01', '212', '41', '9']);
    await assertNoAxeViolations(page, `/data/chengguan-marriage-registrations ${lang}`);
    await page.screenshot({ path: join(SHOTS, `opendata-dataset-${lang}.png`), fullPage: true });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('a[href$="/data.csv"]').click(),
    ]);
    assert.equal(download.suggestedFilename(), 'chengguan-marriage-registrations.csv');
    const text = readFileSync(await download.path(), 'utf8');
    assert.match(text, /^month,marriages,divorces,remarriages\r\n2026-01,212,41,9\r\n/);
    assert.equal(text.trim().split('\r\n').length, 12);
    await context.close();
  });
}

test('zh: a department head uploads a malformed CSV and is told the line; the draft without Tibetan is flagged', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${srv.url}/login?lang=zh`);
  await page.locator('#login').fill('head.chengguan');
  await page.locator('#password').fill(DEMO_PASSWORD);
  await page.locator('main button[type="submit"]').click();
  await page.waitForLoadState('load');
  await page.locator('#code').fill(await freshTotp('head.chengguan'));
  await page.locator('main button[type="submit"]').click();
  await page.waitForLoadState('load');
  await page.locator('nav.me a[href="/data/admin"]').click();
  await page.waitForURL(/\/data\/admin$/);
  const flagged = page.locator('tr', { hasText: 'chengguan-care-homes' }).locator('.missing-bo');
  assert.equal(await flagged.textContent(), T.zh.opendata.admin.no_bo);
  await assertNoAxeViolations(page, '/data/admin zh');
  const bad = join(tmpdir(), `od-bad-${process.pid}.csv`);
  writeFileSync(bad, 'a,b\n1,2\n3\n');
  await page.locator('#od-slug').fill('chengguan-browser-upload');
  await page.locator('#od-title-zh').fill('浏览器上传测试');
  await page.locator('#od-licence').selectOption('CC-BY-4.0');
  await page.locator('#od-file').setInputFiles(bad);
  await page.locator('input[name="publish"]').check();
  await page.locator('main form button[type="submit"]').click();
  await page.waitForLoadState('load');
  const summary = await page.locator('.error-summary').textContent();
  assert.match(summary, new RegExp(T.zh.errors.opendata.csv_width));
  assert.match(summary, /第 3 行/);
  assert.equal(await page.locator('#od-slug').inputValue(), 'chengguan-browser-upload', 'the form keeps what was typed');
  assert.equal(await page.locator('#od-licence').inputValue(), 'CC-BY-4.0');
  await page.screenshot({ path: join(SHOTS, 'opendata-admin-zh.png'), fullPage: true });
  await context.close();
});
