// tests/browser/messaging.test.mjs - issue 16 in a real browser (Debian's Chromium through
// playwright-core): in zh at 1280 px the head of Chengguan's civil affairs bureau publishes a
// notice with the form and it is on /notices and in the feed; in bo at 390 px an 80-year-old
// resident of Chengguan, found by the eligibility job, follows the message in the inbox to
// the benefit, reads why they qualify and accepts it with one click, then sets an e-mail
// address for notices (the code form appears). axe finds nothing on these pages; Tibetan is
// drawn with a Tibetan font. Screenshots in $OW_SHOTS or the system's temporary directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshTotp } from '../lib/totp.mjs';
import { launch, renderedFonts, TIBETAN_FONT, assertNoAxeViolations } from '../lib/browser.mjs';
import { catalog } from '../lib/server.mjs';
import { demoServer } from '../lib/db.mjs';
import { Client } from '../lib/client.mjs';
import { idNumbers } from '../lib/ids.mjs';

const SHOTS = process.env.OW_SHOTS || join(tmpdir(), 'ow-shots');
const T = { zh: catalog('zh'), bo: catalog('bo') };
const DEMO_PASSWORD = 'Demo-2026-xz';

let server, srv, browser;
const ELDER_ID = idNumbers({ birth: '19410101', seed: (process.pid + 3) % 900 })();
const ELDER_PW = `pw-${process.pid}-elder`;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await demoServer('messaging-browser', { sqlite: true, timeout: 60000 });
  srv = server.srv;
  browser = await launch();
  const c = new Client(srv, { page: '/register', lang: 'bo' });
  const r = await c.submit('/register', { name: '次仁', id_number: ELDER_ID, phone: '13700000078', password: ELDER_PW, password_again: ELDER_PW });
  assert.equal(r.status, 303, r.text);
  const run = server.cli(['benefits', 'run', 'all']);
  assert.equal(run.status, 0, run.stderr);
});

after(async () => {
  await browser?.close();
  const r = await server?.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv?.log()}`);
});

async function loginPage(context, name, password, staff, lang) {
  const page = await context.newPage();
  await page.goto(`${srv.url}/login?lang=${lang}`);
  await page.locator('#login').fill(name);
  await page.locator('#password').fill(password);
  await page.locator('main button[type="submit"]').click();
  await page.waitForLoadState('load');
  if (staff) {
    await page.locator('#code').fill(await freshTotp(name));
    await page.locator('main button[type="submit"]').click();
    await page.waitForLoadState('load');
  }
  return page;
}

test('zh: a department head publishes a notice; it is listed, shown and in the feed', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const zh = T.zh;
    const page = await loginPage(ctx, 'head.chengguan', DEMO_PASSWORD, true, 'zh');
    await page.goto(`${srv.url}/notices`);
    await page.getByRole('link', { name: zh.notices.new }).click();
    await page.waitForURL(`${srv.url}/notices/new`);
    await assertNoAxeViolations(page, 'zh notice form');
    await page.getByLabel(zh.notices.topic_label).selectOption('public');
    await page.getByLabel(zh.notices.title_zh).fill('城关区高龄津贴发放公告');
    await page.getByLabel(zh.notices.body_zh).fill('年满八十周岁的城关区居民无需申请，平台将主动告知。');
    await page.getByLabel(zh.notices.title_bo).fill('ཁྲིན་ཀོན་ཆུས་ཀྱི་རྒན་གསོའི་སྐྱབས་སྐྱོར་དངུལ་སྤྲོད་པའི་གསལ་བསྒྲགས།');
    await page.getByRole('button', { name: zh.notices.publish }).click();
    await page.waitForURL(/\/notices\/\d+$/);
    assert.equal(await page.locator('main h1').innerText(), '城关区高龄津贴发放公告');
    await assertNoAxeViolations(page, 'zh notice');
    await page.goto(`${srv.url}/notices`);
    assert.ok((await page.locator('main').innerText()).includes('城关区高龄津贴发放公告'));
    await assertNoAxeViolations(page, 'zh notices');
    await page.screenshot({ path: join(SHOTS, 'notices-zh-1280.png'), fullPage: true });
    const feed = await page.request.get(`${srv.url}/notices.atom?lang=bo`);
    assert.ok((await feed.text()).includes('ཁྲིན་ཀོན་ཆུས་ཀྱི་རྒན་གསོའི'));
  } finally {
    await ctx.close();
  }
});

test('bo at 390 px: the benefit found for an 80-year-old, from the inbox to one-click accept; an e-mail address for notices', async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  try {
    const bo = T.bo;
    const page = await loginPage(ctx, ELDER_ID, ELDER_PW, false, 'bo');
    await page.goto(`${srv.url}/messages`);
    assert.equal(await page.locator('main h1').innerText(), bo.notify.title);
    await page.locator('main a[href^="/benefits"]').filter({ hasText: 'ཁྲིན་ཀོན་ཆུས' }).first().click();
    await page.waitForURL(/\/benefits#b\d+$/);
    assert.equal(await page.locator('main h1').innerText(), bo.benefits.title);
    const text = await page.locator('main').innerText();
    assert.ok(text.includes(bo.benefits.name.elderly_allowance) && text.includes('540102'), text);
    const fonts = await renderedFonts(page, 'main h1');
    for (const f of fonts) assert.match(f.familyName, TIBETAN_FONT, JSON.stringify(fonts));
    await assertNoAxeViolations(page, 'bo benefits, offered');
    const noScroll = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.ok(noScroll, 'no sideways scroll at 390 px');
    await page.getByRole('button', { name: bo.benefits.accept }).click();
    await page.waitForURL(`${srv.url}/benefits?done=benefits_accept`);
    assert.equal(await page.locator('.flash').innerText(), bo.done.benefits_accept);
    assert.ok((await page.locator('main').innerText()).includes(bo.benefits.status.granted));
    await assertNoAxeViolations(page, 'bo benefits, granted');
    await page.screenshot({ path: join(SHOTS, 'benefits-bo-390.png'), fullPage: true });

    await page.goto(`${srv.url}/messages/settings`);
    assert.equal(await page.locator('main h1').innerText(), bo.notify.settings.title);
    await assertNoAxeViolations(page, 'bo settings');
    await page.locator('#address-email').fill(`tsering.${process.pid}@example.org`);
    await page.locator('form[action="/messages/settings/contact"]').first().getByRole('button').click();
    await page.waitForURL(`${srv.url}/messages/settings?done=notify_code_sent`);
    assert.ok((await page.locator('main').innerText()).includes(bo.notify.settings.unverified));
    assert.equal(await page.locator('#code-email').count(), 1, 'the code form appears');
    await assertNoAxeViolations(page, 'bo settings, code sent');
    await page.screenshot({ path: join(SHOTS, 'settings-bo-390.png'), fullPage: true });
  } finally {
    await ctx.close();
  }
});
