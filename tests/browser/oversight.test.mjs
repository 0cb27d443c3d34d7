// tests/browser/oversight.test.mjs - supervision across levels in a real browser (Debian's
// Chromium through playwright-core), in zh and bo (issue 15, "Done when"): the regional
// supervisor opens the dashboard, whose KPIs equal those this test computes from the cases'
// own rows, sees the overdue case in Chengguan, drills down to it and adds a supervision note
// (督办); the Chengguan clerk answers it on the workbench; the auditor finds the supervisor's
// action on the audit desk and verifies the chain. Set-up over HTTP: cases at Chengguan, one
// made overdue per language (its due time moved into the past with SQL). axe finds nothing on
// these pages; screenshots (zh 1280 px, bo 390 px) in $OW_SHOTS or the temporary directory.
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
const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);

let server, srv, browser;
const overdue = {};

async function apply(citizen, n) {
  const day = new Date(Date.now() + 8 * 3600e3 + 10 * 86400e3).toISOString().slice(0, 10);
  const fields = { f_male_name: '扎西多吉', f_male_id: DEMO_CITIZEN_ID, f_female_name: '卓玛',
    f_female_id: withIdCheck(`5401021992020${String((process.pid + n) % 10000).padStart(4, '0')}`),
    f_appointment_date: day, f_phone: '13800000001', f_declaration: 'on', _division: '540102000000' };
  const pdf = Buffer.from('%PDF-1.4\n%%EOF\n');
  const files = ['id_card', 'household_register', 'photo'].map((key) => ({ name: `m_${key}`, filename: `${key}.pdf`, type: 'application/pdf', data: pdf }));
  const r = await citizen.upload('/api/v1/services/XZ-MZ-001/apply', fields, files, { page: '/api/v1/messages' });
  assert.equal(r.status, 201, r.text);
  return r.body.number;
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await demoServer('oversight-browser', { sqlite: true, timeout: 60000 });
  srv = server.srv;
  browser = await launch();
  const citizen = await login(srv, DEMO_CITIZEN_ID);
  const clerk = await login(srv, 'clerk.chengguan', { staff: true });
  const reviewer = await login(srv, 'reviewer.chengguan', { staff: true });
  overdue.zh = await apply(citizen, 1);
  overdue.bo = await apply(citizen, 2);
  const done = await apply(citizen, 3);
  for (const [who, action] of [[clerk, 'accept'], [reviewer, 'review'], [reviewer, 'approve']]) {
    const a = await who.submit(`/api/v1/applications/${done}/act`, { action, note: '' }, { page: '/api/v1/messages' });
    assert.ok(a.status === 200 || a.status === 303, a.text);
  }
  const due = Date.now() - 3 * 86400e3;
  for (const n of [overdue.zh, overdue.bo]) {
    server.sql(`UPDATE applications SET due_at = ${due} WHERE number = '${n}'`);
    server.sql(`UPDATE oversight_open SET due_at = ${due} WHERE number = '${n}'`);
  }
});
after(async () => {
  await browser?.close();
  const r = await server?.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv?.log()}`);
});

async function loginPage(context, name) {
  const page = await context.newPage();
  await page.goto(`${srv.url}/login?lang=zh`);
  await page.locator('#login').fill(name);
  await page.locator('#password').fill(DEMO_PASSWORD);
  await page.locator('main button[type="submit"]').click();
  await page.waitForLoadState('load');
  await page.locator('#code').fill(await freshTotp(name));
  await page.locator('main button[type="submit"]').click();
  await page.waitForLoadState('load');
  return page;
}

// The figures computed from the cases' own rows (Chengguan, today).
function expected() {
  const start = Date.parse(`${today}T00:00:00+08:00`);
  const one = (q) => Number(server.sql(q)[0][0]);
  const sel = `division_code BETWEEN 540102000000 AND 540102999999 AND number IS NOT NULL AND submitted_at >= ${start}`;
  const received = one(`SELECT COUNT(*) FROM applications WHERE ${sel}`);
  const completed = one(`SELECT COUNT(*) FROM applications WHERE ${sel} AND state IN ('approved', 'denied')`);
  const onTime = one(`SELECT COUNT(*) FROM applications WHERE ${sel} AND state IN ('approved', 'denied') AND used_days <= limit_days`);
  const online = one(`SELECT COUNT(*) FROM applications WHERE ${sel} AND on_behalf = 0`);
  const pct = (a, b) => `${(Math.round((a * 1000) / b) / 10).toFixed(1)}%`;
  return { received: String(received), completed: String(completed), on_time_rate: pct(onTime, completed), online_rate: pct(online, received) };
}

for (const lang of ['zh', 'bo']) {
  test(`${lang}: the supervisor sees the overdue case on the dashboard and adds a note; the clerk answers; the auditor finds it`, async () => {
    const L = T[lang];
    const width = lang === 'zh' ? 1280 : 390;
    const ctx = await browser.newContext({ viewport: { width, height: 900 } });
    try {
      // the supervisor's dashboard for Chengguan: KPIs equal the cases'
      const sup = await loginPage(ctx, 'supervisor.xz');
      await sup.goto(`${srv.url}/dashboard?lang=${lang}&division=540102000000&from=${today}&to=${today}`);
      assert.equal(await sup.locator('main h1').innerText(), L.oversight.dash.title);
      const want = expected();
      for (const [k, v] of Object.entries(want))
        assert.equal(await sup.locator(`td.kpi-value[data-kpi="${k}"]`).innerText(), v, k);
      assert.ok((await sup.locator('svg.chart').count()) >= 4);
      // the 12345 section: today's orders in Chengguan, from the hotline's own rows
      const start = Date.parse(`${today}T00:00:00+08:00`);
      const orders = server.sql(`SELECT COUNT(*) FROM hotline_orders WHERE status <> 'merged' AND division_code BETWEEN 540102000000 AND 540102999999 AND created_at >= ${start}`)[0][0];
      await sup.getByRole('heading', { name: L.oversight.hotline.title }).waitFor();
      assert.equal(await sup.locator('td.kpi-value[data-hotline="received"]').innerText(), String(Number(orders)));
      await assertNoAxeViolations(sup, `${lang} dashboard`);
      if (lang === 'bo') for (const f of await renderedFonts(sup, 'main h1')) assert.match(f.familyName, TIBETAN_FONT);
      await sup.screenshot({ path: join(SHOTS, `oversight-${lang}-dashboard.png`), fullPage: true });
      // the received figure drills down to its cases: as many rows, the overdue case among them
      await sup.locator('td.kpi-value[data-kpi="received"] a').click();
      await sup.waitForLoadState('load');
      assert.equal(await sup.locator('main h1').innerText(), L.oversight.figures.names.received);
      assert.equal(String(await sup.locator('main table tbody tr').count()), want.received);
      assert.ok((await sup.locator('main table').innerText()).includes(overdue[lang]));
      await assertNoAxeViolations(sup, `${lang} cases behind a figure`);
      await sup.screenshot({ path: join(SHOTS, `oversight-${lang}-figures.png`), fullPage: true });
      await sup.getByRole('link', { name: L.oversight.figures.back }).click();
      await sup.waitForLoadState('load');
      // the Chengguan row's overdue count leads to the case
      const row = sup.locator('table.queue tbody tr').filter({ hasText: lang === 'zh' ? '拉萨市城关区民政局' : 'ཁྲིན་ཀོན་ཆུས་དམངས་སྲིད་ཅུས།' });
      await row.locator('a.overdue-count').click();
      await sup.waitForLoadState('load');
      assert.equal(await sup.locator('main h1').innerText(), L.oversight.cases.title);
      await assertNoAxeViolations(sup, `${lang} overdue cases`);
      await sup.getByRole('link', { name: overdue[lang], exact: true }).click();
      await sup.waitForURL(`${srv.url}/oversight/cases/${overdue[lang]}`);
      assert.ok((await sup.locator('main').innerText()).includes(L.oversight.marks.overdue));
      // a note without a text: the error; then the note
      await sup.getByLabel(L.oversight.notes.body, { exact: true }).fill('');
      await sup.getByRole('button', { name: L.oversight.notes.submit }).click();
      await sup.waitForLoadState('load');
      assert.equal(await sup.locator('.error-summary li').innerText(), L.errors.oversight.err.required);
      await assertNoAxeViolations(sup, `${lang} note with an error`);
      const note = lang === 'zh' ? '已超期三天，请尽快办结并说明原因。' : 'དུས་ཚོད་ཉིན་གསུམ་ཡོལ་ཟིན་པས་མྱུར་དུ་སྒྲུབ་རོགས།';
      await sup.getByLabel(L.oversight.notes.body, { exact: true }).fill(note);
      await sup.getByLabel(L.oversight.notes.days).fill('3');
      await sup.getByRole('button', { name: L.oversight.notes.submit }).click();
      await sup.waitForURL(`${srv.url}/oversight/cases/${overdue[lang]}?done=note_added`);
      assert.equal(await sup.locator('.flash').innerText(), L.done.note_added);
      await sup.screenshot({ path: join(SHOTS, `oversight-${lang}-note.png`), fullPage: true });
      await sup.close();
      await ctx.clearCookies();

      // the Chengguan clerk answers on the workbench
      const clerk = await loginPage(ctx, 'clerk.chengguan');
      await clerk.goto(`${srv.url}/workbench/supervision?lang=${lang}`);
      assert.equal(await clerk.locator('main h1').innerText(), L.oversight.notes.title);
      const item = clerk.locator('li.task').filter({ hasText: overdue[lang] });
      assert.ok((await item.innerText()).includes(note));
      await assertNoAxeViolations(clerk, `${lang} supervision workbench`);
      const answer = lang === 'zh' ? '申请材料已核实，今日受理并加快办理。' : 'ཡིག་ཆ་ར་སྤྲོད་ཟིན་པས་དེ་རིང་ལེན་ནས་མྱུར་དུ་སྒྲུབ་རྒྱུ།';
      await item.locator('textarea').fill(answer);
      await item.getByRole('button', { name: L.oversight.notes.respond }).click();
      await clerk.waitForURL(`${srv.url}/workbench/supervision?done=note_answered`);
      assert.equal(await clerk.locator('.flash').innerText(), L.done.note_answered);
      assert.ok((await clerk.locator('li.task').filter({ hasText: overdue[lang] }).innerText()).includes(answer));
      await clerk.screenshot({ path: join(SHOTS, `oversight-${lang}-answered.png`), fullPage: true });
      await clerk.close();
      await ctx.clearCookies();

      // the auditor finds the supervisor's note and verifies the chain
      const aud = await loginPage(ctx, 'auditor.xz');
      await aud.goto(`${srv.url}/admin/audit?lang=${lang}`);
      assert.equal(await aud.locator('main h1').innerText(), L.oversight.audit.title);
      await aud.getByLabel(L.oversight.audit.actor, { exact: true }).fill('supervisor.xz');
      await aud.getByLabel(L.oversight.audit.action, { exact: true }).fill('oversight.note');
      await aud.getByLabel(L.oversight.audit.object, { exact: true }).fill(overdue[lang]);
      await aud.getByRole('button', { name: L.oversight.audit.find }).click();
      await aud.waitForLoadState('load');
      const rows = aud.locator('table.audit tbody tr');
      assert.equal(await rows.count(), 1);
      assert.ok((await rows.first().innerText()).includes(`application:${overdue[lang]}`));
      await assertNoAxeViolations(aud, `${lang} audit desk`);
      await aud.getByRole('button', { name: L.oversight.audit.verify }).click();
      await aud.waitForLoadState('load');
      assert.equal(await aud.locator('.verification').getAttribute('data-state'), 'ok');
      assert.ok((await aud.locator('.verification').innerText()).includes(L.oversight.audit.states.ok));
      await aud.screenshot({ path: join(SHOTS, `oversight-${lang}-audit.png`), fullPage: true });
    } finally {
      await ctx.close();
    }
  });
}
