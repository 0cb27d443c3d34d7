// tests/browser/fonts.test.mjs - Tibetan on any device (issue 11, item 6): a bo page draws its
// Tibetan with the web font it links (the subset of Noto Serif Tibetan generated at build time),
// even in a browser that has no Tibetan font of its own: Chromium runs with a fontconfig that
// sees only DejaVu and WenQuanYi (Debian's fonts-tibetan-machine and fonts-noto-core hidden).
// Latin and digits on a bo page keep the sans of zh and en pages; zh and en pages never
// download the font; form controls and small print on a bo page stay at a legible size.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, renderedFonts, TIBETAN_FONT } from '../lib/browser.mjs';
import { startServer } from '../lib/server.mjs';

let srv, browser, fcdir;
before(async () => {
  srv = await startServer({ sqlite: true });
  fcdir = mkdtempSync(join(tmpdir(), 'ow-fc-'));
  writeFileSync(join(fcdir, 'fonts.conf'), `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>/usr/share/fonts/truetype/dejavu</dir>
  <dir>/usr/share/fonts/truetype/wqy</dir>
  <cachedir>${fcdir}/cache</cachedir>
</fontconfig>
`);
  browser = await launch({ env: { FONTCONFIG_FILE: join(fcdir, 'fonts.conf') } });
});
after(async () => {
  await browser?.close();
  if (fcdir) rmSync(fcdir, { recursive: true, force: true });
  const r = await srv.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
});

// A page in `lang` at `width`, with the font requests it made.
async function open(path, lang, width) {
  const ctx = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await ctx.newPage();
  const fonts = [];
  page.on('request', (r) => { if (r.resourceType() === 'font' || /\.woff2/.test(r.url())) fonts.push(r.url()); });
  await page.goto(`${srv.url}${path}${path.includes('?') ? '&' : '?'}lang=${lang}`, { waitUntil: 'networkidle' });
  await page.evaluate(() => document.fonts.ready);
  return { ctx, page, fonts };
}

test('a bo page draws Tibetan with its web font, with no Tibetan font on the device', async () => {
  // The control: on a zh page the one Tibetan word (the language switcher) finds no font that
  // can draw it, so this browser really has none of its own.
  const zh = await open('/divisions', 'zh', 1280);
  const sw = await renderedFonts(zh.page, '.langs a[hreflang="bo"]');
  assert.ok(!sw.some((f) => TIBETAN_FONT.test(f.familyName)), `no Tibetan font: ${JSON.stringify(sw)}`);
  assert.deepEqual(zh.fonts, [], 'a zh page downloads no font');
  await zh.ctx.close();

  const bo = await open('/divisions', 'bo', 390);
  assert.equal(bo.fonts.length, 1, `one font: ${bo.fonts}`);
  assert.match(bo.fonts[0], /\/static\/fonts\/tibetan\.woff2\?v=[0-9a-f]{16}$/);
  for (const sel of ['h1', 'header .brand', '.main-nav a']) {
    const used = await renderedFonts(bo.page, sel);
    const tibetan = used.filter((f) => f.isCustomFont);
    assert.ok(tibetan.length === 1 && tibetan[0].familyName === 'Noto Serif Tibetan' && tibetan[0].glyphCount > 0,
      `${sel}: drawn with the web font: ${JSON.stringify(used)}`);
    assert.ok(!used.some((f) => !f.isCustomFont && TIBETAN_FONT.test(f.familyName)), `${sel}: ${JSON.stringify(used)}`);
  }
  assert.equal(await bo.page.evaluate(() => document.fonts.check('16px "OW Tibetan"', 'བོད')), true);
  await bo.ctx.close();
});

test('Latin and digits on a bo page use the sans of zh and en pages', async () => {
  const fontsOf = async (lang) => {
    const { ctx, page } = await open('/divisions', lang, 1280);
    // The English switcher link and a division's code: Latin letters and digits.
    const latin = await renderedFonts(page, '.langs a[hreflang="en"]');
    const digits = await renderedFonts(page, '.divisions code');
    await ctx.close();
    return { latin: latin.map((f) => f.familyName), digits: digits.map((f) => f.familyName) };
  };
  const bo = await fontsOf('bo'), zh = await fontsOf('zh');
  assert.deepEqual(bo.latin, zh.latin);
  assert.ok(!bo.latin.includes('Noto Serif Tibetan'));
  assert.deepEqual(bo.digits, zh.digits);
});

test('an en page downloads no font either', async () => {
  const en = await open('/', 'en', 390);
  assert.deepEqual(en.fonts, []);
  await en.ctx.close();
});

test('on a bo phone, selects and small print are drawn large enough for stacked letters', async () => {
  const { ctx, page } = await open('/hotline/submit', 'bo', 390);
  const sizes = await page.evaluate(() => {
    const px = (el, p) => parseFloat(getComputedStyle(el)[p]);
    const sel = document.querySelector('main select');
    const hint = document.querySelector('main .hint');
    return {
      select: px(sel, 'fontSize'), selectHeight: sel.getBoundingClientRect().height,
      hint: px(hint, 'fontSize'), hintLine: px(hint, 'lineHeight') / px(hint, 'fontSize'),
      body: px(document.body, 'fontSize'),
    };
  });
  assert.ok(sizes.body >= 18, `body ${sizes.body}px`);
  assert.ok(sizes.select >= 18, `select ${sizes.select}px`);
  assert.ok(sizes.selectHeight >= 44, `select ${sizes.selectHeight}px high`);
  assert.ok(sizes.hint >= 15, `hint ${sizes.hint}px`);
  assert.ok(sizes.hintLine >= 1.8, `hint line height ${sizes.hintLine}`);
  const used = await renderedFonts(page, 'main select');
  assert.ok(used.some((f) => f.isCustomFont), `the select uses the web font: ${JSON.stringify(used)}`);
  await ctx.close();
});
