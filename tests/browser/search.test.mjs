// tests/browser/search.test.mjs - the search page in a real browser: a person types a
// two-character Chinese word in the search box and submits (a plain GET form: it works with
// JavaScript disabled too), sees the hits with the matched words marked and document text
// escaped, searches a Tibetan syllable and gets a hit drawn with a Tibetan font, pages on,
// and axe finds nothing on the pages. Documents are loaded with `onewindow search
// index-file`. Screenshots go to tests/browser/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, renderedFonts, TIBETAN_FONT, assertNoAxeViolations } from '../lib/browser.mjs';
import { startServer, run, ROOT } from '../lib/server.mjs';

const SHOTS = join(ROOT, 'tests', 'browser', 'screenshots');
let srv, browser;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  srv = await startServer();
  const docs = [
    { kind: 'kb', id: 1, lang: 'zh', title: '户口登记<b>须知</b>', body: '新生儿出生后一个月内办理户口登记，需要出生医学证明。' },
    { kind: 'kb', id: 2, lang: 'bo', title: 'ཁྱིམ་ཚང་ཐོ་འགོད།', body: 'བོད་ལྗོངས་ཀྱི་གཞུང་ཞབས་ཞུ། ཁྱིམ་ཚང་ཐོ་འགོད་བྱེད་དགོས་ན་ལག་ཁྱེར་ཁྱེར་ནས་ཡོང་དགོས།' },
  ];
  for (let i = 0; i < 14; i++) docs.push({ kind: 'kb', id: 10 + i, lang: 'zh', title: `户口迁移问答 ${i}`, body: '网上办理。' });
  const file = join(srv.data, 'docs.jsonl');
  writeFileSync(file, docs.map((d) => JSON.stringify({ visibility: 0, ...d })).join('\n') + '\n');
  const r = run(['search', 'index-file', file, '--data', srv.data, '--db', srv.db]);
  assert.equal(r.status, 0, r.stderr);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  const r = await srv.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
});

for (const js of [true, false]) {
  test(`search from the nav, a 2-character word, a Tibetan syllable, paging (JavaScript ${js ? 'on' : 'off'})`, async () => {
    const context = await browser.newContext({ locale: 'zh-CN', javaScriptEnabled: js });
    const page = await context.newPage();
    try {
      await page.goto(`${srv.url}/`);
      await page.getByRole('navigation', { name: '主导航' }).getByRole('link', { name: '搜索' }).click();
      await page.waitForURL(`${srv.url}/search`);
      await page.getByLabel('搜索内容').fill('户口');
      await page.getByRole('button', { name: '搜索' }).click();
      await page.waitForURL(/\/search\?q=/);
      assert.equal(await page.getByRole('status').innerText(), '找到结果: 15');
      const first = page.locator('ol.search-hits > li').first();
      assert.equal(await first.locator('h2').innerText(), '户口登记<b>须知</b>', 'document markup stays text');
      assert.equal(await first.locator('h2 mark').innerText(), '户口');
      assert.equal(await page.locator('ol.search-hits > li').count(), 10);
      if (js) {
        await assertNoAxeViolations(page, 'results');
        await page.screenshot({ path: join(SHOTS, 'search-zh.png'), fullPage: true });
      }
      await page.getByRole('link', { name: '下一页' }).click();
      await page.waitForURL(/page=2/);
      assert.equal(await page.locator('ol.search-hits > li').count(), 5);

      await page.getByLabel('搜索内容').fill('ཐོ་འགོད');
      await page.getByRole('button', { name: '搜索' }).click();
      await page.waitForURL(/\/search\?q=/);
      assert.equal(await page.locator('ol.search-hits > li').count(), 1);
      assert.equal(await page.locator('ol.search-hits > li h2 mark').innerText(), 'ཐོ་འགོད');
      if (js) {
        const fonts = await renderedFonts(page, 'ol.search-hits > li h2[lang="bo"]');
        assert.ok(fonts.length > 0);
        for (const f of fonts) assert.match(f.familyName, TIBETAN_FONT, JSON.stringify(fonts));
        await assertNoAxeViolations(page, 'Tibetan results');
      }
      await page.getByLabel('搜索内容').fill('火星基地');
      await page.getByRole('button', { name: '搜索' }).click();
      await page.waitForURL(/\/search\?q=/);
      assert.ok((await page.locator('main').innerText()).includes('没有找到相关内容'));
    } finally {
      await context.close();
    }
  });
}
