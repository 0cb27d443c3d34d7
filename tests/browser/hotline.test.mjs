// tests/browser/hotline.test.mjs - the hotline as people meet it (issue 10, items 5, 6, 7, 11),
// driven only by clicking and typing, in Chinese on a 1280 px desktop and in Tibetan on a
// 390 px phone: a citizen reports a water cut on the public form, choosing where with the
// division picker; the 12345 agent (password + TOTP) finds it on the desk and dispatches it
// to the suggested department; the department's clerk accepts it and replies; the citizen
// looks it up by number and phone (a POST: the phone never in the address) and rates it;
// the dashboard counts it. On every page, as each role: axe (color-contrast included), no
// raw template tag or code, no sideways scrolling. Then the picker without JavaScript (the
// "next level" round trip keeps what was typed), the desk's fast path (type-ahead), and an
// application's division field. Screenshots go to $SHOTS (default $TMPDIR/ow-shots-hotline), never
// the repository.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, renderedFonts, TIBETAN_FONT, assertNoAxeViolations } from '../lib/browser.mjs';
import { catalog } from '../lib/server.mjs';
import { demoServer, DEMO_PASSWORD } from '../lib/hotline.mjs';
import { freshTotp } from '../lib/totp.mjs';

const SHOTS = process.env.SHOTS || join(tmpdir(), 'ow-shots-hotline');
const T = { zh: catalog('zh'), bo: catalog('bo') };
const VIEW = { zh: { width: 1280, height: 900 }, bo: { width: 390, height: 844 } };
const LHASA = '540100000000', CHENGGUAN = '540102000000', BARKHOR = '540102002000';
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

const url = (path) => `${server.srv.url}${path}`;

async function newPage(lang, { js = true } = {}) {
  const context = await browser.newContext({ viewport: VIEW[lang], locale: lang === 'bo' ? 'bo' : 'zh-CN', javaScriptEnabled: js });
  context.setDefaultTimeout(20000);
  const page = await context.newPage();
  return page;
}

// What a person must never see, and a page that fits the screen. Returns the main text.
async function looksRight(page, label) {
  const main = await page.locator('main').innerText();
  assert.doesNotMatch(main, /\{\{|\}\}/, `${label}: a raw template tag`);
  assert.doesNotMatch(main, /\bhotline\.[a-z_]+\.|\berrors\.[a-z]/, `${label}: an untranslated key`);
  const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  assert.ok(fits, `${label}: the page scrolls sideways`);
  return main;
}

async function check(page, label, lang) {
  await looksRight(page, `${lang} ${label}`);
  await assertNoAxeViolations(page, `${lang} ${label}`);
  await page.screenshot({ path: join(SHOTS, `hotline-${lang}-${label.replace(/\W+/g, '-')}.png`), fullPage: true });
}

async function staffLogin(lang, username) {
  const t = T[lang];
  const page = await newPage(lang);
  await page.goto(url(`/login?lang=${lang}`));
  await page.getByLabel(t.identity.fields.login, { exact: true }).fill(username);
  await page.getByLabel(t.identity.fields.password, { exact: true }).fill(DEMO_PASSWORD);
  await page.locator('main').getByRole('button', { name: t.identity.login.submit }).click();
  await page.waitForURL(/\/login\/second-factor/);
  await page.getByLabel(t.identity.fields.code, { exact: true }).fill(await freshTotp(username));
  await page.getByRole('button', { name: t.identity.second_factor.submit }).click();
  await page.waitForURL(url('/account'));
  return page;
}

// Choose a level of the picker by its label, as a person does, and wait for the script to
// fill the level below (it fetches the picker's model).
async function pick(page, t, level, code, next) {
  await page.getByLabel(t.divisions.levels[level], { exact: true }).selectOption(code);
  if (next) await page.locator(`select[name="division.${next}"] option`).nth(1).waitFor({ state: 'attached' });
}

const JOURNEY = {
  zh: { description: '我们小区从前天开始停水，到现在还没有恢复供水，也没有任何通知。', address: '八廓街 18 号', name: '央宗', phone: '13955556666', reply: '供水管道已于今天上午抢修完毕，小区已恢复供水。' },
  bo: { description: 'ང་ཚོའི་ཁང་ཚན་དུ་ཉིན་གསུམ་རིང་ཆུ་ཆད་འདུག་ལ་བརྡ་ཐོ་གང་ཡང་མ་ཐོབ། མྱུར་དུ་ཆུ་གཏོང་རོགས།', address: 'བར་སྐོར་ 18', name: 'དབྱངས་འཛོམས།', phone: '13955557777', reply: 'ཆུ་དོང་བཟོ་བཅོས་བྱས་ཚར། ཆུ་ཡོང་གི་འདུག' },
};

for (const lang of ['zh', 'bo']) {
  test(`${lang} ${VIEW[lang].width} px: public form with the division picker → desk → department → status and rating → dashboard`, { timeout: 300000 }, async () => {
    const t = T[lang], j = JOURNEY[lang];
    // 0. The agent's dashboard before.
    const agent = await staffLogin(lang, 'hotline.xz');
    await agent.goto(url('/hotline/dashboard'));
    const totalBefore = Number(await agent.locator('dd.total').innerText());

    // 1. The citizen, from the home page's navigation to the public form.
    const citizen = await newPage(lang);
    await citizen.goto(url(`/?lang=${lang}`));
    await citizen.locator('nav.main-nav').getByRole('link', { name: t.nav.hotline }).click();
    await citizen.waitForURL(url('/hotline/submit'));
    assert.equal(await citizen.locator('main h1').innerText(), t.hotline.submit.title);
    if (lang === 'bo') {
      const fonts = await renderedFonts(citizen, 'main h1');
      assert.ok(fonts.some((f) => TIBETAN_FONT.test(f.familyName)), `a Tibetan font: ${JSON.stringify(fonts)}`);
    }
    // Coordinates are folded away; no 12-digit code box.
    assert.equal(await citizen.locator('#lat').isVisible(), false, 'coordinates hidden by default');
    assert.equal(await citizen.locator('input[name="division"]').count(), 0);
    await check(citizen, 'submit form', lang);
    await citizen.getByLabel(t.hotline.fields.description, { exact: true }).fill(j.description);
    if (lang === 'zh') {
      // The selects, level by level.
      await pick(citizen, t, 'prefecture', LHASA, 'l3');
      await pick(citizen, t, 'county', CHENGGUAN, 'l4');
      await pick(citizen, t, 'township', BARKHOR, 'l5');
    } else {
      // The type-ahead in Tibetan for the prefecture, then the selects.
      const box = citizen.getByRole('combobox', { name: t.divisions.picker.search });
      await box.fill('ལྷ་ས');
      await citizen.locator('#division-list').getByRole('option', { name: /ལྷ་ས་གྲོང་ཁྱེར།/ }).click();
      await citizen.locator('select[name="division.l3"] option').nth(1).waitFor({ state: 'attached' });
      assert.equal(await citizen.locator('select[name="division.l2"]').inputValue(), LHASA);
      await pick(citizen, t, 'county', CHENGGUAN, 'l4');
      await pick(citizen, t, 'township', BARKHOR, 'l5');
    }
    await citizen.getByLabel(t.hotline.fields.address, { exact: true }).fill(j.address);
    await citizen.getByLabel(t.hotline.fields.caller_name, { exact: true }).fill(j.name);
    await citizen.getByLabel(t.hotline.fields.phone, { exact: true }).fill(j.phone);
    await citizen.getByRole('button', { name: t.hotline.submit.send }).click();
    const number = (await citizen.locator('.order-number').innerText()).trim();
    assert.match(number, /^H\d{20}$/);
    assert.equal(server.sql(`SELECT division_code FROM hotline_orders WHERE number = '${number}'`)[0][0], BARKHOR);
    await check(citizen, 'submitted', lang);

    // 2. The agent finds it on the desk and dispatches it to the suggested department.
    await agent.goto(url('/hotline'));
    await check(agent, 'desk', lang);
    await agent.getByRole('link', { name: number }).click();
    await agent.waitForURL(url(`/hotline/orders/${number}`));
    const housing = server.sql("SELECT id FROM departments WHERE code = 'ls-zj'")[0][0];
    if (lang === 'zh') {
      assert.equal(await agent.locator('.suggested-department').innerText(), '拉萨市住房和城乡建设局');
      assert.equal(await agent.locator('#d-dept').inputValue(), housing);
    } else {
      // The agent confirms (or corrects) the category and department.
      await agent.getByLabel(t.hotline.fields.category, { exact: true }).first().selectOption('water');
      await agent.getByLabel(t.hotline.fields.department, { exact: true }).first().selectOption(housing);
    }
    const facts = await looksRight(agent, `${lang} order (agent)`);
    assert.ok(facts.includes(t.hotline.channels.web), 'the channel by its name');
    await check(agent, 'order agent', lang);
    await agent.getByRole('button', { name: t.hotline.order.dispatch }).click();
    await agent.waitForURL(url(`/hotline/orders/${number}`));
    assert.match(await agent.locator('dl.facts').innerText(), new RegExp(t.hotline.states.dispatched));
    // The timeline says what the caller was told, with the number in it.
    const timeline = await agent.locator('ol.timeline').innerText();
    assert.ok(timeline.includes(t.hotline.notice.dispatched.replace('{{number}}', number)), timeline);

    // 3. The department accepts and replies.
    const clerk = await staffLogin(lang, 'clerk.water');
    await clerk.goto(url('/hotline/department'));
    await check(clerk, 'department queue', lang);
    await clerk.getByRole('link', { name: number }).click();
    await clerk.waitForURL(url(`/hotline/orders/${number}`));
    assert.ok((await clerk.locator('dd.phone').innerText()).includes('****'), 'the phone is masked for the department');
    await check(clerk, 'order department', lang);
    await clerk.getByRole('button', { name: t.hotline.order.accept }).click();
    await clerk.waitForURL(url(`/hotline/orders/${number}`));
    await clerk.getByLabel(t.hotline.fields.reply, { exact: true }).fill(j.reply);
    await clerk.getByRole('button', { name: t.hotline.order.reply, exact: true }).click();
    await clerk.waitForURL(url(`/hotline/orders/${number}`));
    assert.match(await clerk.locator('dl.facts').innerText(), new RegExp(t.hotline.states.replied));

    // 4. The citizen looks it up: first with a wrong phone (what was typed stays), then right.
    await citizen.getByRole('link', { name: t.hotline.status.title }).click();
    await citizen.waitForURL(url('/hotline/status'));
    await citizen.getByLabel(t.hotline.fields.number, { exact: true }).fill(number);
    await citizen.getByLabel(t.hotline.fields.phone, { exact: true }).fill('13900000000');
    await citizen.getByRole('button', { name: t.hotline.status.look_up }).click();
    await citizen.getByText(t.hotline.status.not_found).waitFor();
    assert.equal(await citizen.getByLabel(t.hotline.fields.number, { exact: true }).inputValue(), number, 'the number kept');
    await citizen.getByLabel(t.hotline.fields.phone, { exact: true }).fill(j.phone);
    await citizen.getByRole('button', { name: t.hotline.status.look_up }).click();
    await citizen.locator('dd.reply').waitFor();
    assert.ok(!citizen.url().includes(j.phone), `the phone is not in the address: ${citizen.url()}`);
    assert.equal(await citizen.locator('dd.reply').innerText(), j.reply);
    await check(citizen, 'status', lang);
    await citizen.getByLabel(t.hotline.levels['5'], { exact: true }).check();
    await citizen.getByRole('button', { name: t.hotline.status.rate }).click();
    await citizen.locator('dd.rating').waitFor();
    assert.equal(await citizen.locator('dd.status').innerText(), t.hotline.states.closed);
    assert.equal(await citizen.locator('dd.rating').innerText(), t.hotline.levels['5']);
    assert.ok(!citizen.url().includes(j.phone));
    await check(citizen, 'rated', lang);

    // 5. The dashboard counts it.
    await agent.goto(url('/hotline/dashboard'));
    assert.equal(Number(await agent.locator('dd.total').innerText()), totalBefore + 1);
    await check(agent, 'dashboard', lang);
    assert.deepEqual(server.sql(`SELECT status, rating FROM hotline_orders WHERE number = '${number}'`)[0], ['closed', '5']);
    for (const p of [agent, clerk, citizen]) await p.context().close();
  });
}

// Fill the public form and choose only down to the county, pressing "next level" between
// the selects as a person without JavaScript must, then send it.
async function halfPicked(page, t, lang) {
  await page.goto(url(`/hotline/submit?lang=${lang}`));
  await page.getByLabel(t.hotline.fields.description, { exact: true }).fill('路灯坏了一个多星期，晚上出行很不方便。');
  await page.getByLabel(t.hotline.fields.address, { exact: true }).fill('吉日街道');
  await page.getByLabel(t.divisions.levels.prefecture, { exact: true }).selectOption(LHASA);
  await page.getByRole('button', { name: t.divisions.picker.next }).click();
  await page.getByLabel(t.divisions.levels.county, { exact: true }).selectOption(CHENGGUAN);
  assert.equal(await page.getByLabel(t.hotline.fields.description, { exact: true }).inputValue(), '路灯坏了一个多星期，晚上出行很不方便。', 'kept across "next level"');
  await page.getByRole('button', { name: t.hotline.submit.send }).click();
  await page.locator('.error-summary').waitFor();
}

test('without JavaScript: "next level" keeps what was typed; a half-picked place is an error beside the picker', { timeout: 120000 }, async () => {
  for (const lang of ['zh', 'bo']) {
    const t = T[lang];
    const page = await newPage(lang, { js: false });
    await page.goto(url(`/hotline/submit?lang=${lang}`));
    assert.equal(await page.locator('.picker-search').isVisible(), false, 'no type-ahead without a script');
    await halfPicked(page, t, lang);
    assert.equal(await page.locator('#division-error').innerText(), t.errors.hotline.division_too_coarse);
    assert.equal(await page.getByLabel(t.hotline.fields.address, { exact: true }).inputValue(), '吉日街道');
    // axe needs JavaScript: it checks the same page below, with the picker's script blocked.
    await looksRight(page, `${lang} no-js half-picked`);
    await page.screenshot({ path: join(SHOTS, `hotline-${lang}-no-js-half-picked.png`), fullPage: true });
    await page.getByLabel(t.divisions.levels.township, { exact: true }).selectOption('540102003000');
    await page.getByRole('button', { name: t.hotline.submit.send }).click();
    assert.match((await page.locator('.order-number').innerText()).trim(), /^H\d{20}$/);
    await page.context().close();
    const scriptless = await newPage(lang);
    await scriptless.route('**/static/divisions-picker.js', (route) => route.abort());
    await halfPicked(scriptless, t, lang);
    await assertNoAxeViolations(scriptless, `${lang} half-picked, no picker script`);
    await scriptless.context().close();
  }
});

test('the desk\'s fast path: the agent types a place name and the selects fill themselves', { timeout: 120000 }, async () => {
  const t = T.zh;
  const agent = await staffLogin('zh', 'hotline.xz');
  await agent.goto(url('/hotline'));
  await agent.getByLabel(t.hotline.fields.description, { exact: true }).fill('居民反映小区供暖不热，室内温度只有十几度。');
  const box = agent.getByRole('combobox', { name: t.divisions.picker.search });
  await box.fill('八廓');
  await agent.locator('#division-list').getByRole('option').first().waitFor();
  await box.press('ArrowDown');
  await box.press('Enter');
  await agent.locator('select[name="division.l4"]').locator(`option[value="${BARKHOR}"]`).waitFor({ state: 'attached' });
  await agent.waitForFunction((code) => document.querySelector('select[name="division.l4"]').value === code, BARKHOR);
  assert.equal(await agent.locator('select[name="division.l3"]').inputValue(), CHENGGUAN);
  await agent.getByLabel(t.hotline.fields.address, { exact: true }).fill('八廓街 12 号');
  await check(agent, 'desk type-ahead', 'zh');
  await agent.getByRole('button', { name: t.hotline.desk.save }).click();
  await agent.waitForURL(/\/hotline\/orders\/H\d{20}$/);
  assert.match(await agent.locator('dl.facts').innerText(), /八廓街道/);
  await agent.context().close();
});

test('an application\'s division field (个体工商户设立登记) is the same picker, in zh and in bo', { timeout: 120000 }, async () => {
  for (const lang of ['zh', 'bo']) {
    const t = T[lang];
    const page = await newPage(lang);
    await page.goto(url(`/login?lang=${lang}`));
    await page.getByLabel(t.identity.fields.login, { exact: true }).fill('13800000001');
    await page.getByLabel(t.identity.fields.password, { exact: true }).fill(DEMO_PASSWORD);
    await page.locator('main').getByRole('button', { name: t.identity.login.submit }).click();
    await page.waitForURL(url('/account'));
    await page.goto(url('/services/XZ-SJ-001/apply'));
    assert.equal(await page.locator('input[name="f_division"]').count(), 0, 'no code box');
    await page.getByLabel(t.divisions.levels.prefecture, { exact: true }).selectOption(LHASA);
    await page.locator('select[name="f_division.l3"] option').nth(1).waitFor({ state: 'attached' });
    await page.getByLabel(t.divisions.levels.county, { exact: true }).selectOption(CHENGGUAN);
    await page.locator('select[name="f_division.l4"] option').nth(1).waitFor({ state: 'attached' });
    // Pre-check with a county only: the problem names the field.
    await page.getByRole('button', { name: t.apply.form.precheck }).click();
    await page.locator('.error-summary').waitFor();
    assert.ok((await page.locator('.error-summary').innerText()).includes(t.errors.divisions.incomplete));
    assert.equal(await page.locator('select[name="f_division.l3"]').inputValue(), CHENGGUAN, 'the choice kept');
    await check(page, 'apply division', lang);
    await page.context().close();
  }
});
