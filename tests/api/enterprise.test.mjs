// tests/api/enterprise.test.mjs - enterprise accounts (法人账户) over HTTP (issue 3, part 1):
// a citizen registers an enterprise by its unified social credit code (GB 32100, every
// field error at once), as legal representative or agent; the legal representative adds
// agents by citizen ID number and removes them; agents cannot; outsiders get 404 so that
// enterprise ids cannot be probed; every change is audited with the source address; the
// demo enterprise of 扎西多吉.
//
// One server for the file, on a database of its own (a fresh SQLite file, or in the
// PostgreSQL pass a fresh database made with psql), as identity.test.mjs does; `init` and
// `demo` run first, everything with --insecure-fast-passwords 1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { run, catalog } from '../lib/server.mjs';
import { Client as BaseClient, FAST, DEMO_PASSWORD, DEMO_CITIZEN_ID } from '../lib/client.mjs';
import { demoServer } from '../lib/db.mjs';
import { idNumbers, phones, maskId, usccs } from '../lib/ids.mjs';

const T = { zh: catalog('zh') };
const DEMO_USCC = '92540102MA6T0XY2KQ';

// ---- identifiers ----------------------------------------------------------------------------

const newIdNumber = idNumbers({ birth: '19920304' });
const newPhone = phones('137');
const newUscc = usccs();

// ---- a client with a cookie jar ----------------------------------------------------------------

let srv;

// A client of this file's server; forms carry the session's token (/api/v1/account) by default.
class Client extends BaseClient {
  constructor() { super(srv, { page: '/api/v1/account' }); }
  registerEnterprise(fields, opts) {
    return this.submit('/account/enterprises', fields, { page: '/account/enterprises/new', ...opts });
  }
  addAgent(enterpriseId, idNumber, opts) {
    return this.submit(`/account/enterprises/${enterpriseId}/agents`, { id_number: idNumber }, opts);
  }
  removeAgent(enterpriseId, accountId, opts) {
    return this.submit(`/account/enterprises/${enterpriseId}/agents/${accountId}/remove`, {}, opts);
  }
}

// A citizen registered and logged in: {id, name, client, accountId}.
async function newCitizen(name) {
  const c = new Client();
  const id = newIdNumber();
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const r = await c.submit('/register', { name, id_number: id, phone: newPhone(), password, password_again: password }, { page: '/register' });
  assert.equal(r.status, 303, r.text);
  const me = await c.get('/api/v1/account');
  assert.equal(me.status, 200);
  return { id, name, client: c, accountId: me.body.account.id };
}

// A legal representative with a freshly registered enterprise: {rep, uscc, enterpriseId}.
async function newEnterprise(name = '拉萨测试商贸有限公司') {
  const rep = await newCitizen('白玛');
  const uscc = newUscc();
  const r = await rep.client.registerEnterprise({ uscc, name, legal_rep: rep.name, role: 'legal_rep' });
  assert.equal(r.status, 303, r.text);
  const m = /^\/account\/enterprises\/(\d+)$/.exec(r.location);
  assert.ok(m, r.location);
  return { rep, uscc, enterpriseId: m[1] };
}

// ---- the database ------------------------------------------------------------------------------

let tmp, dbUrl, db;
const sql = (query) => db.sql(query);

before(async () => {
  db = await demoServer('enterprise');
  ({ srv, data: tmp, db: dbUrl } = db);
});

after(async () => {
  if (srv) {
    const r = await db.stop();
    assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
  }
});

// ---- registration ------------------------------------------------------------------------------

test('register: every field error at once (422), values kept', async () => {
  const { client } = await newCitizen('次旦');
  const good = newUscc();
  const badCheck = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
  const r = await client.registerEnterprise({ uscc: badCheck, name: '  ', legal_rep: '', role: 'boss' });
  assert.equal(r.status, 422, r.text);
  assert.deepEqual(r.body.errors.map((e) => [e.field, e.code]), [
    ['uscc', 'identity.uscc_check'],
    ['name', 'identity.enterprise_name_missing'],
    ['legal_rep', 'identity.legal_rep_missing'],
    ['role', 'identity.enterprise_role_invalid'],
  ]);
  for (const e of r.body.errors) assert.equal(e.message, T.zh.errors.identity[e.code.split('.')[1]], e.code);
  assert.equal(r.body.has_errors, true);
  assert.deepEqual(r.body.values, { uscc: badCheck, name: '  ', legal_rep: '', role: 'boss' });

  const len = await client.registerEnterprise({ uscc: 'ABC', name: 'x'.repeat(101), legal_rep: '甲', role: 'agent' });
  assert.equal(len.status, 422);
  assert.deepEqual(len.body.errors.map((e) => e.code), ['identity.uscc_length', 'identity.enterprise_name_long']);
  const chars = await client.registerEnterprise({ uscc: `${good.slice(0, 17)}I`, name: '乙', legal_rep: '甲', role: 'agent' });
  assert.deepEqual(chars.body.errors.map((e) => e.code), ['identity.uscc_chars']);

  // The page: a summary linking every error to its field; the values in the inputs.
  const page = await client.registerEnterprise({ uscc: badCheck, name: '', legal_rep: '', role: '' }, { json: false });
  assert.equal(page.status, 422);
  const summary = /<div class="error-summary" role="alert"[^>]*>([\s\S]*?)<\/div>/.exec(page.text);
  assert.ok(summary, 'an error summary');
  const links = [...summary[1].matchAll(/<li><a href="#([a-z_]+)">/g)].map((m) => m[1]);
  assert.deepEqual(links, ['uscc', 'name', 'legal_rep', 'role']);
  assert.match(page.text, new RegExp(`<input id="uscc" name="uscc"[^>]* value="${badCheck}"`));
  assert.equal(sql(`SELECT count(*) FROM enterprises WHERE uscc = '${badCheck}'`)[0][0], '0');
});

test('register: a good one is stored with its registrant as legal representative and listed on the account', async () => {
  const rep = await newCitizen('罗布');
  const uscc = newUscc();
  const r = await rep.client.registerEnterprise({ uscc: uscc.toLowerCase(), name: ' 拉萨罗布商店 ', legal_rep: '罗布', role: 'legal_rep' });
  assert.equal(r.status, 303, r.text);
  const id = /^\/account\/enterprises\/(\d+)$/.exec(r.location)[1];

  const list = await rep.client.get('/api/v1/account/enterprises');
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.enterprises, [{
    id, uscc, name: '拉萨罗布商店', legal_rep: '罗布', role: 'legal_rep',
    role_label: T.zh.enterprise.roles.legal_rep, url: `/account/enterprises/${id}`,
  }]);
  const acc = await rep.client.get('/api/v1/account');
  assert.deepEqual(acc.body.enterprises, list.body.enterprises, 'the account model lists them too');
  const page = await rep.client.get('/account', { json: false });
  assert.ok(page.text.includes(`<a href="/account/enterprises/${id}">拉萨罗布商店</a>`), 'the account page links it');
  assert.ok(page.text.includes(`<code>${uscc}</code>`));
  assert.ok(page.text.includes('href="/account/enterprises/new"'));

  const show = await rep.client.get(`/api/v1/account/enterprises/${id}`);
  assert.equal(show.status, 200);
  assert.equal(show.body.enterprise.id, id, '64-bit ids as strings');
  assert.equal(show.body.is_legal_rep, true);
  assert.deepEqual(show.body.members, [{
    account_id: rep.accountId, name: '罗布', id_number: maskId(rep.id), role: 'legal_rep',
    role_label: T.zh.enterprise.roles.legal_rep, removable: false,
  }]);
  assert.ok(!show.text.includes(rep.id), 'ID numbers are masked');
  const html = await rep.client.get(`/account/enterprises/${id}`, { json: false });
  assert.equal(html.status, 200);
  assert.ok(html.text.includes(`<code>${maskId(rep.id)}</code>`));
  assert.match(html.text, new RegExp(`<form method="post" action="/account/enterprises/${id}/agents"`));
  // Its division is the one the code names (Chengguan).
  assert.deepEqual(sql(`SELECT division_code FROM enterprises WHERE id = ${id}`), [['540102000000']]);
});

test('register: a credit code already registered is identity.uscc_taken; as agent the registrant is an agent', async () => {
  const { uscc } = await newEnterprise();
  const other = await newCitizen('多布杰');
  const r = await other.client.registerEnterprise({ uscc, name: '另一家', legal_rep: '某人', role: 'legal_rep' });
  assert.equal(r.status, 422);
  assert.deepEqual(r.body.errors.map((e) => [e.field, e.code]), [['uscc', 'identity.uscc_taken']]);
  assert.equal(sql(`SELECT count(*) FROM enterprises WHERE uscc = '${uscc}'`)[0][0], '1');

  const mine = await other.client.registerEnterprise({ uscc: newUscc(), name: '代办公司', legal_rep: '老板', role: 'agent' });
  assert.equal(mine.status, 303, mine.text);
  const list = await other.client.get('/api/v1/account/enterprises');
  assert.deepEqual(list.body.enterprises.map((e) => [e.name, e.role]), [['代办公司', 'agent']]);
});

test('register: needs a login and the CSRF token', async () => {
  const anon = new Client();
  const r = await anon.get('/api/v1/account/enterprises');
  assert.equal(r.status, 401);
  const page = await anon.get('/account/enterprises/new', { json: false });
  assert.equal(page.status, 303);
  assert.equal(page.location, '/login?next=%2Faccount%2Fenterprises%2Fnew');
  const { client } = await newCitizen('无令牌');
  const uscc = newUscc();
  const no = await client.post('/account/enterprises', { uscc, name: 'n', legal_rep: 'r', role: 'agent' });
  assert.equal(no.status, 403);
  assert.equal(no.body.code, 'http.csrf');
  assert.equal(sql(`SELECT count(*) FROM enterprises WHERE uscc = '${uscc}'`)[0][0], '0');
});

// ---- agents ------------------------------------------------------------------------------------

test('agents: the legal representative adds by ID number (unknown, invalid, duplicate refused), agents see it', async () => {
  const { rep, enterpriseId } = await newEnterprise('拉萨加措建材有限公司');
  const unknown = await rep.client.addAgent(enterpriseId, newIdNumber());
  assert.equal(unknown.status, 422, unknown.text);
  assert.deepEqual(unknown.body.errors.map((e) => [e.field, e.code, e.message]),
    [['id_number', 'identity.agent_unknown', T.zh.errors.identity.agent_unknown]]);
  assert.equal(unknown.body.members.length, 1, 'the page comes back with its members');
  const bad = await rep.client.addAgent(enterpriseId, '540102199203041230');
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.body.errors.map((e) => e.code), ['identity.id_check']);

  const agent = await newCitizen('加措');
  const ok = await rep.client.addAgent(enterpriseId, agent.id.toLowerCase());
  assert.equal(ok.status, 303, ok.text);
  assert.equal(ok.location, `/account/enterprises/${enterpriseId}?done=agent_add`);
  const again = await rep.client.addAgent(enterpriseId, agent.id);
  assert.deepEqual(again.body.errors.map((e) => e.code), ['identity.agent_already']);
  const self = await rep.client.addAgent(enterpriseId, rep.id);
  assert.deepEqual(self.body.errors.map((e) => e.code), ['identity.agent_already']);

  const show = await rep.client.get(`/api/v1/account/enterprises/${enterpriseId}`);
  assert.deepEqual(show.body.members.map((m) => [m.name, m.id_number, m.role, m.removable]), [
    [rep.name, maskId(rep.id), 'legal_rep', false],
    ['加措', maskId(agent.id), 'agent', true],
  ]);
  assert.equal(show.body.members[1].remove_url, `/account/enterprises/${enterpriseId}/agents/${agent.accountId}/remove`);

  const theirs = await agent.client.get('/api/v1/account/enterprises');
  assert.deepEqual(theirs.body.enterprises.map((e) => [e.id, e.role]), [[enterpriseId, 'agent']]);
  const seen = await agent.client.get(`/api/v1/account/enterprises/${enterpriseId}`);
  assert.equal(seen.status, 200);
  assert.equal(seen.body.is_legal_rep, false);
  assert.ok(seen.body.members.every((m) => !m.removable && !m.remove_url));
  const html = await agent.client.get(`/account/enterprises/${enterpriseId}`, { json: false });
  assert.equal(html.status, 200);
  assert.ok(!html.text.includes(`/enterprises/${enterpriseId}/agents"`), 'no add form for an agent');
});

test('agents: an agent can neither add nor remove (403); outsiders get 404 on the page, its JSON and the forms', async () => {
  const { rep, enterpriseId } = await newEnterprise();
  const agent = await newCitizen('旺堆');
  const other = await newCitizen('平措');
  assert.equal((await rep.client.addAgent(enterpriseId, agent.id)).status, 303);

  const add = await agent.client.addAgent(enterpriseId, other.id);
  assert.equal(add.status, 403, add.text);
  assert.equal(add.body.code, 'identity.forbidden');
  const rm = await agent.client.removeAgent(enterpriseId, agent.accountId);
  assert.equal(rm.status, 403);
  const rmRep = await agent.client.removeAgent(enterpriseId, rep.accountId);
  assert.equal(rmRep.status, 403);

  for (const path of [`/api/v1/account/enterprises/${enterpriseId}`, `/account/enterprises/${enterpriseId}`]) {
    const r = await other.client.get(path);
    assert.equal(r.status, 404, path);
    assert.equal(r.body.code, 'identity.enterprise_not_found');
  }
  const html = await other.client.get(`/account/enterprises/${enterpriseId}`, { json: false });
  assert.equal(html.status, 404);
  assert.ok(!html.text.includes(rep.name), 'nothing of it is shown');
  const none = await other.client.get('/api/v1/account/enterprises/1');
  assert.equal(none.status, 404, 'a missing id answers the same');
  assert.equal((await other.client.addAgent(enterpriseId, other.id)).status, 404);
  assert.equal((await other.client.removeAgent(enterpriseId, agent.accountId)).status, 404);
  const members = sql(`SELECT count(*) FROM enterprise_agents WHERE enterprise_id = ${enterpriseId}`);
  assert.deepEqual(members, [['2']], 'nothing changed');
});

test('agents: the legal representative removes an agent, never themself; audit records with the address', async () => {
  const { rep, uscc, enterpriseId } = await newEnterprise();
  const agent = await newCitizen('索朗');
  assert.equal((await rep.client.addAgent(enterpriseId, agent.id)).status, 303);
  const stays = await rep.client.removeAgent(enterpriseId, rep.accountId);
  assert.equal(stays.status, 409);
  assert.equal(stays.body.code, 'identity.legal_rep_stays');
  const r = await rep.client.removeAgent(enterpriseId, agent.accountId);
  assert.equal(r.status, 303, r.text);
  assert.equal(r.location, `/account/enterprises/${enterpriseId}?done=agent_remove`);
  const gone = await rep.client.removeAgent(enterpriseId, agent.accountId);
  assert.equal(gone.status, 404);
  assert.equal((await agent.client.get(`/api/v1/account/enterprises/${enterpriseId}`)).status, 404, 'the agent has lost access');
  const show = await rep.client.get(`/api/v1/account/enterprises/${enterpriseId}`);
  assert.deepEqual(show.body.members.map((m) => m.role), ['legal_rep']);

  // The agent's attempt after removal is no membership: 404, and not audited as denied.
  const rows = sql(`SELECT action, outcome, actor_id, source_ip, detail FROM audit_events WHERE object = 'enterprise:${enterpriseId}' ORDER BY id`);
  assert.deepEqual(rows, [
    ['identity.enterprise_register', 'ok', rep.accountId, '127.0.0.1', 'legal_rep'],
    ['identity.agent_add', 'ok', rep.accountId, '127.0.0.1', `account:${agent.accountId}`],
    ['identity.agent_remove', 'ok', rep.accountId, '127.0.0.1', `account:${agent.accountId}`],
  ]);
  const audit = sql('SELECT detail FROM audit_events').map((x) => x.join('')).join('\n');
  assert.ok(!audit.includes(agent.id) && !audit.includes(rep.id), 'no ID numbers in the audit trail');
  assert.equal(sql(`SELECT count(*) FROM enterprises WHERE uscc = '${uscc}'`)[0][0], '1');
});

test('agents: refused management by an agent is audited as denied', async () => {
  const { rep, enterpriseId } = await newEnterprise();
  const agent = await newCitizen('次仁');
  assert.equal((await rep.client.addAgent(enterpriseId, agent.id)).status, 303);
  assert.equal((await agent.client.addAgent(enterpriseId, rep.id)).status, 403);
  assert.equal((await agent.client.removeAgent(enterpriseId, agent.accountId)).status, 403);
  const rows = sql(`SELECT action, outcome, actor_id FROM audit_events WHERE object = 'enterprise:${enterpriseId}' AND outcome = 'denied' ORDER BY id`);
  assert.deepEqual(rows, [
    ['identity.agent_add', 'denied', agent.accountId],
    ['identity.agent_remove', 'denied', agent.accountId],
  ]);
});

// ---- the demo ----------------------------------------------------------------------------------

test('demo: 扎西多吉 is the legal representative of 拉萨市城关区雪域电器经营部', async () => {
  const c = new Client();
  const r = await c.submit('/login', { login: DEMO_CITIZEN_ID, password: DEMO_PASSWORD }, { page: '/login' });
  assert.equal(r.status, 303, r.text);
  const list = await c.get('/api/v1/account/enterprises');
  assert.deepEqual(list.body.enterprises.map((e) => [e.name, e.uscc, e.legal_rep, e.role]),
    [['拉萨市城关区雪域电器经营部', DEMO_USCC, '扎西多吉', 'legal_rep']]);
  // Loading the demo again changes nothing.
  const again = run(['demo', '--data', tmp, '--db', dbUrl, ...FAST]);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(sql(`SELECT count(*) FROM enterprises WHERE uscc = '${DEMO_USCC}'`), [['1']]);
});
