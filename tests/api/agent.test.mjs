// tests/api/agent.test.mjs - 帮办代办 with consent over HTTP (issue 13 item 8): a citizen
// gives a family member a consent for one service and a time; the agent switches to acting
// for them and files in their name (the case, the audit record and the act name both; the
// citizen sees it on /account/data-use; a department system's tokens carry the RFC 8693
// `act` claim, checked with openid-client and jose); the refusals (no consent, another service, expiry,
// revocation - each checked on the next request, not only at the switch); nobody reads or
// revokes another's consents; the demo consent.
//
// One server for the file, on a database of its own (SQLite, or PostgreSQL when
// ONEWINDOW_TEST_PG_URL is set), after `init` and `demo`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { catalog } from '../lib/server.mjs';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { Client, login as loginAs, DEMO_CITIZEN_ID, hiddenFields, csrfOf } from '../lib/client.mjs';
import { demoServer } from '../lib/db.mjs';
import { idNumbers, phones } from '../lib/ids.mjs';

const ZH = catalog('zh');
const BO = catalog('bo');
const ITEM = 'XZ-GA-005'; // 无犯罪记录证明: four fields, the ID card
const OTHER_ITEM = 'XZ-MZ-001';
const ELDER_ID = '540102194203152015'; // 次仁, the demo consent's citizen

const newIdNumber = idNumbers({ birth: '19880708', seed: (process.pid * 13) % 900 });
const newPhone = phones('135');
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(200)]);

let srv, db;
const sql = (q) => db.sql(q);

const client = () => new Client(srv, { page: '/api/v1/account/agents', uploadPage: `/api/v1/services/${ITEM}/apply` });

// A citizen registered and logged in: {c, id, phone, name, accountId}.
async function newCitizen(name) {
  const c = client();
  const id = newIdNumber();
  const phone = newPhone();
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const r = await c.submit('/register', { name, id_number: id, phone, password, password_again: password }, '/register');
  assert.equal(r.status, 303, r.text);
  const me = await c.get('/api/v1/account');
  return { c, id, phone, name, accountId: me.body.account.id };
}

const grant = (who, fields) => who.c.submit('/api/v1/account/agents', fields);
const act = (who, consent) => who.c.submit('/api/v1/account/acting', { consent });
const fileFor = (who, item = ITEM, extra = {}) => who.c.upload(`/api/v1/services/${item}/apply`, {
  _division: '540102000000', f_applicant_name: 'x', f_applicant_id: 'x', f_phone: '13800000009',
  f_purpose: '出国留学', ...extra,
}, [{ name: 'm_id_card', filename: 'id.pdf', type: 'application/pdf', data: PDF }],
{ page: '/api/v1/account' });

before(async () => {
  db = await demoServer('agent');
  srv = db.srv;
});

after(async () => {
  if (srv) {
    const r = await db.stop();
    assert.deepEqual(r, { code: 0, signal: null }, srv.log());
  }
});

test('the demo consent: 次仁 lets 扎西多吉 file his pension claim', async () => {
  const elder = await loginAs(srv, ELDER_ID, { client: client() });
  const mine = await elder.get('/api/v1/account/agents');
  assert.equal(mine.status, 200, mine.text);
  assert.equal(mine.body.given.length, 1);
  assert.equal(mine.body.given[0].agent_name, '扎西多吉');
  assert.equal(mine.body.given[0].scope, 'XZ-RS-003');
  assert.equal(mine.body.given[0].scope_label, '城乡居民养老保险待遇申领', 'the service by name');
  const bo = await elder.get('/api/v1/account/agents?lang=bo');
  assert.equal(bo.body.given[0].scope_label, 'གྲོང་ཁྱེར་དང་གྲོང་གསེབ་ཀྱི་སྡོད་དམངས་རྒས་གསོ་འགན་ལེན་ཐོབ་དངུལ་ཞུ་ལེན།');
  assert.equal(mine.body.given[0].state, 'active');
  assert.match(mine.body.given[0].agent_id_number, /^5401\*+1233$/, 'the agent\'s ID number is masked');
  const agent = await loginAs(srv, DEMO_CITIZEN_ID, { client: client() });
  const toMe = await agent.get('/api/v1/account/agents');
  assert.deepEqual(toMe.body.to_me.map((k) => [k.citizen_name, k.scope]), [['次仁', 'XZ-RS-003']]);
  // The menu links the page.
  const page = await agent.get('/account/agents', { json: false });
  assert.match(page.text, /href="\/account\/agents"/);
  assert.match(page.text, new RegExp(ZH.agent.title));
});

test('granting checks every field at once, localised', async () => {
  const a = await newCitizen('央金');
  const r = await grant(a, { agent: '13999999999', scope: 'bad code!', days: '0' });
  assert.equal(r.status, 422, r.text);
  assert.deepEqual(r.body.problems.map((p) => [p.key, p.code]), [
    ['agent', 'agent.agent_unknown'], ['scope', 'agent.scope_invalid'], ['days', 'agent.days_invalid'],
  ]);
  assert.equal(r.body.problems[0].message, ZH.errors.agent.agent_unknown);
  const self = await grant(a, { agent: a.phone, scope: 'NO-SUCH-ITEM', days: '366' });
  assert.deepEqual(self.body.problems.map((p) => p.code), ['agent.agent_self', 'agent.scope_unknown', 'agent.days_invalid']);
  assert.equal(sql(`SELECT count(*) FROM agent_consents WHERE citizen_id = ${a.accountId}`)[0][0], '0');
  // Staff give no consents.
  const staff = await loginAs(srv, 'clerk.lhasa', { staff: true, client: client() });
  const st = await staff.submit('/api/v1/account/agents', { agent: DEMO_CITIZEN_ID, scope: '*', days: '3' });
  assert.equal(st.status, 403, st.text);
  assert.equal(st.body.code, 'agent.citizens_only');
});

test('an agent acts with consent: filed in the citizen\'s name, both on the case, the audit and the data-use page', async () => {
  const citizen = await newCitizen('格桑');
  const agent = await newCitizen('多吉');
  const g = await grant(citizen, { agent: agent.phone, scope: ITEM, days: '30' });
  assert.equal(g.status, 201, g.text);
  const consent = g.body.id;
  assert.equal(sql(`SELECT actor_id, object FROM audit_events WHERE action = 'agent.consent_grant' AND object = 'consent:${consent}'`)[0][0], citizen.accountId);

  const s = await act(agent, consent);
  assert.equal(s.status, 200, s.text);
  // The form is the citizen's: their name and ID number pre-filled, not the agent's.
  const form = await agent.c.get(`/api/v1/services/${ITEM}/apply`);
  assert.equal(form.status, 200, form.text);
  assert.equal(form.body.fields.find((f) => f.key === 'applicant_name').value, '格桑');
  assert.equal(form.body.fields.find((f) => f.key === 'applicant_id').value, citizen.id);
  // Every page says for whom.
  const page = await agent.c.get('/services', { json: false });
  assert.match(page.text, /class="notice acting-banner"[^]*格桑/);

  const r = await fileFor(agent, ITEM, { f_applicant_name: '格桑', f_applicant_id: citizen.id });
  assert.equal(r.status, 201, r.text);
  const number = r.body.number;
  assert.deepEqual(sql(`SELECT applicant_account, filed_by, on_behalf, applicant_name FROM applications WHERE number = '${number}'`),
    [[citizen.accountId, agent.accountId, '1', '格桑']]);
  const [[actor, detail]] = sql(`SELECT actor_id, detail FROM audit_events WHERE action = 'apply.file_for' AND object = 'application:${number}'`);
  assert.equal(actor, agent.accountId, 'the actor is the agent');
  assert.match(detail, new RegExp(`on_behalf=account:${citizen.accountId} consent=${consent}`), 'the record names the citizen');
  assert.deepEqual(sql(`SELECT citizen_id, agent_id, item_code FROM agent_acts WHERE case_number = '${number}'`),
    [[citizen.accountId, agent.accountId, ITEM]]);
  // The citizen sees the application as theirs, and the timeline names the agent's act.
  const mine = await citizen.c.get('/api/v1/applications');
  assert.ok(mine.body.applications.some((a) => a.number === number), mine.text);
  assert.deepEqual(sql(`SELECT actor, action FROM application_events e JOIN applications a ON a.id = e.application_id WHERE a.number = '${number}'`),
    [[agent.accountId, 'filed_for']]);
  // ... and on "who used my data", with the agent's name and the case number.
  const use = await citizen.c.get('/api/v1/account/data-use');
  const row = use.body.other.find((o) => o.case_number === number);
  assert.ok(row, use.text);
  assert.equal(row.consumer, '多吉');
  assert.equal(row.kind_label, ZH.exchange.data_use.kinds.agent);
  assert.equal(row.what, '无犯罪记录证明开具', 'the service by name');
  // The agent's own data-use page does not list it; the agent sees the case as its filer.
  const theirs = await agent.c.get('/api/v1/account/data-use');
  assert.ok(!(theirs.body.other || []).some((o) => o.case_number === number));
  assert.equal((await agent.c.get(`/api/v1/applications/${number}`)).status, 200);

  // A bundle (一件事) is not filed while acting: its items would be the agent's own.
  const bundle = await agent.c.get('/api/v1/services/bundles/BUNDLE-NEWBORN/apply');
  assert.equal(bundle.status, 403, bundle.text);
  assert.equal(bundle.body.code, 'agent.bundle_not_supported');
  assert.equal(bundle.body.detail, ZH.errors.agent.bundle_not_supported);

  // Stopping: the next filing is the agent's own again.
  assert.equal((await agent.c.submit('/api/v1/account/acting/stop', {})).status, 200);
  const own = await agent.c.get(`/api/v1/services/${ITEM}/apply`);
  assert.equal(own.body.fields.find((f) => f.key === 'applicant_name').value, '多吉');
  assert.equal((await agent.c.get('/api/v1/services/bundles/BUNDLE-NEWBORN/apply')).status, 200);
});

test('refused with a localised 403: without consent, another service, expired, revoked (each on the next request)', async () => {
  const citizen = await newCitizen('拉姆');
  const agent = await newCitizen('平措');
  const stranger = await newCitizen('尼玛');
  const g = await grant(citizen, { agent: agent.id, scope: ITEM, days: '7' });
  assert.equal(g.status, 201, g.text);
  const consent = g.body.id;

  // Without consent: a consent that names somebody else, or none at all.
  const none = await act(stranger, consent);
  assert.equal(none.status, 403, none.text);
  assert.equal(none.body.code, 'agent.no_consent');
  assert.equal((await act(stranger, '123456789')).body.code, 'agent.no_consent');
  stranger.c.setCookie('lang', 'bo');
  const bo = await stranger.c.submit('/account/acting', { consent }, { json: false });
  assert.equal(bo.status, 403);
  assert.ok(bo.text.includes(BO.errors.agent.no_consent), 'the refusal is in Tibetan');
  stranger.c.setCookie('lang', undefined);

  assert.equal((await act(agent, consent)).status, 200);
  // Another service than the consent's.
  const other = await agent.c.get(`/api/v1/services/${OTHER_ITEM}/apply`);
  assert.equal(other.status, 403, other.text);
  assert.equal(other.body.code, 'agent.out_of_scope');
  assert.equal(other.body.detail, ZH.errors.agent.out_of_scope);
  const otherPost = await fileFor(agent, OTHER_ITEM);
  assert.equal(otherPost.status, 403);

  // Expired since the switch: the next request is refused.
  sql(`UPDATE agent_consents SET valid_until = 1 WHERE id = ${consent}`);
  const expired = await fileFor(agent);
  assert.equal(expired.status, 403, expired.text);
  assert.equal(expired.body.code, 'agent.consent_expired');
  sql(`UPDATE agent_consents SET valid_until = 9000000000000 WHERE id = ${consent}`);
  assert.equal((await agent.c.get(`/api/v1/services/${ITEM}/apply`)).status, 200);

  // Revoked by the citizen: the agent is refused at once, never silently filing as themselves.
  const rv = await citizen.c.submit(`/api/v1/account/agents/${consent}/revoke`, {});
  assert.equal(rv.status, 200, rv.text);
  assert.equal((await citizen.c.submit(`/api/v1/account/agents/${consent}/revoke`, {})).status, 409);
  const revoked = await fileFor(agent);
  assert.equal(revoked.status, 403, revoked.text);
  assert.equal(revoked.body.code, 'agent.consent_revoked');
  assert.equal((await act(agent, consent)).body.code, 'agent.consent_revoked');
  const list = await citizen.c.get('/api/v1/account/agents');
  assert.equal(list.body.given[0].state, 'revoked');
  // Each refusal of an acting request is audited, naming both.
  const refused = sql(`SELECT actor_id, outcome, detail FROM audit_events WHERE action = 'agent.act_refused' AND object = 'consent:${consent}'`);
  assert.ok(refused.length >= 3, JSON.stringify(refused));
  for (const [actor, outcome, detail] of refused) {
    assert.equal(actor, agent.accountId);
    assert.equal(outcome, 'denied');
    assert.match(detail, new RegExp(`on_behalf=account:${citizen.accountId}`));
  }
  assert.equal(sql(`SELECT count(*) FROM applications WHERE filed_by = ${agent.accountId}`)[0][0], '0', 'nothing was filed');
});

test('a department\'s 帮办 desk: any of its clerks acts with the consent, another department\'s cannot', async () => {
  const citizen = await newCitizen('普布卓玛');
  const g = await grant(citizen, { agent: 'cg-mz', scope: ITEM, days: '2' });
  assert.equal(g.status, 201, g.text);
  const given = (await citizen.c.get('/api/v1/account/agents')).body.given[0];
  assert.equal(given.agent_name, '拉萨市城关区民政局');
  const clerk = await loginAs(srv, 'clerk.chengguan', { staff: true, client: client() });
  const page = await clerk.get('/api/v1/account/agents');
  assert.equal(page.status, 200, page.text);
  assert.equal(page.body.can_grant, false, 'staff give no consents');
  assert.ok(page.body.to_me.some((k) => k.id === g.body.id && k.citizen_name === '普布卓玛'));
  const menu = await clerk.get('/workbench', { json: false });
  assert.match(menu.text, /href="\/account\/agents"/, 'the desk finds the page in its menu');
  // Another department's clerk: no consent.
  const other = await loginAs(srv, 'clerk.lhasa', { staff: true, client: client() });
  const refused = await other.submit('/api/v1/account/acting', { consent: g.body.id });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.code, 'agent.no_consent');
  // The desk's clerk acts and files in the citizen's name.
  assert.equal((await clerk.submit('/api/v1/account/acting', { consent: g.body.id })).status, 200);
  const form = await clerk.get(`/api/v1/services/${ITEM}/apply`);
  assert.equal(form.status, 200, form.text);
  assert.equal(form.body.fields.find((f) => f.key === 'applicant_name').value, '普布卓玛');
  const r = await clerk.upload(`/api/v1/services/${ITEM}/apply`, { _division: '540102000000', f_applicant_name: '普布卓玛',
    f_applicant_id: citizen.id, f_phone: '13800000009', f_purpose: '出国留学' },
  [{ name: 'm_id_card', filename: 'id.pdf', type: 'application/pdf', data: PDF }], { page: '/api/v1/account' });
  assert.equal(r.status, 201, r.text);
  const clerkId = (await clerk.get('/api/v1/account')).body.account.id;
  assert.deepEqual(sql(`SELECT applicant_account, filed_by, on_behalf FROM applications WHERE number = '${r.body.number}'`),
    [[citizen.accountId, clerkId, '1']]);
  const [[detail]] = sql(`SELECT detail FROM audit_events WHERE action = 'agent.act_start' AND actor_id = ${clerkId} ORDER BY id DESC LIMIT 1`);
  assert.match(detail, new RegExp(`on_behalf=account:${citizen.accountId} agent=department:\\d+ consent=${g.body.id}`));
  const use = await citizen.c.get('/api/v1/account/data-use');
  assert.ok(use.body.other.some((o) => o.case_number === r.body.number && o.kind === 'agent'), use.text);
});

test('a citizen cannot read or revoke another\'s consents', async () => {
  const citizen = await newCitizen('达瓦');
  const agent = await newCitizen('次旦');
  const nosy = await newCitizen('旺堆');
  const g = await grant(citizen, { agent: agent.phone, scope: '*', days: '1' });
  assert.equal(g.status, 201, g.text);
  const theirs = await nosy.c.get('/api/v1/account/agents');
  assert.deepEqual([theirs.body.given, theirs.body.to_me], [[], []]);
  const r = await nosy.c.submit(`/api/v1/account/agents/${g.body.id}/revoke`, {});
  assert.equal(r.status, 404, r.text);
  assert.equal(r.body.code, 'agent.not_found');
  // The agent sees it but cannot revoke it either (only the citizen does).
  assert.equal((await agent.c.submit(`/api/v1/account/agents/${g.body.id}/revoke`, {})).status, 404);
  // Anonymous: the login.
  assert.equal((await new Client(srv).get('/api/v1/account/agents')).status, 401);
});

test('a department system logs the agent in as the citizen: sub is the citizen, act names the agent (RFC 8693)', async () => {
  const CB = 'http://127.0.0.1:9/pension/cb';
  const add = db.cli(['client', 'add', '养老保险系统', `redirect=${CB}`, 'scopes=openid profile',
    'grants=authorization_code refresh_token']);
  assert.equal(add.status, 0, add.stderr);
  const id = /^client_id=(\S+)$/m.exec(add.stdout)[1];
  const secret = /^client_secret=(\S+)$/m.exec(add.stdout)[1];
  const config = await oidc.discovery(new URL(srv.url), id, undefined, oidc.ClientSecretBasic(secret),
    { execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks] });
  const citizen = await newCitizen('卓嘎');
  const agent = await newCitizen('扎西');
  const g = await grant(citizen, { agent: agent.phone, scope: '*', days: '3' });
  assert.equal(g.status, 201, g.text);

  // The system's sub for each of them on their own (pairwise: the same for the same person).
  async function login(who) {
    const verifier = oidc.randomPKCECodeVerifier();
    const params = { redirect_uri: CB, scope: 'openid profile', state: oidc.randomState(), nonce: oidc.randomNonce(),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' };
    const url = oidc.buildAuthorizationUrl(config, params);
    const page = await who.c.get(url.pathname + url.search, { json: false });
    assert.equal(page.status, 200, page.text.slice(0, 300));
    const back = await who.c.request('POST', '/oauth2/consent', { json: false,
      form: { ...hiddenFields(page.text), _csrf: csrfOf(page.text), decision: 'allow' } });
    assert.equal(back.status, 303, back.text);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(back.location), {
      pkceCodeVerifier: verifier, expectedState: params.state, expectedNonce: params.nonce, idTokenExpected: true });
    return { tokens, page: page.text };
  }
  const own = await login(citizen);
  const agentOwn = await login(agent);
  assert.equal(own.tokens.claims().act, undefined, 'nobody acts in a person\'s own login');

  assert.equal((await act(agent, g.body.id)).status, 200);
  const acting = await login(agent);
  assert.match(acting.page, /卓嘎/, 'the consent page names the citizen');
  const claims = acting.tokens.claims();
  assert.equal(claims.sub, own.tokens.claims().sub, 'sub is the citizen');
  assert.deepEqual(claims.act, { sub: agentOwn.tokens.claims().sub }, 'act names the agent');
  const at = await jose.jwtVerify(acting.tokens.access_token, jose.createRemoteJWKSet(new URL(`${srv.url}/oauth2/jwks`)),
    { issuer: srv.url, audience: id });
  assert.equal(at.payload.sub, claims.sub);
  assert.deepEqual(at.payload.act, claims.act);
  assert.equal(acting.tokens.refresh_token, undefined, 'no refresh token for an agent\'s login');
  const info = await oidc.fetchUserInfo(config, acting.tokens.access_token, claims.sub);
  assert.equal(info.name, '卓嘎');
  const [[actor, detail]] = sql(`SELECT actor_id, detail FROM audit_events WHERE action = 'oidc.code' ORDER BY id DESC LIMIT 1`);
  assert.equal(actor, agent.accountId);
  assert.match(detail, new RegExp(`on_behalf=account:${citizen.accountId}`));

  // Revoked: the next login at the system is refused.
  assert.equal((await citizen.c.submit(`/api/v1/account/agents/${g.body.id}/revoke`, {})).status, 200);
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: CB, scope: 'openid', state: 's', nonce: 'n',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  const refused = await agent.c.get(url.pathname + url.search, { json: false });
  assert.equal(refused.status, 403);
  assert.ok(refused.text.includes(ZH.errors.agent.consent_revoked));
});
