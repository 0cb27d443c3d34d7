// tests/browser/hotline.test.mjs - the hotline's journey in a real browser (issue 6, "done
// when"): a caller's complaint arrives through Open311; the 12345 agent logs in, opens the
// order and sees the suggested department, dispatches it; the Lhasa housing bureau's clerk
// finds it in the department queue, accepts it and replies before its deadline; the caller
// looks it up by number and phone and rates it online (非常满意); the dashboard counts it.
// axe finds nothing on the pages visited; the public form in Tibetan uses a Tibetan font.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, renderedFonts, TIBETAN_FONT, assertNoAxeViolations } from '../lib/browser.mjs';
import { ROOT, catalog } from '../lib/server.mjs';
import { demoServer, apiKey, DEMO_PASSWORD } from '../lib/hotline.mjs';
import { freshTotp } from '../lib/totp.mjs';

const SHOTS = join(ROOT, 'tests', 'browser', 'screenshots');
const zh = catalog('zh'), bo = catalog('bo');
const PHONE = '13955556666';
let server, browser;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await demoServer('hotline-browser');
  browser = await launch();
});
after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

async function staffPage(username) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
  const page = await context.newPage();
  const url = server.srv.url;
  await page.goto(`${url}/login`);
  await page.getByLabel(zh.identity.fields.login, { exact: true }).fill(username);
  await page.getByLabel(zh.identity.fields.password, { exact: true }).fill(DEMO_PASSWORD);
  await page.locator('main').getByRole('button', { name: zh.identity.login.submit }).click();
  await page.waitForURL(/\/login\/second-factor/);
  await page.getByLabel(zh.identity.fields.code, { exact: true }).fill(await freshTotp(username));
  await page.getByRole('button', { name: zh.identity.second_factor.submit }).click();
  await page.waitForURL(`${url}/account`);
  return page;
}

test('Open311 complaint → suggested department → dispatch → reply before the deadline → online rating → dashboard', async () => {
  const url = server.srv.url;
  // 0. The agent opens the dashboard: the counts before.
  const agent = await staffPage('hotline.xz');
  await agent.goto(`${url}/hotline/dashboard`);
  const totalBefore = Number(await agent.locator('dd.total').innerText());
  const ratedBefore = (await agent.evaluate(async () => (await fetch('/hotline/dashboard', { headers: { accept: 'application/json' } })).json())).stats.rated;
  // 1. The complaint arrives through Open311.
  const key = apiKey(server, '拉萨市民服务 App');
  const res = await fetch(`${url}/open311/v2/requests.json`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      api_key: key, service_code: 'water', address_string: '八廓街 18 号', 'attribute[division]': '540102002000',
      description: '我们小区从前天开始停水，到现在还没有恢复供水，也没有任何通知。', phone: PHONE, first_name: '央宗',
    }),
  });
  assert.equal(res.status, 201);
  const number = (await res.json())[0].service_request_id;

  // 2. The agent sees it with the suggested department, and dispatches it.
  await agent.goto(`${url}/hotline`);
  await agent.getByRole('link', { name: number }).click();
  await agent.waitForURL(`${url}/hotline/orders/${number}`);
  assert.equal(await agent.locator('.suggested-department').innerText(), '拉萨市住房和城乡建设局');
  assert.equal(await agent.locator('#d-dept option:checked').innerText(), '拉萨市住房和城乡建设局');
  await assertNoAxeViolations(agent, 'the order page (agent)');
  await agent.screenshot({ path: join(SHOTS, 'hotline-order-agent.png'), fullPage: true });
  await agent.getByRole('button', { name: zh.hotline.order.dispatch }).click();
  await agent.waitForURL(`${url}/hotline/orders/${number}`);
  assert.match(await agent.locator('dl.facts').innerText(), new RegExp(zh.hotline.states.dispatched));

  // 3. The department finds it in its queue, accepts it and replies before the deadline.
  const clerk = await staffPage('clerk.water');
  await clerk.goto(`${url}/hotline/department`);
  await assertNoAxeViolations(clerk, 'the department queue');
  await clerk.getByRole('link', { name: number }).click();
  assert.ok((await clerk.locator('dd.phone').innerText()).includes('****'), 'the phone is masked for the department');
  assert.match(await clerk.locator('.mark').innerText(), new RegExp(zh.hotline.marks.green));
  await clerk.getByRole('button', { name: zh.hotline.order.accept }).click();
  await clerk.waitForURL(`${url}/hotline/orders/${number}`);
  await clerk.getByLabel(zh.hotline.fields.reply, { exact: true }).fill('供水管道已于今天上午抢修完毕，小区已恢复供水。');
  await clerk.getByRole('button', { name: zh.hotline.order.reply }).click();
  await clerk.waitForURL(`${url}/hotline/orders/${number}`);
  assert.match(await clerk.locator('dl.facts').innerText(), new RegExp(zh.hotline.states.replied));
  const [deadline] = server.sql(`SELECT deadline_at, replied_at FROM hotline_orders WHERE number = '${number}'`);
  assert.ok(Number(deadline[1]) < Number(deadline[0]), 'replied before the deadline');

  // 4. The caller looks it up and rates it online.
  const caller = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
  await caller.goto(`${url}/hotline/status`);
  await caller.getByLabel(zh.hotline.fields.number, { exact: true }).fill(number);
  await caller.getByLabel(zh.hotline.fields.phone, { exact: true }).fill(PHONE);
  await caller.getByRole('button', { name: zh.hotline.status.look_up }).click();
  await caller.locator('dd.reply').waitFor();
  assert.equal(await caller.locator('dd.reply').innerText(), '供水管道已于今天上午抢修完毕，小区已恢复供水。');
  await assertNoAxeViolations(caller, 'the status page');
  await caller.getByLabel(zh.hotline.levels['5'], { exact: true }).check();
  await caller.getByRole('button', { name: zh.hotline.status.rate }).click();
  await caller.locator('dd.status').waitFor();
  assert.equal(await caller.locator('dd.status').innerText(), zh.hotline.states.closed);
  await caller.screenshot({ path: join(SHOTS, 'hotline-status-rated.png'), fullPage: true });

  // 5. The dashboard counts it.
  await agent.goto(`${url}/hotline/dashboard`);
  assert.equal(Number(await agent.locator('dd.total').innerText()), totalBefore + 1);
  await assertNoAxeViolations(agent, 'the dashboard');
  const row = server.sql(`SELECT status, rating FROM hotline_orders WHERE number = '${number}'`)[0];
  assert.deepEqual(row, ['closed', '5']);
  const api = await agent.evaluate(async () => (await fetch('/hotline/dashboard', { headers: { accept: 'application/json' } })).json());
  assert.equal(api.stats.rated, ratedBefore + 1);
  assert.ok(api.stats.ratings.find((r) => r.level === 5).count > 0);
});

test('the public form in Tibetan: every error at once, a Tibetan font, no axe violations', async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.srv.url}/hotline/submit?lang=bo`);
  assert.equal(await page.locator('main h1').innerText(), bo.hotline.submit.title);
  await assertNoAxeViolations(page, 'the Tibetan submit form');
  const fonts = await renderedFonts(page, 'main h1');
  assert.ok(fonts.some((f) => TIBETAN_FONT.test(f.familyName)), `a Tibetan font draws the title: ${JSON.stringify(fonts)}`);
  await page.getByRole('button', { name: bo.hotline.submit.send }).click();
  await page.locator('.error-summary').waitFor();
  assert.ok(await page.locator('.error-summary li').count() >= 3);
  await assertNoAxeViolations(page, 'the Tibetan submit form with errors');
});
