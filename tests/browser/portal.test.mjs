// tests/browser/portal.test.mjs - the journey from the home page to an application form, by
// clicking and typing only (issue 10 items 5 and 11), in Chinese on a 1280 px desktop and in
// Tibetan on a 390 px phone: type the word for marriage into the home page's search box,
// open the hit, land on the service guide, press 在线办理 while logged out, log in as the
// demo citizen and land back on the application form (the `next` round trip); then browse
// /services by life event. axe runs on every page (logged out and logged in), and no page
// scrolls sideways at phone width.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, assertNoAxeViolations } from '../lib/browser.mjs';
import { startServer, run, ROOT, catalog } from '../lib/server.mjs';
import { DEMO_CITIZEN_ID, DEMO_PASSWORD, FAST } from '../lib/client.mjs';

const DEMO = JSON.parse(readFileSync(join(ROOT, 'data', 'catalog', 'demo.json'), 'utf8'));
const MARRIAGE = DEMO.items.find((i) => i.code === 'XZ-MZ-001');
const T = { zh: catalog('zh'), bo: catalog('bo') };

let srv, browser;
before(async () => {
  srv = await startServer({ sqlite: true, args: FAST });
  const r = run(['demo', '--data', srv.data, '--db', srv.db, ...FAST], { timeout: 120000 });
  assert.equal(r.status, 0, r.stderr);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  const r = await srv.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
});

async function check(page, label) {
  await assertNoAxeViolations(page, label);
  const [sw, w] = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
  assert.ok(sw <= w, `${label}: the page scrolls sideways (${sw} > ${w})`);
}

const journeys = [
  // The Tibetan word is the one the catalog carries in the item's bo name.
  { lang: 'zh', locale: 'zh-CN', viewport: { width: 1280, height: 900 }, word: '结婚' },
  { lang: 'bo', locale: 'bo', viewport: { width: 390, height: 844 }, word: 'གཉེན་སྒྲིག', mobile: true },
];

for (const j of journeys) {
  test(`${j.lang} ${j.viewport.width}px: home → search → guide → 在线办理 → login → the form; services by life event`, async () => {
    assert.ok(MARRIAGE.name[j.lang].includes(j.word), `the catalog's ${j.lang} name holds ${j.word}`);
    const t = T[j.lang];
    const ctx = await browser.newContext({ locale: j.locale, viewport: j.viewport, isMobile: !!j.mobile, hasTouch: !!j.mobile });
    const page = await ctx.newPage();
    try {
      await page.goto(`${srv.url}/?lang=${j.lang}`);
      await check(page, `${j.lang} home`);
      const box = page.getByRole('searchbox', { name: t.portal.search_label });
      await box.click();
      await box.pressSequentially(j.word);
      await page.getByRole('search').getByRole('button', { name: t.portal.search_submit }).click();
      await page.waitForURL(/\/search\?q=/);
      await check(page, `${j.lang} search`);
      await page.getByRole('link', { name: MARRIAGE.name[j.lang] }).click();
      await page.waitForURL(`${srv.url}/services/XZ-MZ-001`);
      assert.equal(await page.locator('main h1').innerText(), MARRIAGE.name[j.lang]);
      await check(page, `${j.lang} guide`);

      await page.getByRole('link', { name: t.catalog.apply_online }).first().click();
      await page.waitForURL(/\/login\?next=/);
      assert.equal(new URL(page.url()).searchParams.get('next'), '/services/XZ-MZ-001/apply');
      await check(page, `${j.lang} login`);
      await page.locator('#login').fill(DEMO_CITIZEN_ID);
      await page.locator('#password').fill(DEMO_PASSWORD);
      await page.locator('main').getByRole('button', { name: t.identity.login.submit }).click();
      await page.waitForURL(`${srv.url}/services/XZ-MZ-001/apply`);
      assert.ok(await page.locator('main form').count() > 0, 'the application form');
      await check(page, `${j.lang} application form (logged in)`);

      // Logged in, the home page shows my sections; then browse by life event.
      await page.goto(`${srv.url}/`);
      await page.getByRole('heading', { name: t.portal.my_applications }).waitFor();
      await check(page, `${j.lang} home (logged in)`);
      await page.getByRole('link', { name: t.catalog.events.marriage, exact: true }).click();
      await page.waitForURL(`${srv.url}/services?event=marriage`);
      await page.getByRole('link', { name: MARRIAGE.name[j.lang] }).waitFor();
      await check(page, `${j.lang} services by life event (logged in)`);
      // The keyword filter of /services, by typing.
      await page.getByRole('searchbox', { name: t.catalog.by_text }).fill(j.word);
      await page.getByRole('button', { name: t.catalog.filter }).click();
      await page.waitForURL(/\/services\?q=/);
      await page.getByRole('link', { name: MARRIAGE.name[j.lang] }).waitFor();
      await check(page, `${j.lang} services by keyword (logged in)`);
    } finally {
      await ctx.close();
    }
  });
}
