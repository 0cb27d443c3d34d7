// tests/browser/review.test.mjs - 好差评 in a real browser (Debian's Chromium through
// playwright-core), in zh and bo: on an application decided through apply's real workflow
// (set up over HTTP), the citizen opens the rating page from the message in the inbox, sends
// the form without a level and gets the error, rates 不满意 with a comment; the reviewer of the
// department logs in with TOTP, finds the task on the rectification workbench and answers it;
// the citizen reads the answer and rates again in Tibetan; the public statistics show both
// rounds and state the formula. axe finds nothing on the rating, workbench, inbox and
// statistics pages; Tibetan is drawn with a Tibetan font. Screenshots in tests/browser/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { launch, renderedFonts, TIBETAN_FONT } from '../lib/browser.mjs';
import { startServer, run, ROOT, catalog } from '../lib/server.mjs';

const SHOTS = join(ROOT, 'tests', 'browser', 'screenshots');
const FAST = ['--insecure-fast-passwords', '1'];
const T = { zh: catalog('zh'), bo: catalog('bo') };
const DEMO_PASSWORD = 'Demo-2026-xz';
const DEMO_CITIZEN_ID = '540102199001011233';
const DEMO_TOTP = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

function totp(step) {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, acc = 0;
  const key = [];
  for (const ch of DEMO_TOTP) {
    acc = (acc << 5) | A.indexOf(ch);
    bits += 5;
    if (bits >= 8) { key.push((acc >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', Buffer.from(key)).update(msg).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}
const used = new Map();
function code(account) {
  const now = Math.floor(Date.now() / 30000);
  const step = Math.max(now, (used.get(account) ?? -Infinity) + 1);
  used.set(account, step);
  return totp(step);
}

// ---- set-up over HTTP: a decided application -------------------------------------------------
class Api {
  constructor() { this.jar = new Map(); }
  async req(method, path, { form, multipart, csrf } = {}) {
    const headers = { accept: 'application/json' };
    if (this.jar.size) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (csrf) headers['x-csrf-token'] = csrf;
    let body = multipart;
    if (form) { body = new URLSearchParams(form).toString(); headers['content-type'] = 'application/x-www-form-urlencoded'; }
    const res = await fetch(`${srv.url}${path}`, { method, headers, body, redirect: 'manual' });
    for (const raw of res.headers.getSetCookie()) {
      const [pair] = raw.split(';');
      const eq = pair.indexOf('=');
      const v = pair.slice(eq + 1);
      if (v === '') this.jar.delete(pair.slice(0, eq)); else this.jar.set(pair.slice(0, eq), v);
    }
    const text = await res.text();
    return { status: res.status, text, body: /json/.test(res.headers.get('content-type') || '') ? JSON.parse(text) : null };
  }
  async csrf() {
    const r = await this.req('GET', '/api/v1/messages');
    return r.status === 200 ? r.body.csrf : (await this.req('GET', '/login')).body.csrf;
  }
  async post(path, form) { return this.req('POST', path, { form, csrf: await this.csrf() }); }
  async login(name, staff) {
    assert.equal((await this.post('/login', { login: name, password: DEMO_PASSWORD })).status, 303);
    if (staff) {
      const csrf = (await this.req('GET', '/login/second-factor')).body.csrf;
      assert.equal((await this.req('POST', '/login/second-factor', { form: { code: code(name) }, csrf })).status, 303);
    }
    return this;
  }
}

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const idNumber = () => { const f = `54010219920203${String(process.pid % 1000).padStart(3, '0')}`; return f + '10X98765432'[[...f].reduce((s, c, i) => s + Number(c) * WEIGHTS[i], 0) % 11]; };

async function decidedApplication() {
  const citizen = await new Api().login(DEMO_CITIZEN_ID, false);
  const fd = new FormData();
  const day = new Date(Date.now() + 8 * 3600e3 + 10 * 86400e3).toISOString().slice(0, 10);
  const fields = { f_male_name: '扎西多吉', f_male_id: DEMO_CITIZEN_ID, f_female_name: '卓玛', f_female_id: idNumber(),
    f_appointment_date: day, f_phone: '13800000001', f_declaration: 'on', _division: '540102000000' };
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  const pdf = Buffer.from('%PDF-1.4\n%%EOF\n');
  for (const key of ['id_card', 'household_register', 'photo'])
    for (let i = 0; i < 3; i++) fd.append(`m_${key}`, new Blob([pdf], { type: 'application/pdf' }), `${key}${i}.pdf`);
  const r = await citizen.req('POST', '/api/v1/services/XZ-MZ-001/apply', { multipart: fd, csrf: await citizen.csrf() });
  assert.equal(r.status, 201, r.text);
  const number = r.body.number;
  const id = (await citizen.req('GET', `/api/v1/applications/${number}`)).body.id;
  const clerk = await new Api().login('clerk.chengguan', true);
  const reviewer = await new Api().login('reviewer.chengguan', true);
  for (const [who, action] of [[clerk, 'accept'], [reviewer, 'review'], [reviewer, 'approve']]) {
    const a = await who.post(`/api/v1/applications/${number}/act`, { action, note: '' });
    assert.ok(a.status === 200 || a.status === 303, a.text);
  }
  return { number, id };
}

let srv, browser, tmp, app;
before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), 'ow-review-browser-'));
  const db = `sqlite:${tmp}/onewindow.db`;
  for (const cmd of ['init', 'demo']) {
    const r = run([cmd, '--data', tmp, '--db', db, ...FAST], { timeout: 60000 });
    assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
  }
  srv = await startServer({ init: false, data: tmp, db, args: FAST });
  browser = await launch();
  app = await decidedApplication();
});
after(async () => {
  await browser?.close();
  const r = await srv?.stop();
  rmSync(tmp, { recursive: true, force: true });
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv?.log()}`);
});

async function noAxe(page, label) {
  const results = await new AxeBuilder({ page }).analyze();
  const summary = results.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary}`).join('\n')}`);
  assert.deepEqual(summary, [], `axe violations on the ${label} page:\n${summary.join('\n')}`);
}

async function loginPage(context, name, staff, lang) {
  const page = await context.newPage();
  await page.goto(`${srv.url}/login?lang=${lang}`);
  await page.locator('#login').fill(name);
  await page.locator('#password').fill(DEMO_PASSWORD);
  await page.locator('main button[type="submit"]').click();
  await page.waitForLoadState('load');
  if (staff) {
    await page.locator('#code').fill(code(name));
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
    await noAxe(page, 'zh rating');
    // without a level: the error, the comment kept
    await page.getByLabel(zh.review.comment).fill('窗口排队太久');
    await page.getByRole('button', { name: zh.review.submit }).click();
    await page.waitForLoadState('load');
    const summary = page.locator('.error-summary[role="alert"]');
    await summary.waitFor();
    assert.equal(await summary.locator('li').innerText(), zh.errors.review.bad_level);
    assert.equal(await page.getByLabel(zh.review.comment).inputValue(), '窗口排队太久');
    await noAxe(page, 'zh rating with an error');
    await page.getByLabel(zh.review.levels['2'], { exact: true }).check();
    await page.getByRole('button', { name: zh.review.submit }).click();
    await page.waitForURL(`${srv.url}/reviews/${app.id}?done=1`);
    assert.ok((await page.locator('main').innerText()).includes(zh.review.done));
    await page.screenshot({ path: join(SHOTS, 'review-zh-rated.png'), fullPage: true });

    // the reviewer answers on the workbench
    const staff = await loginPage(staffCtx, 'reviewer.chengguan', true, 'zh');
    await staff.goto(`${srv.url}/messages`);
    assert.ok((await staff.locator('main').innerText()).includes('XZ-MZ-001'));
    await noAxe(staff, 'zh staff inbox');
    await staff.goto(`${srv.url}/workbench/rectifications`);
    assert.equal(await staff.locator('main h1').innerText(), zh.review.tasks.title);
    assert.ok((await staff.locator('main').innerText()).includes('窗口排队太久'));
    await noAxe(staff, 'zh workbench');
    await staff.getByLabel(zh.review.response).fill('已增设窗口并开通网上预约。');
    await staff.getByRole('button', { name: zh.review.tasks.respond }).click();
    await staff.waitForURL(`${srv.url}/workbench/rectifications`);
    assert.ok((await staff.locator('main').innerText()).includes(zh.review.status.responded));
    await staff.screenshot({ path: join(SHOTS, 'review-zh-workbench.png'), fullPage: true });

    // the citizen, now in Tibetan, follows the message and rates again
    await page.goto(`${srv.url}/messages?lang=bo`);
    assert.equal(await page.locator('main h1').innerText(), bo.notify.title);
    await noAxe(page, 'bo inbox');
    await page.locator('main a[href="/reviews/' + app.id + '"]').first().click();
    await page.waitForURL(`${srv.url}/reviews/${app.id}`);
    assert.ok((await page.locator('main').innerText()).includes('已增设窗口并开通网上预约。'));
    const fonts = await renderedFonts(page, 'main h1');
    for (const f of fonts) assert.match(f.familyName, TIBETAN_FONT, JSON.stringify(fonts));
    await noAxe(page, 'bo rating, second round');
    await page.getByLabel(bo.review.levels['4'], { exact: true }).check();
    await page.getByRole('button', { name: bo.review.submit }).click();
    await page.waitForURL(`${srv.url}/reviews/${app.id}?done=1`);
    assert.equal(await page.getByRole('button', { name: bo.review.submit }).count(), 0, 'rated: no more form');
    await page.screenshot({ path: join(SHOTS, 'review-bo-second-round.png'), fullPage: true });

    // the public statistics
    await page.goto(`${srv.url}/ratings?lang=zh`);
    const text = await page.locator('main').innerText();
    assert.ok(text.includes(zh.review.stats.formula));
    assert.ok(text.includes('50.0%'), text);
    assert.ok(text.includes('1 / 1'), text);
    await noAxe(page, 'zh statistics');
    await page.goto(`${srv.url}/ratings?lang=bo`);
    await noAxe(page, 'bo statistics');
    await page.screenshot({ path: join(SHOTS, 'ratings-bo.png'), fullPage: true });
  } finally {
    await citizenCtx.close();
    await staffCtx.close();
  }
});
