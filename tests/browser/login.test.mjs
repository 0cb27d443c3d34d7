// tests/browser/login.test.mjs - the identity pages in a real browser (Debian's Chromium
// driven by playwright-core): a citizen registers through the Tibetan form, first sending
// it with mistakes and getting every error at once (一次性告知), then lands on the account
// page with the masked ID number and logs out from the header; a clerk logs in with a
// TOTP code; axe finds no violations on the register, login and account pages in zh and
// bo; Tibetan is drawn with a Tibetan font. Screenshots go to tests/browser/screenshots/.
//
// The server runs on its own SQLite database with the demo data (init and demo run here,
// all with --insecure-fast-passwords 1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { totpNow } from '../lib/totp.mjs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, renderedFonts, TIBETAN_FONT, assertNoAxeViolations as axeCheck } from '../lib/browser.mjs';
import { ROOT, catalog } from '../lib/server.mjs';
import { demoServer } from '../lib/db.mjs';
import { withIdCheck, maskId } from '../lib/ids.mjs';

const SHOTS = join(ROOT, 'tests', 'browser', 'screenshots');
const T = { zh: catalog('zh'), bo: catalog('bo') };
const DEMO_PASSWORD = 'Demo-2026-xz';
const DEMO_TOTP = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

// Two new citizens (one per journey), unique per run.
const person = (n) => {
  const first17 = `54010219920${n}${String(10 + (process.pid % 18)).padStart(2, '0')}${String(process.pid % 1000).padStart(3, '0')}`;
  return { id: withIdCheck(first17), phone: `137${n}000${String(process.pid % 10000).padStart(4, '0')}` };
};


let server, srv, browser;
before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await demoServer('login', { sqlite: true, timeout: 60000 });
  srv = server.srv;
  browser = await launch();
});
after(async () => {
  await browser?.close();
  const r = await server?.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv?.log()}`);
});

const htmlLang = (page) => page.locator('html').getAttribute('lang');


const assertNoAxeViolations = (page, label) => axeCheck(page, label, { ran: true });

async function newPage(opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...opts });
  return { context, page: await context.newPage() };
}

// Registration as a newcomer does it, by clicks from the home page: in Tibetan on a
// 390 px phone and in Chinese on a desktop.
const JOURNEYS = [
  { lang: 'bo', viewport: { width: 390, height: 844 }, name: 'བསོད་ནམས་རྡོ་རྗེ།', who: person(3) },
  { lang: 'zh', viewport: { width: 1280, height: 900 }, name: '次仁卓玛', who: person(4) },
];
for (const { lang, viewport, name: NAME, who } of JOURNEYS) {
test(`${lang} at ${viewport.width} px: register with mistakes → every error at once → fixed → account with the masked ID → menu → log out`, async () => {
  const { context, page } = await newPage({ viewport });
  const bo = T[lang];
  const ID = who.id, PHONE = who.phone, MASKED_ID = maskId(ID);
  const noSideways = async (what) => {
    const { sw, iw } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, iw: window.innerWidth }));
    assert.ok(sw <= iw, `${what} scrolls sideways: ${sw} > ${iw}`);
  };
  try {
    await page.goto(`${srv.url}/`);
    // The browser asks for English (playwright's default locale): the person picks theirs.
    await page.locator('nav.langs').getByRole('link', { name: lang === 'zh' ? '中文' : 'བོད་ཡིག' }).click();
    await page.locator('header').getByRole('link', { name: bo.nav.register, exact: true }).click();
    await page.waitForURL(/\/register/);
    assert.equal(await htmlLang(page), lang === 'zh' ? 'zh-CN' : 'bo');
    assert.equal(await page.locator('main h1').innerText(), bo.identity.register.title);
    await noSideways('the register page');
    if (lang === 'bo') {
      const fonts = await renderedFonts(page, 'main h1');
      assert.ok(fonts.length > 0);
      for (const f of fonts) assert.match(f.familyName, TIBETAN_FONT, `the heading is drawn with ${JSON.stringify(fonts)}`);
    }

    // Labels are tied to their inputs: fill by accessible name.
    const field = (key) => page.getByLabel(bo.identity.fields[key], { exact: true });
    await field('name').fill(NAME);
    await field('id_number').fill(ID.slice(0, 17) + (ID[17] === '1' ? '2' : '1'));
    await field('phone').fill('12345');
    await field('password').fill('short');
    await field('password_again').fill('shorter');
    await page.getByRole('button', { name: bo.identity.register.submit }).click();
    await page.waitForLoadState('load');

    // One notice with every mistake, in Tibetan, each linking to its field.
    const summary = page.locator('.error-summary[role="alert"]');
    await summary.waitFor();
    assert.equal(await summary.locator('h2').innerText(), bo.identity.errors_title);
    const items = await summary.locator('li a').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.textContent]));
    assert.deepEqual(items, [
      ['#id_number', bo.errors.identity.id_check],
      ['#phone', bo.errors.identity.phone_invalid],
      ['#password', bo.errors.identity.password_short],
      ['#password_again', bo.errors.identity.password_mismatch],
    ]);
    assert.equal(await page.locator('.field.has-error').count(), 4);
    // What was typed is kept, except the passwords.
    assert.equal(await field('name').inputValue(), NAME);
    assert.equal(await field('phone').inputValue(), '12345');
    assert.equal(await field('password').inputValue(), '');
    assert.equal(await field('password_again').inputValue(), '');
    // The summary's links move to the field.
    await summary.locator('a[href="#phone"]').click();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'phone');
    await page.screenshot({ path: join(SHOTS, `register-${lang}-errors.png`), fullPage: true });
    await assertNoAxeViolations(page, `${lang} register with errors`);
    await noSideways('the register page with errors');

    await field('id_number').fill(ID);
    await field('phone').fill(PHONE);
    await field('password').fill('a good long password');
    await field('password_again').fill('a good long password');
    await page.getByRole('button', { name: bo.identity.register.submit }).click();
    await page.waitForURL(`${srv.url}/account`);
    assert.equal(await htmlLang(page), lang === 'zh' ? 'zh-CN' : 'bo');
    assert.equal(await page.locator('main h1').innerText(), bo.identity.account.title);
    const facts = await page.locator('dl.facts').innerText();
    assert.ok(facts.includes(MASKED_ID), facts);
    assert.ok(facts.includes(`${PHONE.slice(0, 3)}****${PHONE.slice(7)}`), facts);
    const html = await page.content();
    assert.ok(!html.includes(ID) && !html.includes(PHONE), 'never the full ID number or phone');
    assert.equal(await page.locator('header .me-name').innerText(), NAME);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'ow_session');
    assert.ok(session && session.httpOnly && session.sameSite === 'Lax', JSON.stringify(session));
    await page.screenshot({ path: join(SHOTS, `registered-${lang}.png`), fullPage: true });
    await assertNoAxeViolations(page, `${lang} account`);
    await noSideways('the account page');

    // The account menu is there and usable (it once sat white on white below the nav):
    // each of its links is visible, and My applications opens.
    const menu = page.locator('header nav.me');
    for (const label of [bo.menu.applications, bo.menu.certificates, bo.nav.messages, bo.nav.account]) {
      const link = menu.getByRole('link', { name: label, exact: true });
      assert.ok(await link.isVisible(), `menu link ${label}`);
      const colors = await link.evaluate((a) => {
        const cs = getComputedStyle(a);
        let el = a, bg = 'rgba(0, 0, 0, 0)';
        while (el && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) { bg = getComputedStyle(el).backgroundColor; el = el.parentElement; }
        return { fg: cs.color, bg };
      });
      assert.notEqual(colors.fg, colors.bg, `menu link ${label} is drawn in its background's colour`);
    }
    await menu.getByRole('link', { name: bo.menu.applications, exact: true }).click();
    await page.waitForURL(`${srv.url}/applications`);

    await page.locator('header').getByRole('button', { name: bo.nav.logout, exact: true }).click();
    await page.waitForURL(`${srv.url}/`);
    assert.equal(await page.locator('header .me-name').count(), 0);
    assert.ok(await page.getByRole('link', { name: bo.nav.login, exact: true }).isVisible());
    assert.equal((await context.cookies()).find((c) => c.name === 'ow_session'), undefined);
    const back = await page.goto(`${srv.url}/account`);
    assert.equal(new URL(back.url()).pathname, '/login', 'logged out: the account page sends to the login');
  } finally {
    await context.close();
  }
});
}

test('zh: a clerk logs in with password and TOTP', async () => {
  const { context, page } = await newPage({ locale: 'zh-CN' });
  const zh = T.zh;
  try {
    await page.goto(`${srv.url}/login`);
    assert.equal(await htmlLang(page), 'zh-CN');
    await page.getByLabel(zh.identity.fields.login, { exact: true }).fill('clerk.lhasa');
    await page.getByLabel(zh.identity.fields.password, { exact: true }).fill(DEMO_PASSWORD);
    await page.locator('main').getByRole('button', { name: zh.identity.login.submit }).click();
    await page.waitForURL(`${srv.url}/login/second-factor?next=%2Faccount`);
    assert.equal(await page.locator('main h1').innerText(), zh.identity.second_factor.title);
    // Not logged in yet: the header still offers the login.
    assert.equal(await page.locator('header .me-name').count(), 0);
    await assertNoAxeViolations(page, 'zh second factor');

    await page.getByLabel(zh.identity.fields.code, { exact: true }).fill('000000' === totpNow(DEMO_TOTP) ? '111111' : '000000');
    await page.getByRole('button', { name: zh.identity.second_factor.submit }).click();
    await page.locator('.error-summary').waitFor();
    assert.equal(await page.locator('.error-summary').innerText(), zh.errors.identity.code_wrong);

    await page.getByLabel(zh.identity.fields.code, { exact: true }).fill(totpNow(DEMO_TOTP));
    await page.getByRole('button', { name: zh.identity.second_factor.submit }).click();
    await page.waitForURL(`${srv.url}/account`);
    assert.equal(await page.locator('header .me-name').innerText(), '王芳');
    assert.ok((await page.locator('dl.facts').innerText()).includes('clerk.lhasa'));
    // The menu is the clerk's: the workbench is there and visible, administration is not
    // (it answered 403 to clerks when every staff member saw it).
    assert.ok(await page.locator('header').getByRole('link', { name: zh.menu.workbench }).isVisible(), 'the clerk sees the workbench link');
    assert.equal(await page.locator('header').getByRole('link', { name: zh.menu.admin }).count(), 0);
    await page.screenshot({ path: join(SHOTS, 'account-staff-zh.png'), fullPage: true });
  } finally {
    await context.close();
  }
});

test('axe: register, login and account pages have no violations in zh and bo', async () => {
  for (const lang of ['zh', 'bo']) {
    const { context, page } = await newPage();
    try {
      for (const path of ['/register', '/login']) {
        await page.goto(`${srv.url}${path}?lang=${lang}`);
        assert.equal(await htmlLang(page), lang === 'zh' ? 'zh-CN' : 'bo');
        await assertNoAxeViolations(page, `${lang} ${path}`);
        await page.screenshot({ path: join(SHOTS, `${path.slice(1)}-${lang}.png`), fullPage: true });
      }
      // A failed login: the error is announced and the page still passes.
      await page.getByLabel(T[lang].identity.fields.login, { exact: true }).fill('540102199001011233');
      await page.getByLabel(T[lang].identity.fields.password, { exact: true }).fill('wrong password');
      await page.locator('main').getByRole('button', { name: T[lang].identity.login.submit }).click();
      await page.locator('.error-summary[role="alert"]').waitFor();
      assert.equal(await page.locator('.error-summary').innerText(), T[lang].errors.identity.login_failed);
      await assertNoAxeViolations(page, `${lang} login failed`);

      await page.getByLabel(T[lang].identity.fields.login, { exact: true }).fill('540102199001011233');
      await page.getByLabel(T[lang].identity.fields.password, { exact: true }).fill(DEMO_PASSWORD);
      await page.locator('main').getByRole('button', { name: T[lang].identity.login.submit }).click();
      await page.waitForURL(`${srv.url}/account`);
      assert.equal(await page.locator('main h1').innerText(), T[lang].identity.account.title);
      assert.ok((await page.locator('dl.facts').innerText()).includes('5401**********1233'));
      await assertNoAxeViolations(page, `${lang} account`);
      await page.screenshot({ path: join(SHOTS, `account-${lang}.png`), fullPage: true });
      if (lang === 'bo') {
        const fonts = await renderedFonts(page, 'dl.facts dt');
        for (const f of fonts) assert.match(f.familyName, TIBETAN_FONT, JSON.stringify(fonts));
      }
      // The authenticator set-up page reached from the account page.
      await page.getByRole('link', { name: T[lang].identity.account.totp_set_up }).click();
      await page.waitForURL(`${srv.url}/account/totp`);
      assert.equal(await page.locator('main h1').innerText(), T[lang].identity.totp.title);
      await assertNoAxeViolations(page, `${lang} TOTP set-up`);
      await page.screenshot({ path: join(SHOTS, `totp-${lang}.png`), fullPage: true });
    } finally {
      await context.close();
    }
  }
});
