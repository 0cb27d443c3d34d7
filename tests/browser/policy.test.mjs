// tests/browser/policy.test.mjs - the policy library and Q&A in a real browser, driven by
// clicks (issue 14, "Done when"): from the home page a person asks 结婚需要什么材料, and the
// same in Tibetan, gets the marriage guide's materials section with its source and follows
// its link to apply; a question nothing answers offers 12345 and opens the hotline form with
// the question in it; the policy library lists the seed plans and shows one clause by clause.
// axe on every page; screenshots (zh at 1280 px, bo at 390 px) to tests/browser/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, renderedFonts, TIBETAN_FONT, assertNoAxeViolations } from '../lib/browser.mjs';
import { catalog, ROOT } from '../lib/server.mjs';
import { demoServer } from '../lib/db.mjs';

const SHOTS = join(ROOT, 'tests', 'browser', 'screenshots');
const T = { zh: catalog('zh'), bo: catalog('bo') };
let demo, srv, browser;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  demo = await demoServer('policy-browser', { sqlite: true });
  srv = demo.srv;
  browser = await launch();
});
after(async () => {
  await browser?.close();
  if (demo) assert.deepEqual(await demo.stop(), { code: 0, signal: null });
});

const journeys = [
  { lang: 'zh', width: 1280, q: '结婚需要什么材料', section: T.zh.catalog.materials, material: '居民身份证' },
  { lang: 'bo', width: 390, q: 'གཉེན་སྒྲིག་ལ་ཡིག་ཆ་ག་རེ་དགོས།', section: T.bo.catalog.materials, material: 'སྡོད་དམངས་ཐོབ་ཐང་ལག་ཁྱེར།' },
];

for (const j of journeys) {
  test(`${j.lang}: ask from the home page, get the marriage guide's materials, follow the link to apply`, async () => {
    const context = await browser.newContext({ viewport: { width: j.width, height: 900 } });
    const page = await context.newPage();
    try {
      await page.goto(`${srv.url}/?lang=${j.lang}`);
      await page.getByLabel(T[j.lang].policy.portal.label).fill(j.q);
      await page.locator('section[aria-labelledby="p-ask"]').getByRole('button', { name: T[j.lang].policy.ask.submit }).click();
      await page.waitForURL(/\/ask\?q=/);
      assert.equal(await page.getByLabel(T[j.lang].policy.ask.label).inputValue(), j.q);
      const first = page.locator('ol.ask-answers > li').first();
      assert.equal(await first.getAttribute('data-source'), 'guide:XZ-MZ-001.materials');
      const title = await first.locator('h2').innerText();
      assert.ok(title.endsWith(j.section), title);
      assert.ok((await first.locator('ol.ask-lines').innerText()).includes(j.material));
      assert.equal(await page.locator('.ask-status').innerText(), T[j.lang].policy.ask.answered);
      if (j.lang === 'bo') {
        const fonts = await renderedFonts(page, 'ol.ask-answers > li ol.ask-lines li');
        assert.ok(fonts.some((f) => TIBETAN_FONT.test(f.familyName)), JSON.stringify(fonts));
        // No sideways scrolling on a phone.
        assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1));
      }
      await assertNoAxeViolations(page, `ask (${j.lang})`);
      await page.screenshot({ path: join(SHOTS, `ask-${j.lang}.png`), fullPage: true });
      // The answer's own link to apply: anonymous, so the login page, which returns there.
      await first.getByRole('link', { name: new RegExp(T[j.lang].policy.ask.apply) }).click();
      await page.waitForURL(/\/login/);
      assert.equal(new URL(page.url()).searchParams.get('next'), '/services/XZ-MZ-001/apply');
    } finally {
      await context.close();
    }
  });
}

test('zh: nothing answers the weather, the question goes to the 12345 form', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  try {
    await page.goto(`${srv.url}/ask?lang=zh`);
    await page.getByLabel(T.zh.policy.ask.label).fill('明天天气怎么样');
    await page.getByRole('button', { name: T.zh.policy.ask.submit }).click();
    await page.waitForURL(/\/ask\?q=/);
    assert.ok((await page.locator('.ask-none').innerText()).includes(T.zh.policy.ask.no_answer));
    await assertNoAxeViolations(page, 'ask, unanswered');
    await page.getByRole('button', { name: T.zh.policy.ask.to_hotline }).click();
    await page.waitForURL(/\/hotline\/submit/);
    assert.equal(await page.locator('#description').inputValue(), '明天天气怎么样');
  } finally {
    await context.close();
  }
});

test('bo: the policy library, one policy clause by clause with the services it governs', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 900 } });
  const page = await context.newPage();
  try {
    await page.goto(`${srv.url}/?lang=bo`);
    await page.getByRole('link', { name: T.bo.policy.portal.policies }).click();
    await page.waitForURL(/\/policies$/);
    await assertNoAxeViolations(page, 'policies (bo)');
    await page.getByRole('link', { name: 'བོད་རང་སྐྱོང་ལྗོངས་ཀྱི་གྲངས་ཀའི་སྲིད་གཞུང་འཛུགས་སྐྲུན་ཤུགས་ཆེར་གཏོང་བའི་འཆར་གཞི། (༢༠༢༣—༢༠༢༥)' }).click();
    await page.waitForURL(/\/policies\/\d+$/);
    assert.equal(await page.locator('.policy-status').innerText(), T.bo.policy.status.in_force);
    const clause = page.locator('ol.clauses > li#c47');
    assert.ok((await clause.innerText()).includes('婚姻登记'));
    assert.equal(await clause.locator('p[lang="zh"]').count(), 1, 'the Chinese text is marked');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1));
    await assertNoAxeViolations(page, 'policy (bo)');
    await page.screenshot({ path: join(SHOTS, 'policy-bo.png'), fullPage: false });
    await clause.getByRole('link', { name: T.bo.policy.apply }).first().click();
    await page.waitForURL(/\/login/);
  } finally {
    await context.close();
  }
});
