// tests/browser/certs.test.mjs - the e-certificate pages in a real browser, in zh and bo:
// the demo citizen's wallet lists his ID card, its page shows the data, the QR code and the
// PDF link; the public verification page (no login) takes the identifier through its form and
// says valid, and forged with the failed check for a changed check character; Tibetan text is
// drawn with a Tibetan font; axe finds nothing on any of these pages.
// Screenshots: tests/browser/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, renderedFonts, TIBETAN_FONT, assertNoAxeViolations } from '../lib/browser.mjs';
import { ROOT, catalog } from '../lib/server.mjs';
import { demoServer } from '../lib/db.mjs';

const SHOTS = join(ROOT, 'tests', 'browser', 'screenshots');
const T = { zh: catalog('zh'), bo: catalog('bo') };
const DEMO_PASSWORD = 'Demo-2026-xz';
const CITIZEN = '540102199001011233';

let server, srv, browser;
before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await demoServer('certs-browser', { sqlite: true, timeout: 60000 });
  srv = server.srv;
  browser = await launch();
});
after(async () => {
  await browser?.close();
  const r = await server?.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv?.log()}`);
});

for (const lang of ['zh', 'bo']) {
  test(`${lang}: wallet, certificate page and public verification`, async () => {
    const t = T[lang];
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(`${srv.url}/login?lang=${lang}`);
      await page.getByLabel(t.identity.fields.login, { exact: true }).fill(CITIZEN);
      await page.getByLabel(t.identity.fields.password, { exact: true }).fill(DEMO_PASSWORD);
      await page.locator('main').getByRole('button', { name: t.identity.login.submit }).click();
      await page.waitForURL(`${srv.url}/account`);

      // The wallet, reached from the navigation.
      await page.getByRole('link', { name: t.certs.nav, exact: true }).click();
      await page.waitForURL(`${srv.url}/certificates`);
      assert.equal(await page.locator('h1').innerText(), t.certs.wallet.title);
      if (lang === 'bo') {
        const fonts = await renderedFonts(page, 'main h1');
        for (const f of fonts) assert.match(f.familyName, TIBETAN_FONT, JSON.stringify(fonts));
      }
      await assertNoAxeViolations(page, `${lang} wallet`);
      const idName = lang === 'zh' ? '居民身份证' : 'མི་སེར་ཐོབ་ཐང་ལག་ཁྱེར།';
      await page.getByRole('link', { name: idName }).click();
      await page.waitForURL(/\/certificates\/1\.2\.156\.3005\.2\./);
      const identifier = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
      assert.match(await page.locator('main').innerText(), /5401\*{10}1233/);
      assert.equal(await page.locator('figure.qr img').getAttribute('alt'), t.certs.show.qr_alt);
      await page.screenshot({ path: join(SHOTS, `certs-${lang}-certificate.png`), fullPage: true });
      await assertNoAxeViolations(page, `${lang} certificate`);
      const pdf = await page.request.get(`${srv.url}/certificates/${identifier}/pdf`);
      assert.equal(pdf.status(), 200);
      assert.equal(pdf.headers()['content-type'], 'application/pdf');

      // Anyone verifies it, without logging in.
      const anon = await browser.newContext();
      const p2 = await anon.newPage();
      await p2.goto(`${srv.url}/verify?lang=${lang}`);
      await assertNoAxeViolations(p2, `${lang} verify form`);
      await p2.getByLabel(t.certs.verify.label).fill(identifier);
      await p2.getByRole('button', { name: t.certs.verify.submit }).click();
      await p2.waitForURL(/\/verify\?q=/);
      assert.match(await p2.locator('#result-h').innerText(), new RegExp(t.certs.status.valid));
      await p2.screenshot({ path: join(SHOTS, `certs-${lang}-verify.png`), fullPage: true });
      await assertNoAxeViolations(p2, `${lang} verify result`);
      const forged = identifier.slice(0, -1) + (identifier.endsWith('A') ? 'B' : 'A');
      await p2.getByLabel(t.certs.verify.label).fill(forged);
      await p2.getByRole('button', { name: t.certs.verify.submit }).click();
      await p2.waitForURL(/\/verify\?q=/);
      assert.match(await p2.locator('#result-h').innerText(), new RegExp(t.certs.status.forged));
      assert.match(await p2.locator('main').innerText(), new RegExp(t.certs.checks.identifier));
      await assertNoAxeViolations(p2, `${lang} forged result`);
      await anon.close();
    } finally {
      await context.close();
    }
  });
}
