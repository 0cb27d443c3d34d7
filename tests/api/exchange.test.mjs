// tests/api/exchange.test.mjs - the data exchange (issue 13) over real HTTP, on SQLite and
// (in the PostgreSQL pass) PostgreSQL. Department systems are OIDC clients registered with
// the CLI; they get tokens with the certified client library npm openid-client v6
// (client credentials, ID-token checks enabled as FACTS.md says) and call the exchange
// with openid-client's fetchProtectedResource. The demo citizen then sees the reads on
// /account/data-use; another citizen does not. Then the attacks of the issue: no token, a
// token of another consumer, a request not approved, an expired and a revoked grant, a
// field outside the grant, a missing purpose or case number, the rate limit, a provider
// that answers garbage.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { demoServer } from '../lib/db.mjs';
import { Client, login, DEMO_CITIZEN_ID } from '../lib/client.mjs';
import { idNumbers, phones, withIdCheck } from '../lib/ids.mjs';

const env = await demoServer('exchange');
const { srv } = env;
after(async () => {
  const r = await env.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
});

const EXECUTE = [client.allowInsecureRequests, client.enableNonRepudiationChecks];
const FIANCEE = withIdCheck('54010219920315002');
// GB 32100: the check character of a unified social credit code's first 17 characters.
const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const withUsccCheck = (first17) =>
  first17 + USCC_CHARS[(31 - ([...first17].reduce((s, ch, i) => s + USCC_CHARS.indexOf(ch) * USCC_W[i], 0) % 31)) % 31];
const DEMO_SHOP = withUsccCheck('92540102MA6T0XY2K');

function cli(args) {
  const r = env.cli(['exchange', ...args]);
  assert.equal(r.status, 0, `exchange ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// A department system: an OIDC client with client credentials and the exchange scope.
async function system(name) {
  const r = env.cli(['client', 'add', name, 'redirect=http://127.0.0.1:9/cb',
    'scopes=openid exchange:read', 'grants=authorization_code client_credentials']);
  assert.equal(r.status, 0, r.stderr);
  const id = /^client_id=(\S+)$/m.exec(r.stdout)[1];
  const secret = /^client_secret=(\S+)$/m.exec(r.stdout)[1];
  const config = await client.discovery(new URL(srv.url), id, undefined,
    client.ClientSecretBasic(secret), { execute: EXECUTE });
  const tokens = await client.clientCredentialsGrant(config, { scope: 'exchange:read' });
  return { id, config, token: tokens.access_token };
}

// GET through the certified client (bearer token in the Authorization header).
async function read(sys, resource, params) {
  const url = new URL(`${srv.url}/exchange/v1/${resource}`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await client.fetchProtectedResource(sys.config, sys.token, url, 'GET');
  return { status: res.status, headers: res.headers, body: await res.json() };
}

async function requestGrant(sys, body) {
  const res = await client.fetchProtectedResource(sys.config, sys.token,
    new URL(`${srv.url}/exchange/v1/requests`), 'POST', JSON.stringify(body),
    new Headers({ 'content-type': 'application/json' }));
  return { status: res.status, body: await res.json() };
}

const s = {};

test('the resource catalog: CLI, page and JSON twin', async () => {
  const out = cli(['resources']);
  for (const code of ['population', 'legal_person', 'marriage', 'social_insurance'])
    assert.match(out, new RegExp(`^${code} `, 'm'));
  const c = new Client(srv);
  const json = await c.get('/api/v1/exchange/resources');
  assert.equal(json.status, 200);
  const pop = json.body.resources.find((r) => r.code === 'population');
  assert.equal(pop.provider, 'xz-ga');
  assert.equal(pop.sharing, 'conditional');
  assert.equal(pop.fields.find((f) => f.name === 'id_number').sensitivity, 'sensitive');
  assert.ok(pop.legal_basis.bo && pop.name.bo);
  const html = await c.get('/exchange/resources?lang=bo', { json: false });
  assert.equal(html.status, 200);
  assert.ok(html.text.includes(pop.name.bo));
});

test('the OpenAPI 3 document describes the read and the request', async () => {
  const r = await fetch(`${srv.url}/exchange/v1/openapi.json`);
  assert.equal(r.status, 200);
  const doc = await r.json();
  assert.match(doc.openapi, /^3\./);
  const get = doc.paths['/{resource}'].get;
  for (const p of ['purpose', 'case']) assert.equal(get.parameters.find((x) => x.name === p).required, true);
  assert.ok(doc.paths['/requests'].post);
  assert.equal(doc.components.securitySchemes.clientCredentials.flows.clientCredentials.tokenUrl, '/oauth2/token');
});

test('no token, a garbage token, or a person\'s missing scope: 401 with a Bearer challenge', async () => {
  const none = await fetch(`${srv.url}/exchange/v1/marriage?id_number=${DEMO_CITIZEN_ID}&purpose=x&case=C1`);
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate'), /^Bearer realm="onewindow"/);
  assert.equal((await none.json()).code, 'exchange.no_token');
  const bad = await fetch(`${srv.url}/exchange/v1/marriage?id_number=${DEMO_CITIZEN_ID}&purpose=x&case=C1`,
    { headers: { authorization: 'Bearer not.a.token' } });
  assert.equal(bad.status, 401);
  assert.match(bad.headers.get('www-authenticate'), /error="invalid_token"/);
});

test('a department system requests, the provider approves, and it reads for a case', async () => {
  s.mz = await system('城关区婚姻登记系统');
  const req = await requestGrant(s.mz, {
    resource: 'marriage', fields: 'name,status,registered_at', purpose: 'marriage_registration',
    legal_basis: '《婚姻登记条例》第七条',
  });
  assert.equal(req.status, 201, JSON.stringify(req.body));
  assert.equal(req.body.status, 'requested');
  s.grant = req.body.id;
  const params = { id_number: DEMO_CITIZEN_ID, purpose: 'marriage_registration', case: 'CG-2026-000123' };
  // Not approved yet.
  const early = await read(s.mz, 'marriage', params);
  assert.equal(early.status, 403);
  assert.equal(early.body.code, 'exchange.no_grant');
  // The provider grants fewer fields than asked.
  assert.match(cli(['approve', String(s.grant), 'fields=name,status', 'days=30', 'rate=6']), /approved/);
  const ok = await read(s.mz, 'marriage', params);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.deepEqual(ok.body.record, { name: '扎西多吉', status: 'unmarried' });
  assert.deepEqual(ok.body.withheld, ['id_number'], 'a field the register holds but the grant does not is dropped');
  assert.equal(ok.body.case_number, 'CG-2026-000123');
  assert.equal(ok.body.source.provider, 'xz-mz');
  assert.ok(ok.body.read_id);
  // In the audit chain, without the ID number.
  const rows = env.sql(`SELECT outcome, detail FROM audit_events WHERE action = 'exchange.read' ORDER BY id`);
  assert.ok(rows.some(([o, d]) => o === 'ok' && d.includes('case=CG-2026-000123') && d.includes('purpose=marriage_registration')));
  assert.ok(rows.every(([, d]) => !d.includes(DEMO_CITIZEN_ID)), 'the audit record never holds the ID number');
  // Nor do the exchange's own tables: subjects by keyed hash, sandbox records sealed.
  for (const [table, cols] of [['exchange_reads', 'subject_hash || fields || purpose || case_number'],
    ['exchange_sandbox_records', 'subject_hash']])
    assert.deepEqual(env.sql(`SELECT count(*) FROM ${table} WHERE ${cols} LIKE '%${DEMO_CITIZEN_ID}%'`), [['0']], table);
});

test('bad calls: missing purpose or case, a field outside the grant, another purpose', async () => {
  const base = { id_number: DEMO_CITIZEN_ID, purpose: 'marriage_registration', case: 'CG-2026-000124' };
  const noPurpose = await read(s.mz, 'marriage', { ...base, purpose: '' });
  assert.equal(noPurpose.status, 400);
  assert.equal(noPurpose.body.code, 'exchange.bad_purpose');
  const noCase = await read(s.mz, 'marriage', { id_number: DEMO_CITIZEN_ID, purpose: 'marriage_registration' });
  assert.equal(noCase.status, 400);
  assert.equal(noCase.body.code, 'exchange.bad_case');
  const badKey = await read(s.mz, 'marriage', { ...base, id_number: '540102199001011234' });
  assert.equal(badKey.status, 400);
  assert.equal(badKey.body.code, 'exchange.bad_key');
  const field = await read(s.mz, 'marriage', { ...base, fields: 'name,id_number' });
  assert.equal(field.status, 403);
  assert.equal(field.body.code, 'exchange.field_not_granted');
  assert.ok(!JSON.stringify(field.body).includes('扎西多吉'), 'nothing partial');
  const other = await read(s.mz, 'marriage', { ...base, purpose: 'curiosity' });
  assert.equal(other.status, 403);
  assert.equal(other.body.code, 'exchange.no_grant');
  const unknown = await read(s.mz, 'no_such_register', base);
  assert.equal(unknown.status, 404);
});

test('a token of another consumer cannot use the grant', async () => {
  s.other = await system('某县住建系统');
  const r = await read(s.other, 'marriage',
    { id_number: DEMO_CITIZEN_ID, purpose: 'marriage_registration', case: 'X-1' });
  assert.equal(r.status, 403);
  assert.equal(r.body.code, 'exchange.no_grant');
});

test('the rate limit of a grant: 429 with Retry-After', async () => {
  // rate=6 a minute; earlier tests used some of this minute's calls, so call until refused.
  let last;
  for (let i = 0; i < 8; i++) {
    last = await read(s.mz, 'marriage', { id_number: FIANCEE, purpose: 'marriage_registration', case: `R-${i}` });
    if (last.status === 429) break;
    assert.equal(last.status, 200);
  }
  assert.equal(last.status, 429);
  assert.equal(last.body.code, 'exchange.rate_limited');
  assert.equal(last.headers.get('retry-after'), '60');
});

test('an unconditional resource is granted at once; a provider answering garbage is 502, nothing partial', async () => {
  const sys = await system('市场监管协同系统');
  const g = await requestGrant(sys, { resource: 'legal_person', purpose: 'enterprise_check', legal_basis: '市场主体登记管理条例' });
  assert.equal(g.body.status, 'approved');
  const ok = await read(sys, 'legal_person', { uscc: DEMO_SHOP, purpose: 'enterprise_check', case: 'SJ-1' });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.record.legal_rep_name, '扎西多吉');
  const si = await requestGrant(sys, { resource: 'social_insurance', purpose: 'enterprise_check', legal_basis: '社会保险法' });
  cli(['approve', String(si.body.id)]);
  const id = idNumbers({ seed: 77 })();
  cli(['sandbox-put', 'social_insurance', id, '{"name": "broken']);
  const bad = await read(sys, 'social_insurance', { id_number: id, purpose: 'enterprise_check', case: 'SJ-2' });
  assert.equal(bad.status, 502);
  assert.equal(bad.body.code, 'exchange.provider_failed');
  assert.equal(bad.body.record, undefined);
  const none = await read(sys, 'social_insurance', { id_number: idNumbers({ seed: 78 })(), purpose: 'enterprise_check', case: 'SJ-3' });
  assert.equal(none.status, 404);
  assert.equal(none.body.code, 'exchange.no_record');
});

test('expired and revoked grants are refused', async () => {
  const params = { id_number: DEMO_CITIZEN_ID, purpose: 'household_check', case: 'E-1' };
  const sys = await system('户籍核查系统');
  const g = await requestGrant(sys, { resource: 'population', fields: 'name', purpose: 'household_check', legal_basis: '居民身份证法' });
  cli(['approve', String(g.body.id), 'days=1']);
  assert.equal((await read(sys, 'population', params)).status, 200);
  env.sql(`UPDATE exchange_grants SET expires_at = 1 WHERE id = ${g.body.id}`);
  const expired = await read(sys, 'population', params);
  assert.equal(expired.status, 403);
  assert.equal(expired.body.code, 'exchange.grant_expired');
  env.sql(`UPDATE exchange_grants SET expires_at = 9000000000000 WHERE id = ${g.body.id}`);
  cli(['revoke', String(g.body.id)]);
  const revoked = await read(sys, 'population', params);
  assert.equal(revoked.status, 403);
  assert.equal(revoked.body.code, 'exchange.grant_revoked');
  const again = env.cli(['exchange', 'revoke', String(g.body.id)]);
  assert.equal(again.status, 1, 'a revoked grant cannot be revoked twice');
});

test('the citizen sees every read of their data on /account/data-use, and exports it', async () => {
  const c = await login(srv, DEMO_CITIZEN_ID);
  const r = await c.get('/api/v1/account/data-use');
  assert.equal(r.status, 200);
  const reads = r.body.reads;
  const mine = reads.find((x) => x.case_number === 'CG-2026-000123');
  assert.ok(mine, 'the marriage registry\'s read is listed');
  assert.equal(mine.consumer, '城关区婚姻登记系统');
  assert.equal(mine.purpose, 'marriage_registration');
  assert.equal(mine.outcome, 'ok');
  assert.equal(mine.legal_basis, '《婚姻登记条例》第七条');
  assert.ok(reads.some((x) => x.outcome === 'denied' && x.case_number === 'CG-2026-000124'), 'refused attempts too');
  assert.ok(!reads.some((x) => x.case_number?.startsWith('R-')), 'reads of the fiancée are hers, not his');
  const html = await c.get('/account/data-use?lang=bo', { json: false });
  assert.equal(html.status, 200);
  assert.match(html.text, /CG-2026-000123/);
  const csv = await c.get('/account/data-use?format=csv', { json: false });
  assert.equal(csv.status, 200);
  assert.match(csv.headers['content-type'], /^text\/csv/);
  assert.match(csv.headers['content-disposition'], /attachment/);
  assert.match(csv.text, /城关区婚姻登记系统.*CG-2026-000123/);
});

test('the provider department decides on its page; another department cannot', async () => {
  const sys = await system('城关区民政婚姻系统');
  const g = await requestGrant(sys, { resource: 'marriage', fields: 'name,status,spouse_name', purpose: 'divorce_check', legal_basis: '婚姻登记条例' });
  assert.equal(g.body.status, 'requested');
  const provider = await login(srv, 'reviewer.xz', { staff: true }); // 西藏自治区民政厅, the marriage register's provider
  const list = await provider.get('/api/v1/exchange/grants');
  assert.equal(list.status, 200, list.text);
  assert.ok(list.body.grants.some((x) => x.id === g.body.id && x.requested));
  assert.ok(list.body.grants.every((x) => x.resource === 'marriage'), 'only its own resources');
  const other = await login(srv, 'reviewer.chengguan', { staff: true });
  assert.ok(!(await other.get('/api/v1/exchange/grants')).body.grants.some((x) => x.id === g.body.id));
  const denied = await other.submit(`/api/v1/exchange/grants/${g.body.id}/decide`, { action: 'approve', days: '30' }, { page: '/api/v1/exchange/grants' });
  assert.equal(denied.status, 404);
  const wide = await provider.submit(`/api/v1/exchange/grants/${g.body.id}/decide`, { action: 'approve', days: '30', fields: 'name,id_number' }, { page: '/api/v1/exchange/grants' });
  assert.equal(wide.status, 400, 'never more than was asked');
  const ok = await provider.submit(`/api/v1/exchange/grants/${g.body.id}/decide`, { action: 'approve', days: '30', fields: 'name,status' }, { page: '/api/v1/exchange/grants' });
  assert.equal(ok.status, 200, ok.text);
  const r = await read(sys, 'marriage', { id_number: DEMO_CITIZEN_ID, purpose: 'divorce_check', case: 'MZ-7' });
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.body.record), ['name', 'status']);
  // A correction a person asks for reaches the provider of that register, with who asked
  // (masked), and no other provider.
  const person = await login(srv, DEMO_CITIZEN_ID);
  const page = '/exchange/corrections/new?resource=marriage&field=status';
  for (const [resource, field] of [['marriage', 'status'], ['population', 'ethnicity']])
    assert.equal((await person.submit('/exchange/corrections', { resource, field, note: '登记有误' }, { page })).status, 201);
  const fixes = (await provider.get('/api/v1/exchange/grants')).body.corrections;
  assert.deepEqual(fixes.map((x) => [x.resource, x.field, x.person, x.note]), [['marriage', 'status', '扎西多吉', '登记有误']]);
  assert.match(fixes[0].id_masked, /^5401\*+/);
  assert.equal(fixes[0].account_id, undefined);
  const html = await provider.get('/exchange/grants?lang=bo', { json: false });
  assert.equal(html.status, 200);
  const citizen = await login(srv, DEMO_CITIZEN_ID);
  assert.equal((await citizen.get('/api/v1/exchange/grants')).status, 403);
});

test('auditors search every read by case number; the subject only as a hash prefix; citizens may not', async () => {
  const auditor = await login(srv, 'auditor.xz', { staff: true });
  const r = await auditor.get('/api/v1/exchange/reads?case=CG-2026-000123');
  assert.equal(r.status, 200, r.text);
  // Newest first: the read, then the attempt before the grant was approved.
  assert.deepEqual(r.body.reads.map((x) => [x.consumer, x.outcome, x.purpose]),
    [['城关区婚姻登记系统', 'ok', 'marriage_registration'], ['城关区婚姻登记系统', 'denied', 'marriage_registration']]);
  assert.match(r.body.reads[0].subject, /^[0-9a-f]{16}$/);
  assert.ok(!r.text.includes(DEMO_CITIZEN_ID), 'never the ID number');
  const all = await auditor.get('/api/v1/exchange/reads');
  assert.ok(all.body.reads.length > 5);
  const bad = await auditor.get('/api/v1/exchange/reads?case=a%20b');
  assert.equal(bad.status, 400);
  const html = await auditor.get('/exchange/reads?case=CG-2026-000123&lang=bo', { json: false });
  assert.equal(html.status, 200);
  const citizen = await login(srv, DEMO_CITIZEN_ID);
  assert.equal((await citizen.get('/api/v1/exchange/reads')).status, 403);
});

test('another citizen sees none of it; anonymous visitors are sent to log in', async () => {
  const c = new Client(srv, { page: '/register' });
  const idn = idNumbers({ seed: 4242 })();
  const phone = phones('139', { seed: 4242 })();
  const reg = await c.submit('/register', { name: '次仁', id_number: idn, phone, password: 'zhaxi-delek-2024', password_again: 'zhaxi-delek-2024' });
  assert.equal(reg.status, 303, reg.text);
  const r = await c.get('/api/v1/account/data-use');
  assert.equal(r.status, 200);
  // Only the platform's own check of her registration: no department read her data.
  assert.deepEqual(r.body.reads.map((x) => [x.purpose, x.consumer]), [['identity_verification', '本平台']]);
  const anon = await new Client(srv).get('/account/data-use', { json: false });
  assert.equal(anon.status, 303);
  assert.match(anon.location, /^\/login\?next=/);
});

// ---- trusted identity (item 7) ------------------------------------------------------------

const PASSWORD = 'zhaxi-delek-2024';
const phone = phones('137', { seed: 9100 });

test('registration checks name + ID number against the population register', async () => {
  const bad = await new Client(srv, { page: '/register' }).submit('/register',
    { name: '冒名者', id_number: FIANCEE, phone: phone(), password: PASSWORD, password_again: PASSWORD });
  assert.equal(bad.status, 422, bad.text);
  assert.deepEqual(bad.body.errors.map((e) => [e.field, e.code]), [['name', 'identity.name_mismatch']]);
  assert.ok(bad.body.errors[0].message.includes('人口'), 'a clear, localised error');
  const good = await new Client(srv, { page: '/register' }).submit('/register',
    { name: '卓玛', id_number: FIANCEE, phone: phone(), password: PASSWORD, password_again: PASSWORD });
  assert.equal(good.status, 303, good.text);
  // The person sees that a registration was tried with her number.
  const c = await login(srv, FIANCEE, { password: PASSWORD });
  const use = await c.get('/api/v1/account/data-use');
  assert.ok(use.body.reads.some((r) => r.purpose === 'identity_verification' && r.resource === 'population'));
});

test('registration mismatches are throttled per address (no enumeration of names)', async () => {
  const addr = '127.0.0.77';
  let last;
  // A person the register knows and nobody has registered yet.
  const idn = idNumbers({ seed: 500 })();
  cli(['sandbox-put', 'population', idn, JSON.stringify({ name: '洛桑', id_number: idn })]);
  const codes = [];
  for (let i = 0; i < 12; i++) {
    last = await new Client(srv, { page: '/register', localAddress: addr }).submit('/register',
      { name: `猜名${i}`, id_number: idn, phone: phone(), password: PASSWORD, password_again: PASSWORD });
    codes.push(last.body.errors[0].code);
  }
  assert.equal(codes[0], 'identity.name_mismatch');
  assert.equal(codes.at(-1), 'identity.register_paused', codes.join(' '));
});

test('nobody claims an enterprise the legal person register does not name them for', async () => {
  const c = new Client(srv, { page: '/register' });
  const idn = idNumbers({ seed: 600 })();
  cli(['sandbox-put', 'population', idn, JSON.stringify({ name: '边巴', id_number: idn })]);
  const reg = await c.submit('/register', { name: '边巴', id_number: idn, phone: phone(), password: PASSWORD, password_again: PASSWORD });
  assert.equal(reg.status, 303, reg.text);
  const claim = (uscc) => c.submit('/account/enterprises',
    { uscc, name: '某公司', legal_rep: '边巴', role: 'legal_rep' }, { page: '/account/enterprises/new' });
  // The demo enterprise, already claimed by its real representative.
  const demo = await claim(DEMO_SHOP);
  assert.equal(demo.status, 422);
  assert.deepEqual(demo.body.errors.map((e) => e.field), ['uscc']);
  // An unclaimed company whose register entry names the demo citizen: 边巴 cannot take it.
  const uscc = withUsccCheck('91540100MA6T1AB2C');
  cli(['sandbox-put', 'legal_person', uscc, JSON.stringify({ uscc, name: '西藏雪域实业有限公司', legal_rep_name: '扎西多吉', legal_rep_id_number: DEMO_CITIZEN_ID, status: 'active' })]);
  const other = await claim(uscc);
  assert.equal(other.status, 422, other.text);
  assert.deepEqual(other.body.errors.map((e) => [e.field, e.code]), [['uscc', 'identity.not_legal_rep']]);
  // Its real representative can.
  const rep = await login(srv, DEMO_CITIZEN_ID);
  const mine = await rep.submit('/account/enterprises', { uscc, name: '西藏雪域实业有限公司', legal_rep: '扎西多吉', role: 'legal_rep' },
    { page: '/account/enterprises/new' });
  assert.equal(mine.status, 303, mine.text);
});

// ---- pre-fill with provenance and no uploads (item 6) ------------------------------------------

test('the marriage application: fields pre-filled from the register with consent, each naming its source, filed without any upload', async () => {
  const ITEM = 'XZ-MZ-001';
  const c = await login(srv, DEMO_CITIZEN_ID, { client: new Client(srv, { uploadPage: `/api/v1/services/${ITEM}/apply` }) });
  const plain = await c.get(`/api/v1/services/${ITEM}/apply`);
  assert.equal(plain.status, 200, plain.text);
  assert.equal(plain.body.prefill_href, `/services/${ITEM}/apply?from=registers`, 'the person is asked first');
  assert.equal(plain.body.fields.find((f) => f.key === 'male_name').value, '', 'nothing is read without consent');
  const form = await c.get(plain.body.prefill_href.replace('/services', '/api/v1/services'));
  const field = (k) => form.body.fields.find((f) => f.key === k);
  assert.equal(field('male_name').value, '扎西多吉');
  assert.equal(field('male_id').value, DEMO_CITIZEN_ID);
  assert.match(field('male_name').source, /人口基础信息库/);
  assert.equal(field('female_name').value, '', 'the other party\'s data is not read for him');
  assert.equal(field('female_name').source, undefined);
  const hukou = form.body.materials.find((m) => m.key === 'household_register');
  assert.match(hukou.register, /人口基础信息库/);
  const idCard = form.body.materials.find((m) => m.key === 'id_card').certs[0];
  const d = new Date(Date.now() + 10 * 86400000).toISOString().slice(0, 10);
  const r = await c.upload(`/api/v1/services/${ITEM}/apply`, {
    _division: '540102000000', _action: 'submit', _idem: `k-${Date.now()}`,
    f_male_name: field('male_name').value, f_male_id: field('male_id').value, f_female_name: '卓玛', f_female_id: FIANCEE,
    f_appointment_date: d, f_phone: '13800000001', f_declaration: 'on', cert_id_card: idCard.identifier,
  }, []);
  assert.equal(r.status, 201, r.text);
  const number = r.body.number;
  const shown = await c.get(`/api/v1/applications/${number}`);
  const fetched = shown.body.files.find((f) => f.material_key === 'household_register');
  assert.equal(fetched.from_register, true, JSON.stringify(shown.body.files));
  assert.equal(fetched.content_type, 'application/vnd.onewindow.register+json');
  const content = await c.get(fetched.url, { json: false });
  assert.equal(content.status, 200);
  assert.equal(JSON.parse(content.text).household_address, '西藏自治区拉萨市城关区八廓街道');
  // Both reads are on his data-use page: the pre-fill and the material, for this case.
  const use = (await c.get('/api/v1/account/data-use')).body.reads;
  assert.ok(use.some((x) => x.purpose === 'form_prefill' && x.case_number === ITEM && x.consumer === '本平台'));
  assert.ok(use.some((x) => x.purpose === 'material' && x.case_number === number));
  // And the ID card e-certificate he authorised for it.
  const other = (await c.get('/api/v1/account/data-use')).body.other;
  assert.ok(other.some((x) => x.what === idCard.identifier && x.case_number === number && x.consumer === '拉萨市城关区民政局'),
    JSON.stringify(other));
  // He disputes a pre-filled value: the link names the register and the field; the provider
  // department (西藏自治区公安厅 for the population register) gets the request, nobody else.
  assert.equal(field('male_name').dispute, '/exchange/corrections/new?resource=population&field=name');
  const formPage = await c.get(field('male_name').dispute, { json: false });
  assert.equal(formPage.status, 200);
  const empty = await c.submit('/exchange/corrections', { resource: 'population', field: 'name', note: '' }, { page: field('male_name').dispute });
  assert.equal(empty.status, 400);
  const wrongField = await c.submit('/exchange/corrections', { resource: 'population', field: 'shoe_size', note: 'x' }, { page: field('male_name').dispute });
  assert.equal(wrongField.status, 400);
  const sent = await c.submit('/exchange/corrections', { resource: 'population', field: 'household_address', note: '已迁至吉日街道' }, { page: field('male_name').dispute });
  assert.equal(sent.status, 201, sent.text);
  const audit = env.sql("SELECT detail FROM audit_events WHERE action = 'exchange.correction'");
  assert.ok(audit.some(([d]) => d === 'resource=population field=household_address'), 'audited without the note');
  // The department sees the fetched record with the application.
  const clerk = await login(srv, 'clerk.chengguan', { staff: true });
  const staffView = await clerk.get(`/api/v1/applications/${number}`);
  assert.ok(staffView.body.files.some((f) => f.material_key === 'household_register' && f.from_register));
});

// ---- a department's REST API behind the same interface -------------------------------------

test('a REST provider that requires OAuth2 client credentials: a bearer token, cached until expiry, renewed after a 401', async () => {
  const { createServer } = await import('node:http');
  const { writeFileSync, chmodSync } = await import('node:fs');
  const { join } = await import('node:path');
  const SECRET = 'dept-secret-许可/+&';
  let issued = 0;
  let valid = new Set();
  const seen = [];
  const dept = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      if (req.url === '/token') {
        // RFC 6749 §2.3.1 and §4.4: Basic with form-encoded id and secret, grant_type.
        const basic = Buffer.from((req.headers.authorization || '').replace(/^Basic /, ''), 'base64').toString();
        const [id, secret] = basic.split(':').map(decodeURIComponent);
        const form = new URLSearchParams(body);
        if (req.method !== 'POST' || id !== 'onewindow' || secret !== SECRET || form.get('grant_type') !== 'client_credentials') {
          res.statusCode = 401;
          res.end('{"error":"invalid_client"}');
          return;
        }
        seen.push(form.get('scope'));
        const token = `tok-${++issued}`;
        valid.add(token);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }));
        return;
      }
      const token = (req.headers.authorization || '').replace(/^Bearer /, '');
      if (!valid.has(token)) {
        res.statusCode = 401;
        res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
        res.end();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ name: '扎西多吉', id_number: DEMO_CITIZEN_ID, insured: true, employer: '某单位', months_paid: 12 }));
    });
  });
  await new Promise((r) => dept.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${dept.address().port}`;
  try {
    const secretFile = join(env.data, 'si-dept.secret');
    writeFileSync(secretFile, `${SECRET}\n`);
    chmodSync(secretFile, 0o600);
    const wrongFile = join(env.data, 'si-wrong.secret');
    writeFileSync(wrongFile, 'not-the-secret');
    const c = new Client(srv);
    const si = (await c.get('/api/v1/exchange/resources')).body.resources.find((r) => r.code === 'social_insurance');
    const sys = await system('社保待遇核查系统');
    const variants = {
      si_auth: { token_url: `${base}/token`, client_id: 'onewindow', client_secret_file: secretFile, scope: 'insured' },
      si_noauth: null,
      si_wrongsecret: { token_url: `${base}/token`, client_id: 'onewindow', client_secret_file: wrongFile },
    };
    for (const [code, auth] of Object.entries(variants)) {
      const doc = { ...si, code, endpoint: { url: `${base}/api`, timeout_ms: 2000, complete: true, ...(auth ? { auth } : {}) } };
      for (const k of ['title', 'sharing_label', 'open_label', 'frequency_label', 'basis']) delete doc[k];
      doc.fields = doc.fields.map(({ name, type, sensitivity, label }) => ({ name, type, sensitivity, label }));
      const file = join(env.data, `${code}.json`);
      writeFileSync(file, JSON.stringify(doc));
      cli(['resource-put', file]);
      const g = await requestGrant(sys, { resource: code, fields: 'name,insured', purpose: 'benefit_check', legal_basis: '社会保险法' });
      cli(['approve', String(g.body.id)]);
    }
    // The catalog page never shows the department's address or credentials.
    const pub = (await c.get('/api/v1/exchange/resources')).body.resources.find((r) => r.code === 'si_auth');
    assert.equal(pub.endpoint, undefined);
    const params = { id_number: DEMO_CITIZEN_ID, purpose: 'benefit_check', case: 'RS-10' };
    const first = await read(sys, 'si_auth', params);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(first.body.record, { name: '扎西多吉', insured: true });
    assert.deepEqual([issued, seen], [1, ['insured']]);
    // Cached until expiry: the next reads ask for no new token.
    assert.equal((await read(sys, 'si_auth', params)).status, 200);
    assert.equal((await read(sys, 'si_auth', params)).status, 200);
    assert.equal(issued, 1, 'the token is cached');
    // The department revokes its tokens: one 401, a new token, the read succeeds.
    valid = new Set();
    const renewed = await read(sys, 'si_auth', params);
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
    assert.equal(issued, 2);
    // Without the token the department refuses: a clear 502, nothing partial.
    const none = await read(sys, 'si_noauth', params);
    assert.equal(none.status, 502);
    assert.equal(none.body.code, 'exchange.provider_failed');
    assert.equal(none.body.record, undefined);
    // A wrong secret: the token endpoint refuses, 502, and the secret is in no log line.
    const wrong = await read(sys, 'si_wrongsecret', params);
    assert.equal(wrong.status, 502);
    assert.equal(wrong.body.code, 'exchange.provider_failed');
    assert.ok(!srv.log().includes(SECRET) && !srv.log().includes('tok-1'), 'no secret or token in the log');
  } finally {
    await new Promise((r) => dept.close(r));
  }
});

test('a REST provider (libcurl): a record, a timeout (504) and garbage (502), nothing partial', async () => {
  const { createServer } = await import('node:http');
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const pending = [];
  const dept = createServer((req, res) => {
    const [, mode, key] = req.url.split('/');
    if (mode === 'ok' && key === DEMO_CITIZEN_ID) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ name: '扎西多吉', id_number: key, insured: true, employer: '某单位', months_paid: 12 }));
    } else if (mode === 'ok') {
      res.statusCode = 404;
      res.end();
    } else if (mode === 'slow') {
      pending.push(res); // answered only after the test
    } else {
      res.end('<html>maintenance</html>');
    }
  });
  await new Promise((r) => dept.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${dept.address().port}`;
  try {
    const c = new Client(srv);
    const si = (await c.get('/api/v1/exchange/resources')).body.resources.find((r) => r.code === 'social_insurance');
    const sys = await system('社保核查系统');
    for (const mode of ['ok', 'slow', 'garbage']) {
      const doc = { ...si, code: `si_${mode}`, endpoint: { url: `${base}/${mode}`, timeout_ms: 500, complete: true } };
      for (const k of ['title', 'sharing_label', 'open_label', 'frequency_label', 'basis']) delete doc[k];
      doc.fields = doc.fields.map(({ name, type, sensitivity, label }) => ({ name, type, sensitivity, label }));
      const file = join(env.data, `si_${mode}.json`);
      writeFileSync(file, JSON.stringify(doc));
      cli(['resource-put', file]);
      const g = await requestGrant(sys, { resource: `si_${mode}`, fields: 'name,insured', purpose: 'benefit_check', legal_basis: '社会保险法' });
      cli(['approve', String(g.body.id)]);
    }
    const params = { id_number: DEMO_CITIZEN_ID, purpose: 'benefit_check', case: 'RS-9' };
    const ok = await read(sys, 'si_ok', params);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.record, { name: '扎西多吉', insured: true });
    assert.equal(ok.body.source.connector, 'rest');
    const none = await read(sys, 'si_ok', { ...params, id_number: FIANCEE });
    assert.equal(none.status, 404);
    const t0 = Date.now();
    const slow = await read(sys, 'si_slow', params);
    assert.equal(slow.status, 504);
    assert.equal(slow.body.code, 'exchange.provider_timeout');
    assert.ok(Date.now() - t0 < 5000, 'the timeout holds');
    const bad = await read(sys, 'si_garbage', params);
    assert.equal(bad.status, 502);
    assert.equal(bad.body.record, undefined);
  } finally {
    for (const res of pending) res.end('{}');
    await new Promise((r) => dept.close(r));
  }
});

test('免提交 asks the register before the write transaction: a slow register holds no lock, another submission commits meanwhile', async () => {
  const { createServer } = await import('node:http');
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const pending = [];
  const dept = createServer((req, res) => { pending.push({ req, res }); });
  await new Promise((r) => dept.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${dept.address().port}`;
  const pub = (await new Client(srv).get('/api/v1/exchange/resources')).body.resources.find((r) => r.code === 'population');
  const doc = { ...pub };
  for (const k of ['title', 'sharing_label', 'open_label', 'frequency_label', 'basis']) delete doc[k];
  doc.fields = doc.fields.map(({ name, type, sensitivity, label }) => ({ name, type, sensitivity, label }));
  const put = (d) => {
    const file = join(env.data, 'population-slow.json');
    writeFileSync(file, JSON.stringify(d));
    cli(['resource-put', file]);
  };
  const ITEM = 'XZ-MZ-001';
  // The other citizen registers first (registration asks the population register too).
  const b = new Client(srv, { uploadPage: '/api/v1/services/XZ-GA-005/apply' });
  const bid = idNumbers({ seed: 606 })();
  const reg = await b.submit('/register', { name: '米玛', id_number: bid, phone: phones('133')(), password: 'pw-slow-register', password_again: 'pw-slow-register' }, '/register');
  assert.equal(reg.status, 303, reg.text);
  put({ ...doc, endpoint: { url: `${base}/pop`, timeout_ms: 15000, complete: false } });
  try {
    // The demo citizen files the marriage application without uploads: the household
    // register comes from the (now slow) population register.
    const a = await login(srv, DEMO_CITIZEN_ID, { client: new Client(srv, { uploadPage: `/api/v1/services/${ITEM}/apply` }) });
    const idCard = (await a.get(`/api/v1/services/${ITEM}/apply`)).body.materials.find((m) => m.key === 'id_card').certs[0];
    const d = new Date(Date.now() + 12 * 86400000).toISOString().slice(0, 10);
    let aDone = false;
    const slow = a.upload(`/api/v1/services/${ITEM}/apply`, {
      _division: '540102000000', _action: 'submit', _idem: `slow-${Date.now()}`,
      f_male_name: '扎西多吉', f_male_id: DEMO_CITIZEN_ID, f_female_name: '卓玛', f_female_id: FIANCEE,
      f_appointment_date: d, f_phone: '13800000001', f_declaration: 'on', cert_id_card: idCard.identifier,
    }, []).then((r) => { aDone = true; return r; });
    for (let i = 0; i < 200 && pending.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(pending.length, 1, 'the register was asked');
    // Meanwhile another citizen's application in the same county commits.
    const other = await b.upload('/api/v1/services/XZ-GA-005/apply', {
      _division: '540102000000', _action: 'submit', f_applicant_name: '米玛', f_applicant_id: bid,
      f_phone: '13300000001', f_purpose: '出国留学',
    }, [{ name: 'm_id_card', filename: 'id.pdf', type: 'application/pdf', data: Buffer.from('%PDF-1.4\n% test\n') }]);
    assert.equal(other.status, 201, other.text);
    assert.equal(aDone, false, 'the other submission committed while the register was still answering');
    // The register answers: the marriage application is filed with the fetched record.
    const { res } = pending[0];
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ name: '扎西多吉', id_number: DEMO_CITIZEN_ID, household_address: '西藏自治区拉萨市城关区八廓街道' }));
    const r = await slow;
    assert.equal(r.status, 201, r.text);
    const files = (await a.get(`/api/v1/applications/${r.body.number}`)).body.files;
    assert.ok(files.some((f) => f.material_key === 'household_register' && f.from_register), JSON.stringify(files));
    const use = (await a.get('/api/v1/account/data-use')).body.reads;
    assert.ok(use.some((x) => x.purpose === 'material' && x.case_number === r.body.number && x.outcome === 'ok'));
  } finally {
    for (const { res } of pending) if (!res.writableEnded) res.end('{}');
    put(doc);
    await new Promise((r) => dept.close(r));
  }
});
