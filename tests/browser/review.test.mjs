// tests/browser/review.test.mjs - 好差评 in a real browser (Debian's Chromium through
// playwright-core), in zh and bo: on an application decided through apply's real workflow
// (set up over HTTP), the citizen opens the rating page from the message in the inbox, sends
// the form without a level and gets the error, rates 不满意 with a comment; the reviewer of the
// department logs in with TOTP, finds the task on the rectification workbench and answers it;
// the citizen reads the answer and rates again in Tibetan; the public statistics show both
// rounds and state the formula. axe finds nothing on the rating, workbench, inbox and
// statistics pages; Tibetan is drawn with a Tibetan font. Screenshots in $OW_SHOTS or the
// system's temporary directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { freshTotp } from '../lib/totp.mjs';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, renderedFonts, TIBETAN_FONT, assertNoAxeViolations } from '../lib/browser.mjs';
import { catalog } from '../lib/server.mjs';
import { demoServer } from '../lib/db.mjs';
import { login } from '../lib/client.mjs';
import { withIdCheck } from '../lib/ids.mjs';

const SHOTS = process.env.OW_SHOTS || join(tmpdir(), 'ow-shots');
const T = { zh: catalog('zh'), bo: catalog('bo') };
const DEMO_PASSWORD = 'Demo-2026-xz';
const DEMO_CITIZEN_ID = '540102199001011233';

// ---- set-up over HTTP: a decided application -------------------------------------------------
const idNumber = () => withIdCheck(`54010219920203${String(process.pid % 1000).padStart(3, '0')}`);

async function decidedApplication() {
  const citizen = await login(srv, DEMO_CITIZEN_ID);
  const day = new Date(Date.now() + 8 * 3600e3 + 10 * 86400e3).toISOString().slice(0, 10);
  const fields = { f_male_name: '扎西多吉', f_male_id: DEMO_CITIZEN_ID, f_female_name: '卓玛', f_female_id: idNumber(),
    f_appointment_date: day, f_phone: '13800000001', f_declaration: 'on', _division: '540102000000' };
  const pdf = Buffer.from('%PDF-1.4\n%%EOF\n');
  const files = [];
  for (const key of ['id_card', 'household_register', 'photo'])
    for (let i = 0; i < 3; i++) files.push({ name: `m_${key}`, filename: `${key}${i}.pdf`, type: 'application/pdf', data: pdf });
  const r = await citizen.upload('/api/v1/services/XZ-MZ-001/apply', fields, files, { page: '/api/v1/messages' });
  assert.equal(r.status, 201, r.text);
  const number = r.body.number;
  const id = (await citizen.get(`/api/v1/applications/${number}`)).body.id;
  const clerk = await login(srv, 'clerk.chengguan', { staff: true });
  const reviewer = await login(srv, 'reviewer.chengguan', { staff: true });
  for (const [who, action] of [[clerk, 'accept'], [reviewer, 'review'], [reviewer, 'approve']]) {
    const a = await who.submit(`/api/v1/applications/${number}/act`, { action, note: '' }, { page: '/api/v1/messages' });
    assert.ok(a.status === 200 || a.status === 303, a.text);
  }
  return { number, id };
}

let server, srv, browser, app;
before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await demoServer('review-browser', { sqlite: true, timeout: 60000 });
  srv = server.srv;
  browser = await launch();
  app = await decidedApplication();
});
after(async () => {
  await browser?.close();
  const r = await server?.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv?.log()}`);
});

async function loginPage(context, name, staff, lang) {
  const page = await context.newPage();
  await page.goto(`${srv.url}/login?lang=${lang}`);
  await page.locator('#login').fill(name);
  await page.locator('#password').fill(DEMO_PASSWORD);
  await page.locator('main button[type="submit"]').click();
  await page.waitForLoadState('load');
  if (staff) {
    await page.locator('#code').fill(await freshTotp(name));
    await page.locator('main button[type="submit"]').click();
    await page.waitForLoadState('load');
  }
  return page;
}

test('zh and bo: rate 不满意 → the department answers → rate again → statistics', async () => {
  const citizenCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const staffCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const zh = T.zh, bo = T.bo;
    const page = await loginPage(citizenCtx, DEMO_CITIZEN_ID, false, 'zh');
    // the rating page, reached as apply links to it
    await page.goto(`${srv.url}/reviews/${app.id}`);
    assert.equal(await page.locator('main h1').innerText(), zh.review.title);
    await assertNoAxeViolations(page, 'zh rating');
    // without a level: the error, the comment kept
    await page.getByLabel(zh.review.comment).fill('窗口排队太久');
    await page.getByRole('button', { name: zh.review.submit }).click();
    await page.waitForLoadState('load');
    const summary = page.locator('.error-summary[role="alert"]');
    await summary.waitFor();
    assert.equal(await summary.locator('li').innerText(), zh.errors.review.bad_level);
    assert.equal(await page.getByLabel(zh.review.comment).inputValue(), '窗口排队太久');
    await assertNoAxeViolations(page, 'zh rating with an error');
    await page.getByLabel(zh.review.levels['2'], { exact: true }).check();
    await page.getByRole('button', { name: zh.review.submit }).click();
    await page.waitForURL(`${srv.url}/reviews/${app.id}?done=rating_saved`);
    assert.equal(await page.locator('.flash').innerText(), zh.done.rating_saved);
    assert.ok((await page.locator('main').innerText()).includes('内地居民婚姻登记（结婚登记）'), 'the service by name');
    await page.screenshot({ path: join(SHOTS, 'review-zh-rated.png'), fullPage: true });

    // the reviewer answers on the workbench
    const staff = await loginPage(staffCtx, 'reviewer.chengguan', true, 'zh');
    await staff.goto(`${srv.url}/messages`);
    // The department's message names the service, not its code.
    const inbox = await staff.locator('main').innerText();
    assert.ok(inbox.includes('内地居民婚姻登记（结婚登记）') && !inbox.includes('XZ-MZ-001'), inbox);
    await assertNoAxeViolations(staff, 'zh staff inbox');
    await staff.goto(`${srv.url}/workbench/rectifications`);
    assert.equal(await staff.locator('main h1').innerText(), zh.review.tasks.title);
    assert.ok((await staff.locator('main').innerText()).includes('窗口排队太久'));
    await assertNoAxeViolations(staff, 'zh workbench');
    await staff.getByLabel(zh.review.response).fill('已增设窗口并开通网上预约。');
    await staff.getByRole('button', { name: zh.review.tasks.respond }).click();
    await staff.waitForURL(`${srv.url}/workbench/rectifications?done=rectification_answered`);
    assert.ok((await staff.locator('main').innerText()).includes(zh.review.status.responded));
    await staff.screenshot({ path: join(SHOTS, 'review-zh-workbench.png'), fullPage: true });

    // the citizen, now in Tibetan, follows the message and rates again
    await page.goto(`${srv.url}/messages?lang=bo`);
    assert.equal(await page.locator('main h1').innerText(), bo.notify.title);
    await assertNoAxeViolations(page, 'bo inbox');
    await page.locator('main a[href="/reviews/' + app.id + '"]').first().click();
    await page.waitForURL(`${srv.url}/reviews/${app.id}`);
    assert.ok((await page.locator('main').innerText()).includes('已增设窗口并开通网上预约。'));
    const fonts = await renderedFonts(page, 'main h1');
    for (const f of fonts) assert.match(f.familyName, TIBETAN_FONT, JSON.stringify(fonts));
    await assertNoAxeViolations(page, 'bo rating, second round');
    await page.getByLabel(bo.review.levels['4'], { exact: true }).check();
    await page.getByRole('button', { name: bo.review.submit }).click();
    await page.waitForURL(`${srv.url}/reviews/${app.id}?done=rating_saved`);
    assert.equal(await page.getByRole('button', { name: bo.review.submit }).count(), 0, 'rated: no more form');
    await page.screenshot({ path: join(SHOTS, 'review-bo-second-round.png'), fullPage: true });

    // the public statistics
    await page.goto(`${srv.url}/ratings?lang=zh`);
    const text = await page.locator('main').innerText();
    assert.ok(text.includes(zh.review.stats.formula));
    assert.ok(text.includes('50.0%'), text);
    assert.ok(text.includes('1 / 1'), text);
    await assertNoAxeViolations(page, 'zh statistics');
    await page.goto(`${srv.url}/ratings?lang=bo`);
    await assertNoAxeViolations(page, 'bo statistics');
    await page.screenshot({ path: join(SHOTS, 'ratings-bo.png'), fullPage: true });
  } finally {
    await citizenCtx.close();
    await staffCtx.close();
  }
});
