// tests/browser/agent.test.mjs - 帮办代办 with consent in a real browser (Debian's Chromium
// through playwright-core), by clicks: the citizen (zh, 1280 px) gives a family member a
// consent for one service on /account/agents; the agent (bo, 390 px) switches to acting for
// her, sees "acting for" on every page, files the service with her details pre-filled; the
// citizen sees the agent's act on "who used my data" and revokes the consent; the agent's
// next request is refused in Tibetan. axe finds nothing on the pages, no sideways scroll;
// screenshots in $OW_SHOTS or the system's temporary directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, renderedFonts, TIBETAN_FONT, assertNoAxeViolations } from '../lib/browser.mjs';
import { catalog } from '../lib/server.mjs';
import { demoServer } from '../lib/db.mjs';
import { Client } from '../lib/client.mjs';
import { idNumbers, phones } from '../lib/ids.mjs';

const SHOTS = process.env.OW_SHOTS || join(tmpdir(), 'ow-shots');
const T = { zh: catalog('zh'), bo: catalog('bo') };
const VIEW = { zh: { width: 1280, height: 900 }, bo: { width: 390, height: 844 } };
const ITEM = 'XZ-GA-005';
const ITEM_NAME = '无犯罪记录证明开具'; // as the consent lists show it
const PASSWORD = 'agent-browser-2026';
const newIdNumber = idNumbers({ birth: '19870203', seed: (process.pid * 17) % 900 });
const newPhone = phones('134');

let server, srv, browser;
const people = {};

async function register(name) {
  const c = new Client(srv);
  const person = { name, id: newIdNumber(), phone: newPhone() };
  const r = await c.submit('/register', { name, id_number: person.id, phone: person.phone, password: PASSWORD, password_again: PASSWORD }, '/register');
  assert.equal(r.status, 303, r.text);
  return person;
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await demoServer('agent-browser', { sqlite: true, timeout: 60000 });
  srv = server.srv;
  browser = await launch();
  people.citizen = await register('白玛央宗');
  people.agent = await register('次仁多吉');
});
after(async () => {
  await browser?.close();
  const r = await server?.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv?.log()}`);
});

// No sideways scroll, nothing axe can find, and a screenshot to look at.
async function look(page, label) {
  await page.waitForLoadState('load');
  const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(sw <= iw, `${label}: sideways scroll (${sw} > ${iw})`);
  await assertNoAxeViolations(page, label);
  await page.screenshot({ path: join(SHOTS, `agent-${label}.png`), fullPage: true });
}

async function loginAs(lang, person) {
  const t = T[lang];
  const context = await browser.newContext({ viewport: VIEW[lang] });
  const page = await context.newPage();
  await page.goto(`${srv.url}/login?lang=${lang}`);
  await page.getByLabel(t.identity.fields.login, { exact: true }).fill(person.phone);
  await page.getByLabel(t.identity.fields.password, { exact: true }).fill(PASSWORD);
  await page.locator('main').getByRole('button', { name: t.identity.login.submit }).click();
  await page.waitForURL(`${srv.url}/account`);
  return { context, page };
}

test('the citizen grants (zh), the agent acts and files (bo), the citizen sees it and revokes, the agent is refused', async () => {
  const zh = T.zh, bo = T.bo;
  const citizen = await loginAs('zh', people.citizen);
  const agent = await loginAs('bo', people.agent);
  try {
    // The citizen: from the account menu to the consent form.
    const c = citizen.page;
    await c.locator('nav.me').getByRole('link', { name: zh.menu.agents }).click();
    await c.waitForURL(`${srv.url}/account/agents`);
    assert.equal(await c.locator('main h1').innerText(), zh.agent.title);
    await c.getByLabel(zh.agent.fields.agent).fill(people.agent.phone);
    await c.getByLabel(zh.agent.fields.scope).fill(ITEM);
    await c.getByLabel(zh.agent.fields.days).fill('30');
    await c.getByRole('button', { name: zh.agent.grant, exact: true }).click();
    await c.waitForURL(`${srv.url}/account/agents?done=agent_granted`);
    assert.equal(await c.locator('.flash').innerText(), zh.done.agent_granted);
    const given = await c.locator('#consents-given').innerText();
    assert.ok(given.includes(people.agent.name) && given.includes(ITEM_NAME) && given.includes(zh.agent.states.active), given);
    await look(c, 'zh-citizen-granted');

    // The agent, in Tibetan on a phone: act for her.
    const a = agent.page;
    await a.goto(`${srv.url}/account/agents`);
    assert.equal(await a.locator('main h1').innerText(), bo.agent.title);
    for (const f of await renderedFonts(a, 'main h1')) assert.match(f.familyName, TIBETAN_FONT);
    assert.ok((await a.locator('#consents-to-me').innerText()).includes(people.citizen.name));
    await a.locator('#consents-to-me').getByRole('button', { name: bo.agent.act }).click();
    await a.waitForURL(`${srv.url}/account/agents?done=agent_acting`);
    assert.ok((await a.locator('#acting-now').innerText()).includes(people.citizen.name));
    await look(a, 'bo-agent-acting');

    // Every page says for whom; the form is hers.
    await a.goto(`${srv.url}/services/${ITEM}/apply`);
    assert.ok((await a.locator('.acting-banner').innerText()).includes(people.citizen.name));
    assert.equal(await a.locator('#f_applicant_name').inputValue(), people.citizen.name);
    assert.equal(await a.locator('#f_applicant_id').inputValue(), people.citizen.id);
    await a.locator('#f_purpose').fill('出国留学');
    await a.locator('#m_id_card').setInputFiles({ name: 'id.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% test\n') });
    await look(a, 'bo-agent-form');
    await a.getByRole('button', { name: bo.apply.form.submit, exact: true }).click();
    await a.waitForURL(/\/applications\/\d+\/receipt$/);
    const number = /\/applications\/(\d+)\/receipt$/.exec(a.url())[1];

    // The citizen sees it: her application, and the agent's act on "who used my data".
    await c.goto(`${srv.url}/account/data-use`);
    const use = await c.locator('main').innerText();
    assert.ok(use.includes(number) && use.includes(people.agent.name) && use.includes(zh.exchange.data_use.kinds.agent), use);
    await look(c, 'zh-citizen-data-use');
    // ... and revokes.
    await c.locator('nav.me').getByRole('link', { name: zh.menu.agents }).click();
    await c.locator('#consents-given').getByRole('button', { name: zh.agent.revoke }).click();
    await c.waitForURL(`${srv.url}/account/agents?done=agent_revoked`);
    assert.ok((await c.locator('#consents-given').innerText()).includes(zh.agent.states.revoked));
    await look(c, 'zh-citizen-revoked');

    // The agent's next request is refused, in Tibetan.
    const refused = await a.goto(`${srv.url}/services/${ITEM}/apply`);
    assert.equal(refused.status(), 403);
    assert.ok((await a.locator('main').innerText()).includes(bo.errors.agent.consent_revoked));
    await look(a, 'bo-agent-refused');
    // The way back: stop acting.
    await a.goto(`${srv.url}/account/agents`);
    assert.ok((await a.locator('#acting-refused').innerText()).includes(bo.errors.agent.consent_revoked));
    await a.locator('#acting-refused').getByRole('button', { name: bo.agent.stop }).click();
    await a.waitForURL(`${srv.url}/account/agents?done=agent_stopped`);
    assert.equal(await a.locator('#acting-refused').count(), 0);
  } finally {
    await citizen.context.close();
    await agent.context.close();
  }
});
