// tests/browser/divisions.test.mjs - the divisions pages in a real browser (Debian's
// Chromium driven by playwright-core): navigation by links, breadcrumbs, the language
// switcher, Tibetan text rendered with a Tibetan font, axe accessibility checks, and the
// same journey with JavaScript disabled. Screenshots go to tests/browser/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, renderedFonts, TIBETAN_FONT, assertNoAxeViolations as axeCheck } from '../lib/browser.mjs';
import { startServer, ROOT } from '../lib/server.mjs';

const SHOTS = join(ROOT, 'tests', 'browser', 'screenshots');
const REGION_BO = 'བོད་རང་སྐྱོང་ལྗོངས།';
const LHASA_BO = 'ལྷ་ས་གྲོང་ཁྱེར།';

let srv, browser;
before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  srv = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  const r = await srv.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
});

const crumbs = (page) => page.locator('nav.crumbs li').allInnerTexts();
const htmlLang = (page) => page.locator('html').getAttribute('lang');


// Rendered widths of `text` and of as many U+FFFD and U+25A1 (what a missing glyph looks
// like) in the style of the element `selector`.
function widths(page, selector, text) {
  return page.evaluate(([sel, s]) => {
    const host = document.querySelector(sel);
    const measure = (t) => {
      const span = document.createElement('span');
      span.textContent = t;
      span.style.whiteSpace = 'nowrap';
      host.parentElement.appendChild(span);
      const w = span.getBoundingClientRect().width;
      span.remove();
      return w;
    };
    const n = [...s].length;
    return { text: measure(s), fffd: measure('\uFFFD'.repeat(n)), box: measure('\u25A1'.repeat(n)), element: host.getBoundingClientRect().width };
  }, [selector, text]);
}

const assertNoAxeViolations = (page, label) => axeCheck(page, label, { ran: true });

test('zh: index → prefecture → county by links, breadcrumbs, then bo and back via the switcher', async () => {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  try {
    const res = await page.goto(`${srv.url}/divisions`);
    assert.equal(res.status(), 200);
    assert.equal(await htmlLang(page), 'zh-CN', 'Accept-Language zh-CN negotiates zh');
    assert.equal(await page.locator('h1 span').innerText(), '西藏自治区');
    assert.deepEqual(await crumbs(page), ['西藏自治区']);
    assert.equal(await page.locator('ul.divisions > li').count(), 7);

    await page.getByRole('link', { name: /拉萨市/ }).click();
    await page.waitForURL(`${srv.url}/divisions/540100000000`);
    assert.equal(await page.locator('h1 span').innerText(), '拉萨市');
    assert.deepEqual(await crumbs(page), ['西藏自治区', '拉萨市']);
    assert.equal(await page.locator('nav.crumbs [aria-current="page"]').innerText(), '拉萨市');

    await page.getByRole('link', { name: /城关区/ }).click();
    await page.waitForURL(`${srv.url}/divisions/540102000000`);
    assert.deepEqual(await crumbs(page), ['西藏自治区', '拉萨市', '城关区']);
    assert.equal(await page.locator('nav.crumbs [aria-current="page"]').innerText(), '城关区');
    // The crumbs are links back up.
    assert.equal(await page.locator('nav.crumbs a').nth(1).getAttribute('href'), '/divisions/540100000000');

    // The switcher: the current language is marked; switch to Tibetan.
    assert.equal(await page.locator('nav.langs a[aria-current="true"]').innerText(), '中文');
    await page.locator('nav.langs a[hreflang="bo"]').click();
    await page.waitForURL(`${srv.url}/divisions/540102000000?lang=bo`);
    assert.equal(await htmlLang(page), 'bo');
    assert.equal(await page.locator('nav.langs a[aria-current="true"]').innerText(), 'བོད་ཡིག');
    // Names in Tibetan, the county's too; its townships have none, so they stay Chinese,
    // marked zh.
    assert.deepEqual(await crumbs(page), [REGION_BO, LHASA_BO, 'ཁྲིན་ཀོན་ཆུས།']);
    assert.equal(await page.locator('nav.crumbs [aria-current="page"]').getAttribute('lang'), 'bo');
    assert.equal(await page.locator('ul.divisions a', { hasText: '八廓街道' }).locator('span').getAttribute('lang'), 'zh');
    const cookies = await context.cookies();
    assert.equal(cookies.find((c) => c.name === 'lang')?.value, 'bo');

    // The cookie keeps the choice on a plain link.
    await page.locator('nav.crumbs a').first().click();
    await page.waitForURL(`${srv.url}/divisions/540000000000`);
    assert.equal(await htmlLang(page), 'bo');
    assert.equal(await page.locator('h1 span').innerText(), REGION_BO);

    await page.locator('nav.langs a[hreflang="zh-CN"]').click();
    await page.waitForURL(`${srv.url}/divisions/540000000000?lang=zh`);
    assert.equal(await htmlLang(page), 'zh-CN');
    assert.equal(await page.locator('h1 span').innerText(), '西藏自治区');
    assert.equal((await context.cookies()).find((c) => c.name === 'lang')?.value, 'zh');
  } finally {
    await context.close();
  }
});

test('bo: Tibetan text is visible and rendered with a Tibetan font, not boxes', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  try {
    await page.goto(`${srv.url}/divisions?lang=bo`);
    assert.equal(await htmlLang(page), 'bo');
    const h1 = page.locator('h1 span[lang="bo"]');
    assert.equal(await h1.innerText(), REGION_BO);
    assert.ok(await h1.isVisible());

    // Chromium reports which fonts drew the glyphs: all of them from a Tibetan font.
    const fonts = await renderedFonts(page, 'h1 span[lang="bo"]');
    assert.ok(fonts.length > 0, 'some font drew the heading');
    for (const f of fonts) assert.match(f.familyName, TIBETAN_FONT, `heading drawn with ${JSON.stringify(fonts)}`);
    assert.ok(fonts.reduce((n, f) => n + f.glyphCount, 0) > 0);
    const linkFonts = await renderedFonts(page, 'ul.divisions a span[lang="bo"]');
    for (const f of linkFonts) assert.match(f.familyName, TIBETAN_FONT, `link drawn with ${JSON.stringify(linkFonts)}`);

    // And the rendering is not the width of replacement or box glyphs.
    const w = await widths(page, 'h1 span[lang="bo"]', REGION_BO);
    assert.ok(w.element > 0 && w.text > 0, JSON.stringify(w));
    assert.ok(Math.abs(w.text - w.fffd) > 1, `Tibetan as wide as U+FFFD boxes: ${JSON.stringify(w)}`);
    assert.ok(Math.abs(w.text - w.box) > 1, `Tibetan as wide as □ boxes: ${JSON.stringify(w)}`);

    await assertNoAxeViolations(page, 'bo');
    await page.screenshot({ path: join(SHOTS, 'divisions-bo.png'), fullPage: true });
  } finally {
    await context.close();
  }
});

test('zh: the index passes axe; Tibetan names inside the Chinese page use a Tibetan font', async () => {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  try {
    await page.goto(`${srv.url}/divisions`);
    assert.equal(await htmlLang(page), 'zh-CN');
    const bo = page.locator('dl.facts span[lang="bo"]');
    assert.equal(await bo.innerText(), REGION_BO);
    const fonts = await renderedFonts(page, 'dl.facts span[lang="bo"]');
    for (const f of fonts) assert.match(f.familyName, TIBETAN_FONT, JSON.stringify(fonts));
    await assertNoAxeViolations(page, 'zh');
    await page.screenshot({ path: join(SHOTS, 'divisions-zh.png'), fullPage: true });
    // A deeper page too: the county, with its township list.
    await page.goto(`${srv.url}/divisions/540102000000`);
    await assertNoAxeViolations(page, 'zh county');
  } finally {
    await context.close();
  }
});

test('Tibetan pages keep a steady text size (no compounding of the :lang(bo) enlargement)', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  try {
    const size = (sel) => page.locator(sel).first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    await page.goto(`${srv.url}/divisions?lang=en`);
    const en = await size('ul.divisions a span');
    await page.goto(`${srv.url}/divisions?lang=bo`);
    const bo = await size('ul.divisions a span');
    // One enlargement for Tibetan is the design (1.15em); more is compounding.
    assert.ok(bo <= en * 1.15 + 0.5, `a division name is ${bo}px in bo, ${en}px in en`);
  } finally {
    await context.close();
  }
});

test('with JavaScript disabled the pages still work by links alone', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'zh-CN' });
  const page = await context.newPage();
  try {
    await page.goto(`${srv.url}/divisions`);
    await page.getByRole('link', { name: /日喀则市/ }).click();
    await page.waitForURL(`${srv.url}/divisions/540200000000`);
    assert.deepEqual(await crumbs(page), ['西藏自治区', '日喀则市']);
    await page.locator('nav.langs a[hreflang="en"]').click();
    await page.waitForURL(`${srv.url}/divisions/540200000000?lang=en`);
    assert.equal(await htmlLang(page), 'en');
    assert.deepEqual(await crumbs(page), ['Xizang Autonomous Region', 'Shigatse']);
    await page.locator('ul.divisions a').first().click();
    await page.waitForURL(/\/divisions\/5402\d{8}$/);
    assert.equal((await crumbs(page)).length, 3);
    // The page's own scripts would not run: there are none to need.
    assert.equal(await page.locator('script').count(), 0);
  } finally {
    await context.close();
  }
});
