// tests/browser/apply.test.mjs - the application journey in a real browser, in zh and in
// bo (issue 4, "Done when"): the demo citizen fills the marriage registration form
// (XZ-MZ-001) generated from the catalog, first with mistakes (every problem listed at
// once, beside each field and in the summary), then completely with three materials; the
// clerk of the Chengguan civil affairs bureau (password + TOTP) returns it for completion
// (补正) choosing the photo; the citizen sees what to complete and uploads a new photo; the
// clerk accepts; the reviewer starts the review and approves; the citizen sees the result,
// rates it 不满意, the department answers the rectification task, the statistics count it.
// axe finds nothing on the form and progress pages. Screenshots: tests/browser/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { freshTotp } from '../lib/totp.mjs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, renderedFonts, TIBETAN_FONT, assertNoAxeViolations } from '../lib/browser.mjs';
import { ROOT, catalog } from '../lib/server.mjs';
import { demoServer } from '../lib/db.mjs';
import { withIdCheck } from '../lib/ids.mjs';

const SHOTS = join(ROOT, 'tests', 'browser', 'screenshots');
const T = { zh: catalog('zh'), bo: catalog('bo') };
const DEMO_PASSWORD = 'Demo-2026-xz';
const CITIZEN = '540102199001011233';
const ITEM = 'XZ-MZ-001';

const PDF = { name: 'id.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% test\n') };
const JPEG = { name: 'hukou.jpg', mimeType: 'image/jpeg', buffer: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]) };
const PNG = { name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from('\x89PNG\r\n\x1a\nxx', 'latin1') };
const TXT = { name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from('not an image') };

let server, srv, browser;
before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await demoServer('apply-browser', { sqlite: true, timeout: 60000 });
  srv = server.srv;
  browser = await launch();
});
after(async () => {
  await browser?.close();
  const r = await server?.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv?.log()}`);
});

async function loginAs(lang, login, staff) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const t = T[lang];
  await page.goto(`${srv.url}/login?lang=${lang}`);
  await page.getByLabel(t.identity.fields.login, { exact: true }).fill(login);
  await page.getByLabel(t.identity.fields.password, { exact: true }).fill(DEMO_PASSWORD);
  await page.locator('main').getByRole('button', { name: t.identity.login.submit }).click();
  if (staff) {
    await page.waitForURL(/\/login\/second-factor/);
    await page.getByLabel(t.identity.fields.code, { exact: true }).fill(await freshTotp(login));
    await page.getByRole('button', { name: t.identity.second_factor.submit }).click();
  }
  await page.waitForURL(`${srv.url}/account`);
  return { context, page };
}

// A staff member acts on the application: press the action's button.
async function act(lang, login, number, action, before) {
  const { context, page } = await loginAs(lang, login, true);
  try {
    if (action === 'accept') {
      // The queue lists it, with its due date; axe finds nothing on the workbench.
      await page.goto(`${srv.url}/workbench`);
      assert.ok((await page.locator('main table').innerText()).includes(number));
      await assertNoAxeViolations(page, `${lang} workbench`);
    }
    await page.goto(`${srv.url}/applications/${number}`);
    if (before) await before(page);
    await page.getByRole('button', { name: T[lang].apply.actions[action], exact: true }).click();
    await page.waitForURL(new RegExp(`/applications/${number}\\?done=${action}`));
    return await page.locator('.state').innerText();
  } finally {
    await context.close();
  }
}

for (const lang of ['zh', 'bo']) {
  test(`${lang}: apply → returned for completion → completed → accepted → reviewed → approved`, async () => {
    const t = T[lang];
    const { context, page } = await loginAs(lang, CITIZEN, false);
    let number;
    try {
      // The form, generated from the item, in the person's language.
      await page.goto(`${srv.url}/services/${ITEM}/apply`);
      assert.equal(await page.locator('html').getAttribute('lang'), lang === 'zh' ? 'zh-CN' : 'bo');
      if (lang === 'bo') {
        const fonts = await renderedFonts(page, 'main h2');
        for (const f of fonts) assert.match(f.familyName, TIBETAN_FONT, JSON.stringify(fonts));
      }
      assert.equal(await page.locator('#f_phone').inputValue(), '13800000001', '免填: the profile phone');
      await assertNoAxeViolations(page, `${lang} form`);
      // Mistakes: an empty name, a wrong ID check digit, a text file as the photo.
      await page.locator('#f_female_id').fill(withIdCheck('54010219960405123').slice(0, 17) + 'Y');
      await page.locator('#m_photo').setInputFiles(TXT);
      await page.getByRole('button', { name: t.apply.form.submit, exact: true }).click();
      const summary = page.locator('.error-summary[role="alert"]');
      await summary.waitFor();
      const listed = await summary.locator('li a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      assert.deepEqual(listed, ['#f_male_name', '#f_male_id', '#f_female_name', '#f_female_id',
        '#f_appointment_date', '#f_declaration', '#m_id_card', '#m_household_register', '#m_photo']);
      assert.ok((await summary.innerText()).includes(t.errors.apply.err.required));
      assert.equal(await page.locator('#f_male_name').getAttribute('aria-invalid'), 'true');
      await page.screenshot({ path: join(SHOTS, `apply-${lang}-errors.png`), fullPage: true });
      await assertNoAxeViolations(page, `${lang} form with errors`);
      // Now completely.
      await page.locator('#f_male_name').fill('扎西多吉');
      await page.locator('#f_male_id').fill(CITIZEN);
      await page.locator('#f_female_name').fill('卓玛');
      await page.locator('#f_female_id').fill(withIdCheck('54010219960405123'));
      await page.locator('#f_appointment_date').fill(new Date(Date.now() + 7 * 86400000).toISOString().slice(0, 10));
      await page.locator('#f_declaration').check();
      await page.locator('#m_id_card').setInputFiles(PDF);
      await page.locator('#m_household_register').setInputFiles(JPEG);
      await page.locator('#m_photo').setInputFiles(PNG);
      await page.getByRole('button', { name: t.apply.form.submit, exact: true }).click();
      await page.waitForURL(/\/applications\/\d{20}\/receipt$/);
      number = (await page.locator('.number').innerText()).trim();
      assert.match(number, /^\d{8}540102\d{6}$/);
      assert.equal(await page.locator('main h1').innerText(), t.apply.receipt.title);
    } finally {
      await context.close();
    }

    // The clerk returns it, asking for a new photo.
    const returned = await act(lang, 'clerk.chengguan', number, 'return', async (p) => {
      await p.locator('input[name="problem"][value="material:photo"]').check();
      await p.locator('#return-note').fill('照片须为红底合影');
    });
    assert.equal(returned, t.apply.states.returned);

    // The citizen sees the notice and completes it.
    const c2 = await loginAs(lang, CITIZEN, false);
    try {
      await c2.page.goto(`${srv.url}/applications/${number}`);
      const notice = await c2.page.locator('.error-summary').first().innerText();
      assert.ok(notice.includes(t.apply.show.return_title));
      assert.ok(notice.includes('照片须为红底合影'));
      await assertNoAxeViolations(c2.page, `${lang} progress (returned)`);
      await c2.page.locator('#m_photo').setInputFiles(PNG);
      await c2.page.getByRole('button', { name: t.apply.show.complete_submit, exact: true }).click();
      await c2.page.waitForURL(new RegExp(`/applications/${number}\\?done=resubmit`));
      assert.equal(await c2.page.locator('.state').innerText(), t.apply.states.submitted);
    } finally {
      await c2.context.close();
    }

    assert.equal(await act(lang, 'clerk.chengguan', number, 'accept'), t.apply.states.accepted);
    assert.equal(await act(lang, 'reviewer.chengguan', number, 'review'), t.apply.states.under_review);
    assert.equal(await act(lang, 'reviewer.chengguan', number, 'approve'), t.apply.states.approved);

    // The citizen sees the result, the timeline and no more actions.
    const c3 = await loginAs(lang, CITIZEN, false);
    try {
      await c3.page.goto(`${srv.url}/applications/${number}`);
      assert.equal(await c3.page.locator('.state').innerText(), t.apply.states.approved);
      assert.equal(await c3.page.locator('ol.timeline li').count(), 6);
      assert.equal(await c3.page.getByRole('button', { name: t.apply.actions.withdraw }).count(), 0);
      await c3.page.screenshot({ path: join(SHOTS, `apply-${lang}-approved.png`), fullPage: true });
      await assertNoAxeViolations(c3.page, `${lang} progress (approved)`);
      await c3.page.goto(`${srv.url}/applications`);
      assert.ok((await c3.page.locator('main').innerText()).includes(number));
    } finally {
      await c3.context.close();
    }

    // 好差评 (review): the citizen rates it 不满意; the department answers the rectification
    // task; the citizen reads the answer; the public statistics count it as rectified.
    const c4 = await loginAs(lang, CITIZEN, false);
    let appId;
    try {
      appId = await c4.page.evaluate(async (n) =>
        (await (await fetch(`/api/v1/applications/${n}`, { headers: { accept: 'application/json' } })).json()).id, number);
      // The application page links the applicant to the rating once it is decided.
      await c4.page.goto(`${srv.url}/applications/${number}`);
      await c4.page.getByRole('link', { name: t.apply.show.rate, exact: true }).click();
      await c4.page.waitForURL(`${srv.url}/reviews/${appId}`);
      await c4.page.getByLabel(t.review.levels['2'], { exact: true }).check();
      await c4.page.getByLabel(t.review.comment).fill('等候时间太长');
      await c4.page.getByRole('button', { name: t.review.submit, exact: true }).click();
      await c4.page.waitForURL(`${srv.url}/reviews/${appId}?done=1`);
      await assertNoAxeViolations(c4.page, `${lang} rating`);
    } finally {
      await c4.context.close();
    }
    const head = await loginAs(lang, 'head.chengguan', true); // the head answers (reviewers may too)
    try {
      await head.page.goto(`${srv.url}/workbench/rectifications?status=open`);
      assert.ok((await head.page.locator('main').innerText()).includes('等候时间太长'));
      await head.page.getByLabel(t.review.response).fill('已增设窗口，缩短等候。');
      await head.page.getByRole('button', { name: t.review.tasks.respond, exact: true }).click();
      await head.page.waitForURL(`${srv.url}/workbench/rectifications`);
    } finally {
      await head.context.close();
    }
    const c5 = await loginAs(lang, CITIZEN, false);
    try {
      await c5.page.goto(`${srv.url}/reviews/${appId}`);
      assert.ok((await c5.page.locator('main').innerText()).includes('已增设窗口，缩短等候。'));
      const stats = await c5.page.evaluate(async () =>
        (await (await fetch('/api/v1/ratings', { headers: { accept: 'application/json' } })).json()));
      const dept = stats.departments.find((d) => d.department_code === 'cg-mz');
      assert.ok(dept && dept.bad >= 1 && dept.rectified === dept.bad, JSON.stringify(dept));
      await c5.page.goto(`${srv.url}/ratings`);
      assert.ok((await c5.page.locator('main').innerText()).includes(t.review.stats.formula));
      await assertNoAxeViolations(c5.page, `${lang} statistics`);
    } finally {
      await c5.context.close();
    }
  });
}
