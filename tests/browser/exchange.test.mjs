// tests/browser/exchange.test.mjs - the data exchange in a real browser (Debian's Chromium
// through playwright-core), driven by clicks. Set-up over HTTP: a department system reads the
// demo citizen's marriage record for a case (client credentials, a granted resource).
// zh at 1280 px: the citizen opens the marriage form, clicks "fill in my details from the
// registers", sees his name and ID number filled with their source and the household register
// marked as fetched, picks his ID card e-certificate, types his fiancée's details and submits
// with no upload; then follows the menu to "who used my data" and finds the department's read
// and the platform's, by case number. bo at 390 px: the same page and the resource catalog in
// Tibetan, drawn with a Tibetan font, without sideways scrolling. axe finds nothing on any of
// them. Screenshots in $OW_SHOTS or the system's temporary directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, renderedFonts, TIBETAN_FONT, assertNoAxeViolations } from '../lib/browser.mjs';
import { catalog } from '../lib/server.mjs';
import { demoServer } from '../lib/db.mjs';
import { withIdCheck } from '../lib/ids.mjs';

const SHOTS = process.env.OW_SHOTS || join(tmpdir(), 'ow-shots');
const T = { zh: catalog('zh'), bo: catalog('bo') };
const DEMO_PASSWORD = 'Demo-2026-xz';
const DEMO_CITIZEN_ID = '540102199001011233';
const FIANCEE = withIdCheck('54010219920315002');
const CASE = 'CG-2026-BROWSER';

let server, srv, browser;
before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await demoServer('exchange-browser', { sqlite: true, timeout: 60000 });
  srv = server.srv;
  browser = await launch();
  // A department system reads the citizen's marriage record for a case.
  const r = server.cli(['client', 'add', '城关区婚姻登记系统', 'redirect=http://127.0.0.1:9/cb',
    'scopes=openid exchange:read', 'grants=authorization_code client_credentials']);
  assert.equal(r.status, 0, r.stderr);
  const id = /^client_id=(\S+)$/m.exec(r.stdout)[1], secret = /^client_secret=(\S+)$/m.exec(r.stdout)[1];
  const tok = await (await fetch(`${srv.url}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=exchange%3Aread',
  })).json();
  const auth = { authorization: `Bearer ${tok.access_token}` };
  const g = await (await fetch(`${srv.url}/exchange/v1/requests`, { method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ resource: 'marriage', fields: 'name,status', purpose: 'marriage_registration', legal_basis: '《婚姻登记条例》' }) })).json();
  assert.equal(server.cli(['exchange', 'approve', g.id]).status, 0);
  const read = await fetch(`${srv.url}/exchange/v1/marriage?id_number=${DEMO_CITIZEN_ID}&purpose=marriage_registration&case=${CASE}`, { headers: auth });
  assert.equal(read.status, 200);
});
after(async () => {
  await browser?.close();
  const r = await server?.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv?.log()}`);
});

async function loginPage(context, lang) {
  const page = await context.newPage();
  await page.goto(`${srv.url}/login?lang=${lang}`);
  await page.locator('#login').fill(DEMO_CITIZEN_ID);
  await page.locator('#password').fill(DEMO_PASSWORD);
  await page.locator('main button[type="submit"]').click();
  await page.waitForLoadState('load');
  return page;
}

test('zh: the marriage form filled from the registers, filed without an upload; the reads on "who used my data"', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const zh = T.zh;
    const page = await loginPage(ctx, 'zh');
    await page.goto(`${srv.url}/services/XZ-MZ-001/apply`);
    assert.equal(await page.locator('#f_male_name').inputValue(), '', 'nothing read before consent');
    await page.getByRole('link', { name: zh.apply.form.prefill_registers }).click();
    await page.waitForURL(/from=registers/);
    assert.equal(await page.locator('#f_male_name').inputValue(), '扎西多吉');
    assert.equal(await page.locator('#f_male_id').inputValue(), DEMO_CITIZEN_ID);
    assert.match(await page.locator('#f_male_name-source').innerText(), /人口基础信息库/);
    assert.match(await page.locator('#m_household_register-register').innerText(), /人口基础信息库/);
    await assertNoAxeViolations(page, 'zh form filled from registers');
    await page.screenshot({ path: join(SHOTS, 'exchange-zh-form.png'), fullPage: true });
    await page.locator('#f_female_name').fill('卓玛');
    await page.locator('#f_female_id').fill(FIANCEE);
    const day = new Date(Date.now() + 8 * 3600e3 + 10 * 86400e3).toISOString().slice(0, 10);
    await page.locator('#f_appointment_date').fill(day);
    await page.locator('#f_declaration').check();
    await page.locator('#cert_id_card').selectOption({ index: 1 });
    await page.getByRole('button', { name: zh.apply.form.submit, exact: true }).click();
    await page.waitForURL(/\/applications\/\d+/);
    const number = /\/applications\/(\d+)/.exec(page.url())[1];
    // who used my data, from the account menu
    await page.locator(`header a[href="/account/data-use"]`).first().click();
    await page.waitForURL(`${srv.url}/account/data-use`);
    assert.equal(await page.locator('main h1').innerText(), zh.exchange.data_use.title);
    const text = await page.locator('main').innerText();
    assert.ok(text.includes('城关区婚姻登记系统') && text.includes(CASE), 'the department\'s read, by case');
    assert.ok(text.includes(number), 'the household register fetched for his application');
    assert.ok(text.includes(zh.exchange.purposes.form_prefill), 'the pre-fill, by purpose');
    await assertNoAxeViolations(page, 'zh data use');
    await page.screenshot({ path: join(SHOTS, 'exchange-zh-data-use.png'), fullPage: true });
  } finally {
    await ctx.close();
  }
});

test('bo at 390 px: who used my data and the resource catalog in Tibetan', async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  try {
    const bo = T.bo;
    const page = await loginPage(ctx, 'bo');
    await page.goto(`${srv.url}/account/data-use?lang=bo`);
    assert.equal(await page.locator('main h1').innerText(), bo.exchange.data_use.title);
    assert.ok((await page.locator('main').innerText()).includes(CASE));
    for (const f of await renderedFonts(page, 'main h1')) assert.match(f.familyName, TIBETAN_FONT);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no sideways scroll');
    await assertNoAxeViolations(page, 'bo data use');
    await page.screenshot({ path: join(SHOTS, 'exchange-bo-data-use.png'), fullPage: true });
    await page.screenshot({ path: join(SHOTS, 'exchange-bo-data-use-top.png') });
    await page.getByRole('link', { name: bo.exchange.resources.title }).click();
    await page.waitForURL(`${srv.url}/exchange/resources`);
    assert.equal(await page.locator('main h1').innerText(), bo.exchange.resources.title);
    assert.ok((await page.locator('main').innerText()).includes(bo.exchange.sharing.conditional));
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no sideways scroll');
    await assertNoAxeViolations(page, 'bo resource catalog');
    await page.screenshot({ path: join(SHOTS, 'exchange-bo-resources.png'), fullPage: true });
  } finally {
    await ctx.close();
  }
});
