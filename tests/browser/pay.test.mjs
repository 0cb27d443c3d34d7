// tests/browser/pay.test.mjs - paying a fee in a real browser (issue 12), in zh (1280 px)
// and bo (390 px): the citizen applies for a passport through its form, sees the fee and
// its legal basis on the application page, pays in the sandbox bank's checkout, comes back
// to the paid state, downloads the sealed receipt and /verify says it is valid; the Lhasa
// police clerk refunds part of it from the order page; `onewindow pay reconcile` for the
// day reports every transaction matched. No sideways scroll; axe finds nothing on the
// application, checkout and order pages. Screenshots in $OW_SHOTS or the temporary directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshTotp } from '../lib/totp.mjs';
import { launch, assertNoAxeViolations } from '../lib/browser.mjs';
import { catalog } from '../lib/server.mjs';
import { demoServer } from '../lib/db.mjs';

const SHOTS = process.env.OW_SHOTS || join(tmpdir(), 'ow-shots');
const T = { zh: catalog('zh'), bo: catalog('bo') };
const VIEW = { zh: { width: 1280, height: 900 }, bo: { width: 390, height: 844 } };
const DEMO_PASSWORD = 'Demo-2026-xz';
const CITIZEN = '540102199001011233';
const PDF = (name) => ({ name, mimeType: 'application/pdf', buffer: Buffer.from(`%PDF-1.4\n% ${name}\n`) });
const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);

let server, srv, browser;
before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await demoServer('pay-browser', { sqlite: true, timeout: 60000 });
  srv = server.srv;
  browser = await launch();
});
after(async () => {
  await browser?.close();
  const r = await server?.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv?.log()}`);
});

async function look(page, label) {
  await page.waitForLoadState('load');
  const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(sw <= iw, `${label}: the page scrolls sideways (${sw} px in ${iw} px)`);
  await assertNoAxeViolations(page, label);
  await page.screenshot({ path: join(SHOTS, `pay-${label}.png`), fullPage: true });
}
const button = (page, name) => page.getByRole('button', { name, exact: true });

async function loginAs(lang, who, staff) {
  const context = await browser.newContext({ viewport: VIEW[lang], acceptDownloads: true });
  const page = await context.newPage();
  const t = T[lang];
  await page.goto(`${srv.url}/login?lang=${lang}`);
  await page.getByLabel(t.identity.fields.login, { exact: true }).fill(who);
  await page.getByLabel(t.identity.fields.password, { exact: true }).fill(DEMO_PASSWORD);
  await page.locator('main').getByRole('button', { name: t.identity.login.submit }).click();
  if (staff) {
    await page.waitForURL(/\/login\/second-factor/);
    await page.getByLabel(t.identity.fields.code, { exact: true }).fill(await freshTotp(who));
    await page.getByRole('button', { name: t.identity.second_factor.submit }).click();
  }
  await page.waitForURL(`${srv.url}/account`);
  return { context, page };
}

let clerk;
for (const lang of ['zh', 'bo']) {
  test(`${lang}: apply for a passport, pay in the sandbox checkout, the receipt verifies; the clerk refunds part`, async () => {
    const t = T[lang];
    const { context, page } = await loginAs(lang, CITIZEN, false);
    try {
      // Apply through the form (name, ID number and phone are pre-filled from the profile).
      await page.goto(`${srv.url}/services/XZ-GA-001/apply`);
      await page.locator('#_division').selectOption('540100000000');
      await page.locator('#f_delivery').selectOption('window');
      await page.locator('#m_id_card').setInputFiles(PDF('id.pdf'));
      await page.locator('#m_photo').setInputFiles(PDF('photo.pdf'));
      await button(page, t.apply.form.submit).click();
      await page.waitForURL(/\/applications\/\d{20}\/receipt$/);
      const number = (await page.locator('.number').innerText()).trim();
      await page.goto(`${srv.url}/applications/${number}`);
      // The fee, its basis and the Pay button on the application page.
      const box = page.locator('section.payment');
      assert.equal((await box.locator('.amount').innerText()).trim(), '120.00');
      assert.equal((await box.locator('.pay-state').innerText()).trim(), t.pay.states.created);
      await look(page, `${lang}-application`);
      await box.getByRole('button', { name: t.pay.order.pay }).click();
      // The sandbox bank's checkout: confirm.
      await page.waitForURL(/\/pay\/sandbox\/checkout\/\w+$/);
      assert.equal((await page.locator('.amount').innerText()).trim(), '120.00');
      await look(page, `${lang}-checkout`);
      await button(page, t.pay.sandbox.confirm).click();
      await page.waitForURL(/\/pay\/orders\/\d{20}\/return$/);
      // Back: the state is what the bank's signed notification made it.
      assert.equal((await page.locator('.pay-state').innerText()).trim(), t.pay.states.paid);
      await look(page, `${lang}-paid`);
      const code = (await page.locator('.pay-code').innerText()).trim();
      // The receipt: a PDF, and /verify says it is valid.
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator('a.receipt-pdf').click()]);
      const pdf = await download.path();
      assert.ok(pdf);
      await page.locator('a.receipt-verify').click();
      await page.waitForURL(/\/verify\?q=/);
      assert.match(await page.locator('main').innerText(), new RegExp(t.certs.status.valid));

      // The clerk of the Lhasa police refunds 20.00 yuan from the order page.
      clerk ??= await loginAs(lang, 'clerk.ga', true);
      const cp = clerk.page;
      await cp.goto(`${srv.url}/pay/orders/${code}?lang=${lang}`);
      await cp.locator('#refund-amount').fill('20');
      await cp.locator('#refund-reason').fill('取消加急，退还差价');
      await button(cp, t.pay.order.refund_submit).click();
      await cp.waitForURL(/\?done=pay_refunded$/);
      assert.equal((await cp.locator('.pay-state').innerText()).trim(), t.pay.states.partly_refunded);
      assert.equal((await cp.locator('.refunded').innerText()).trim(), '20.00');
      await look(cp, `${lang}-refunded`);
    } finally {
      await context.close();
    }
    // The day's reconciliation: every transaction matched.
    const r = server.cli(['pay', 'reconcile', today()]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.ours_only + out.theirs_only + out.mismatched, 0);
    assert.equal(out.matched, lang === 'zh' ? 1 : 2);
  });
}
