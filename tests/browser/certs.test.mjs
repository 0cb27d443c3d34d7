// tests/browser/certs.test.mjs - the e-certificate journey in a real browser, by clicks and
// typing only (issue 10): in zh on a 1280 px desktop and in bo on a 390 px phone, the demo
// citizen logs in from the header, opens My certificates from the account menu, opens his
// ID card, downloads the PDF (a PDF whose text, read by pdftotext, has his full ID number),
// opens the QR code's content; then a visitor who is not logged in opens the verification
// page from the navigation, pastes the identifier and then the QR content, and is told
// "valid" in the page's language. On every page: axe (color-contrast on) finds nothing, the
// page does not scroll sideways (at 390 and 360 px on the phone), Tibetan is drawn with a
// Tibetan font. A forged identifier is refused with the failed check named.
// Screenshots go to the system's temporary directory (onewindow-shots/).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, renderedFonts, TIBETAN_FONT, assertNoAxeViolations } from '../lib/browser.mjs';
import { ROOT, catalog } from '../lib/server.mjs';
import { demoServer } from '../lib/db.mjs';

const SHOTS = join(tmpdir(), 'onewindow-shots');
const T = { zh: catalog('zh'), bo: catalog('bo') };
const DEMO_PASSWORD = 'Demo-2026-xz';
const CITIZEN = '540102199001011233';
const TYPES = JSON.parse(readFileSync(join(ROOT, 'data', 'certs', 'types.json'), 'utf8')).types;
const ID_CARD = TYPES.find((t) => t.code === 'ID_CARD').name;

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

const JOURNEYS = [
  { lang: 'zh', langName: '中文', viewport: { width: 1280, height: 900 }, phone: false },
  { lang: 'bo', langName: 'བོད་ཡིག', viewport: { width: 390, height: 844 }, phone: true },
];

// What a person must be able to do on every page of the journey: read it without scrolling
// sideways (and on a phone, at 360 px too), and meet no accessibility violation.
async function check(page, j, label) {
  const widths = j.phone ? [j.viewport.width, 360] : [j.viewport.width];
  for (const w of widths) {
    await page.setViewportSize({ width: w, height: j.viewport.height });
    const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
    assert.ok(sw <= iw, `${j.lang} ${label} at ${w} px scrolls sideways: ${sw} > ${iw}`);
  }
  await page.setViewportSize(j.viewport);
  if (j.lang === 'bo') {
    const fonts = await renderedFonts(page, 'main h1');
    for (const f of fonts) assert.match(f.familyName, TIBETAN_FONT, `${label}: ${JSON.stringify(fonts)}`);
  }
  await page.screenshot({ path: join(SHOTS, `certs-${j.lang}-${j.viewport.width}-${label}.png`), fullPage: true });
  await assertNoAxeViolations(page, `${j.lang} ${label}`);
}

for (const j of JOURNEYS) {
  test(`${j.lang} at ${j.viewport.width} px: My certificates, the PDF, the QR content, and a visitor verifies`, async () => {
    const t = T[j.lang];
    const context = await browser.newContext({ viewport: j.viewport, acceptDownloads: true });
    const page = await context.newPage();
    let identifier, qr;
    try {
      // The browser asks for English (Accept-Language); the person picks a language.
      await page.goto(`${srv.url}/`);
      await page.locator('nav.langs').getByRole('link', { name: j.langName, exact: true }).click();
      await page.waitForURL(new RegExp(`lang=${j.lang}`));
      await page.locator('nav.me').getByRole('link', { name: t.nav.login, exact: true }).click();
      await page.waitForURL(/\/login/);
      await page.getByLabel(t.identity.fields.login, { exact: true }).fill(CITIZEN);
      await page.getByLabel(t.identity.fields.password, { exact: true }).fill(DEMO_PASSWORD);
      await page.locator('main').getByRole('button', { name: t.identity.login.submit }).click();
      await page.waitForURL((u) => !u.pathname.startsWith('/login'));

      // My certificates, from the account menu in the header.
      await page.locator('nav.me').getByRole('link', { name: t.menu.certificates, exact: true }).click();
      await page.waitForURL(`${srv.url}/certificates`);
      assert.equal(await page.locator('h1').innerText(), t.certs.wallet.title);
      await check(page, j, 'wallet');

      // His ID card.
      await page.locator('main').getByRole('link', { name: ID_CARD[j.lang], exact: true }).click();
      await page.waitForURL(/\/certificates\/1\.2\.156\.3005\.2\./);
      identifier = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
      const main = await page.locator('main').innerText();
      assert.match(main, /5401\*{10}1233/, 'the page masks the ID number');
      assert.ok(!main.includes(CITIZEN), 'the page masks the ID number');
      assert.ok(main.includes(identifier), 'the identifier is on the page');
      assert.equal(await page.locator('figure.qr img').getAttribute('alt'), t.certs.show.qr_alt);

      // The PDF: his own document, with his ID number in full.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: t.certs.show.pdf, exact: true }).click(),
      ]);
      const file = join(SHOTS, `certs-${j.lang}.pdf`);
      await download.saveAs(file);
      assert.equal(readFileSync(file).subarray(0, 5).toString(), '%PDF-');
      const text = spawnSync('pdftotext', [file, '-'], { encoding: 'utf8' });
      assert.equal(text.status, 0, `pdftotext (poppler-utils): ${text.stderr}`);
      assert.ok(text.stdout.includes(CITIZEN), 'the PDF shows the full ID number');
      assert.ok(text.stdout.includes(ID_CARD.zh) && text.stdout.includes(ID_CARD.bo), 'in Chinese and Tibetan');

      // The QR code's content, to hand to someone who checks it.
      await page.getByText(t.certs.show.qr_text, { exact: true }).click();
      const payload = page.locator('#qr-payload');
      assert.ok(await payload.isVisible(), 'the QR content shows when asked for');
      qr = (await payload.innerText()).trim();
      assert.match(qr, /^[A-Za-z0-9_-]{200,}$/);
      await check(page, j, 'certificate');
    } finally {
      await context.close();
    }

    // Anyone verifies it, without logging in: the identifier, then the QR content.
    const anon = await browser.newContext({ viewport: j.viewport });
    const p2 = await anon.newPage();
    try {
      await p2.goto(`${srv.url}/?lang=${j.lang}`);
      await p2.locator('nav.main-nav').getByRole('link', { name: t.certs.nav_verify, exact: true }).click();
      await p2.waitForURL(/\/verify/);
      await check(p2, j, 'verify-form');
      for (const [what, q] of [['identifier', identifier], ['qr', qr]]) {
        await p2.getByLabel(t.certs.verify.label).fill(q);
        await p2.getByRole('button', { name: t.certs.verify.submit }).click();
        await p2.waitForURL(/\/verify\?q=/);
        assert.match(await p2.locator('#result-h').innerText(), new RegExp(t.certs.status.valid), what);
        assert.match(await p2.locator('main').innerText(), new RegExp(t.certs.explain.valid), what);
        await check(p2, j, `verify-${what}`);
      }
      const forged = identifier.slice(0, -1) + (identifier.endsWith('A') ? 'B' : 'A');
      await p2.getByLabel(t.certs.verify.label).fill(forged);
      await p2.getByRole('button', { name: t.certs.verify.submit }).click();
      await p2.waitForURL(/\/verify\?q=/);
      assert.match(await p2.locator('#result-h').innerText(), new RegExp(t.certs.status.forged));
      assert.match(await p2.locator('main').innerText(), new RegExp(t.certs.checks.identifier));
      await check(p2, j, 'verify-forged');
    } finally {
      await anon.close();
    }
  });
}
