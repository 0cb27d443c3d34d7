// tests/api/opendata.test.mjs - open data over HTTP (issue 14 items 1-4): the CKAN action
// API in CKAN's envelope, DCAT-AP parsed with a real RDF library (python3-rdflib), no
// personal data in any export (the monthly service statistics included), downloads and API calls counted, API keys with a daily quota,
// a department's upload (malformed CSV named by line, licence required to publish, Tibetan
// missing flagged), and the portal's filters.
//
// One server for the file on a database of its own (SQLite, or a fresh PostgreSQL database
// with ONEWINDOW_TEST_PG_URL), `init` and `demo` first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Client, login, DEMO_CITIZEN_ID } from '../lib/client.mjs';
import { demoServer } from '../lib/db.mjs';
import { idCheck } from '../lib/ids.mjs';

let env, srv;
const anon = () => new Client(srv);
const ckan = async (action, query = '', headers = {}) => {
  const r = await anon().get(`/api/3/action/${action}${query ? `?${query}` : ''}`, { json: false, headers });
  return { status: r.status, body: JSON.parse(r.text), headers: r.headers };
};
const staff = (who) => login(srv, who, { staff: true, page: '/data/admin', uploadPage: '/data/admin' });

before(async () => {
  env = await demoServer('opendata', { timeout: 60000 });
  srv = env.srv;
});
after(async () => {
  if (!env) return;
  const r = await env.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `the server must drain and exit 0 (leaks fail it under ASan):\n${srv.log()}`);
});

// ---- CKAN -------------------------------------------------------------------------------

test('CKAN package_list, package_show and errors answer in CKAN\'s envelope', async () => {
  const list = await ckan('package_list');
  assert.equal(list.status, 200);
  assert.deepEqual(Object.keys(list.body).sort(), ['help', 'result', 'success']);
  assert.equal(list.body.success, true);
  assert.match(list.body.help, /\/api\/3\/action\/help_show\?name=package_list$/);
  for (const name of ['service-catalog', 'divisions', 'working-day-calendar', 'service-ratings',
    'hotline-orders-weekly', 'service-statistics-monthly', 'chengguan-marriage-registrations']) {
    assert.ok(list.body.result.includes(name), `package_list lacks ${name}`);
  }
  assert.ok(!list.body.result.includes('chengguan-care-homes'), 'a draft is not listed');

  const show = await ckan('package_show', 'id=chengguan-marriage-registrations');
  assert.equal(show.status, 200);
  const p = show.body.result;
  assert.equal(p.name, 'chengguan-marriage-registrations');
  assert.equal(p.type, 'dataset');
  assert.equal(p.state, 'active');
  assert.equal(p.private, false);
  assert.equal(p.license_id, 'CC-BY-4.0');
  assert.equal(p.title, '城关区婚姻登记统计（按月）');
  assert.match(p.title_translated.bo, /[\u0F00-\u0FFF]/);
  assert.equal(p.title_translated.en, 'Marriage registrations in Chengguan by month');
  assert.equal(p.owner_org, 'cg-mz');
  assert.equal(p.organization.name, 'cg-mz');
  assert.equal(p.organization.is_organization, true);
  assert.equal(p.num_resources, 3);
  assert.deepEqual(p.resources.map((r) => r.format), ['CSV', 'JSON', 'API']);
  assert.match(p.resources[0].url, /\/data\/chengguan-marriage-registrations\/data\.csv$/);
  assert.ok(p.tags.some((t) => t.name === '结婚'), JSON.stringify(p.tags));
  assert.ok(p.groups.some((g) => g.name === 'SOCI'));
  assert.match(p.metadata_modified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  // by id as well as by name
  const byId = await ckan('package_show', `id=${p.id}`);
  assert.equal(byId.body.result.name, p.name);

  const missing = await ckan('package_show', 'id=no-such-dataset');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.success, false);
  assert.deepEqual(missing.body.error, { __type: 'Not Found Error', message: 'Not found' });
  const noId = await ckan('package_show');
  assert.equal(noId.status, 409);
  assert.equal(noId.body.error.__type, 'Validation Error');
  const draft = await ckan('package_show', 'id=chengguan-care-homes');
  assert.equal(draft.status, 404, 'a draft is not shown');
  const unknown = await ckan('resource_create');
  assert.equal(unknown.status, 400);
  assert.equal(unknown.body.success, false);
});

test('CKAN package_search: q, fq, rows and start; more than 100 rows need a key', async () => {
  const all = await ckan('package_search', 'q=*:*&rows=100');
  assert.equal(all.status, 200);
  assert.equal(all.body.result.count, 7);
  assert.equal(all.body.result.results.length, 7);
  const q = await ckan('package_search', `q=${encodeURIComponent('婚姻')}`);
  assert.deepEqual(q.body.result.results.map((r) => r.name), ['chengguan-marriage-registrations']);
  const bo = await ckan('package_search', `q=${encodeURIComponent('གཉེན་སྒྲིག')}`);
  assert.deepEqual(bo.body.result.results.map((r) => r.name), ['chengguan-marriage-registrations']);
  const en = await ckan('package_search', 'q=HOTLINE');
  assert.deepEqual(en.body.result.results.map((r) => r.name), ['hotline-orders-weekly']);
  const org = await ckan('package_search', 'fq=organization:platform');
  assert.equal(org.body.result.count, 6);
  const theme = await ckan('package_search', 'fq=groups:SOCI');
  assert.equal(theme.body.result.count, 1);
  const page = await ckan('package_search', 'rows=2&start=1');
  assert.equal(page.body.result.count, 7);
  assert.deepEqual(page.body.result.results.map((r) => r.name), all.body.result.results.slice(1, 3).map((r) => r.name));
  const bad = await ckan('package_search', 'rows=abc');
  assert.equal(bad.status, 409);
  assert.equal(bad.body.success, false);
  const heavy = await ckan('package_search', 'rows=500');
  assert.equal(heavy.status, 403);
  assert.equal(heavy.body.error.__type, 'Authorization Error');
  const long = await ckan('package_search', `q=${'x'.repeat(300)}`);
  assert.equal(long.status, 409);
});

test('CKAN organization_list and organization_show', async () => {
  const names = await ckan('organization_list');
  assert.deepEqual(names.body.result.sort(), ['cg-mz', 'platform']);
  const full = await ckan('organization_list', 'all_fields=true');
  const cg = full.body.result.find((o) => o.name === 'cg-mz');
  assert.equal(cg.package_count, 1);
  assert.match(cg.title_translated.bo, /[\u0F00-\u0FFF]/);
  const show = await ckan('organization_show', 'id=platform&include_datasets=true');
  assert.equal(show.status, 200);
  assert.equal(show.body.result.package_count, 6);
  assert.equal(show.body.result.packages.length, 6);
  const none = await ckan('organization_show', 'id=nobody');
  assert.equal(none.status, 404);
  assert.equal(none.body.error.__type, 'Not Found Error');
});

test('an API key has a daily quota; an unknown key is refused', async () => {
  const r = env.cli(['opendata', 'key', 'heavy-user', '3']);
  assert.equal(r.status, 0, r.stderr);
  const key = /shown once\): (\S+)/.exec(r.stdout)[1];
  const h = { 'X-CKAN-API-Key': key };
  const big = await ckan('package_search', 'rows=500', h);
  assert.equal(big.status, 200, 'a key allows more rows');
  assert.equal((await ckan('package_list', '', h)).status, 200);
  assert.equal((await ckan('package_list', '', { Authorization: key })).status, 200);
  const over = await ckan('package_list', '', h);
  assert.equal(over.status, 429);
  assert.equal(over.body.success, false);
  const wrong = await ckan('package_list', '', { 'X-CKAN-API-Key': 'not-a-key' });
  assert.equal(wrong.status, 403);
  assert.equal(wrong.body.error.__type, 'Authorization Error');
});

test('downloads and API calls are counted per dataset', async () => {
  const before0 = (await ckan('package_show', 'id=divisions')).body.result;
  const csv = await anon().get('/data/divisions/data.csv', { json: false });
  assert.equal(csv.status, 200);
  assert.match(csv.headers['content-type'], /^text\/csv; charset=utf-8/);
  assert.match(csv.headers['content-disposition'], /attachment; filename="divisions.csv"/);
  assert.match(csv.text, /^code,parent_code,level,name_zh,name_bo,name_en\r\n540000000000,0,1,西藏自治区,བོད་རང་སྐྱོང་ལྗོངས།/);
  const json = await anon().get('/data/divisions/data.json', { json: false });
  assert.equal(JSON.parse(json.text)[1].name_zh, '拉萨市');
  const rows = await anon().get('/api/v1/data/divisions/rows?offset=1&limit=1');
  assert.equal(rows.status, 200);
  assert.deepEqual(rows.body.rows, [JSON.parse(json.text)[1]]);
  assert.ok(rows.body.total > 700);
  assert.equal((await anon().get('/api/v1/data/divisions/rows?limit=5000')).status, 400);
  const after0 = (await ckan('package_show', 'id=divisions')).body.result;
  assert.equal(after0.downloads, before0.downloads + 2);
  // package_show itself and the row API are API calls
  assert.equal(after0.api_calls, before0.api_calls + 2);
});

// ---- DCAT -------------------------------------------------------------------------------

// python3-rdflib (Debian) parses both serialisations; the script prints a JSON summary.
const RDF_CHECK = `
import json, sys, rdflib
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF
graphs = {}
for path, fmt in ((sys.argv[1], 'turtle'), (sys.argv[2], 'json-ld')):
    g = rdflib.Graph(); g.parse(path, format=fmt); graphs[fmt] = g
g = graphs['turtle']
out = {'triples': len(g), 'isomorphic': isomorphic(g, graphs['json-ld']), 'datasets': {},
       'untagged': [str(o) for o in g.objects() if isinstance(o, rdflib.Literal) and not o.language and o.datatype is None],
       'catalog_datasets': len(list(g.objects(None, DCAT.dataset)))}
for ds in g.subjects(RDF.type, DCAT.Dataset):
    out['datasets'][str(ds)] = {
        'titles': {l.language: str(l) for l in g.objects(ds, DCTERMS.title)},
        'distributions': len(list(g.objects(ds, DCAT.distribution))),
        'licences': sorted({str(l) for d in g.objects(ds, DCAT.distribution) for l in g.objects(d, DCTERMS.license)}),
        'publisher': str(g.value(ds, DCTERMS.publisher)),
    }
print(json.dumps(out))
`;

test('DCAT-AP in Turtle and JSON-LD parses with rdflib; every dataset has zh and bo titles', async () => {
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(`${tmpdir()}/od-dcat-`);
  const ttl = await anon().get('/data/catalog.ttl', { json: false });
  assert.equal(ttl.status, 200);
  assert.match(ttl.headers['content-type'], /^text\/turtle/);
  const ld = await anon().get('/data/catalog.jsonld', { json: false });
  assert.match(ld.headers['content-type'], /^application\/ld\+json/);
  writeFileSync(`${dir}/c.ttl`, ttl.raw);
  writeFileSync(`${dir}/c.jsonld`, ld.raw);
  const py = spawnSync('/usr/bin/python3', ['-c', RDF_CHECK, `${dir}/c.ttl`, `${dir}/c.jsonld`], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const out = JSON.parse(py.stdout);
  assert.equal(out.isomorphic, true, 'Turtle and JSON-LD say the same');
  assert.deepEqual(out.untagged, [], 'every literal has a language or a datatype');
  const sets = Object.entries(out.datasets);
  assert.equal(sets.length, 7);
  assert.equal(out.catalog_datasets, 7);
  for (const [iri, d] of sets) {
    assert.ok(d.titles.zh && /[\u4e00-\u9fff]/.test(d.titles.zh), `${iri}: no zh title`);
    assert.ok(d.titles.bo && /[\u0F40-\u0FBC]/.test(d.titles.bo), `${iri}: no bo title`);
    assert.ok(d.titles.en, `${iri}: no en title`);
    assert.equal(d.distributions, 3);
    assert.deepEqual(d.licences, ['https://creativecommons.org/licenses/by/4.0/']);
    assert.match(d.publisher, /\/data\?department=(platform|cg-mz)$/);
  }
  // A hostile Host header cannot inject into the IRIs.
  const evil = await anon().get('/data/catalog.ttl', { json: false, headers: { host: 'a> <b' } });
  assert.equal(evil.status, 400);
});

// ---- monthly service statistics ---------------------------------------------------------

test('the monthly service statistics count a new application by department and item', async () => {
  const citizen = await login(srv, DEMO_CITIZEN_ID, { page: '/api/v1/messages', uploadPage: '/api/v1/messages' });
  const day = new Date(Date.now() + 8 * 3600e3 + 10 * 86400e3).toISOString().slice(0, 10);
  const fields = { f_male_name: '扎西多吉', f_male_id: DEMO_CITIZEN_ID, f_female_name: '卓玛',
    f_female_id: '54010219920203123' + idCheck('54010219920203123'), f_appointment_date: day,
    f_phone: '13800000001', f_declaration: 'on', _division: '540102000000' };
  const pdf = Buffer.from('%PDF-1.4\n%%EOF\n');
  const files = [];
  for (const key of ['id_card', 'household_register', 'photo'])
    for (let i = 0; i < 3; i++) files.push({ name: `m_${key}`, filename: `${key}${i}.pdf`, type: 'application/pdf', data: pdf });
  // The row of this month's marriage registrations at Chengguan: [received, online] (the demo
  // may have filed one at the counter already).
  const month = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7);
  const row = async () => {
    assert.equal(env.cli(['opendata', 'refresh']).status, 0);
    const csv = (await anon().get('/data/service-statistics-monthly/data.csv', { json: false })).text.split('\r\n');
    assert.equal(csv[0], 'month,department,item_code,received,completed,on_time,online_share');
    const r = csv.find((l) => l.startsWith(`${month},cg-mz,XZ-MZ-001,`))?.split(',');
    return r ? { received: Number(r[3]), online: Math.round(Number(r[3]) * Number(r[6]) / 100), line: r.join(',') } : { received: 0, online: 0 };
  };
  const before = await row();
  const a = await citizen.upload('/api/v1/services/XZ-MZ-001/apply', fields, files);
  assert.equal(a.status, 201, a.text);
  const after = await row();
  assert.equal(after.received, before.received + 1, after.line);
  assert.equal(after.online, before.online + 1, `the online application counts as online: ${after.line}`);
});

// ---- no personal data -------------------------------------------------------------------

test('no name, phone or ID number leaks into any export', async () => {
  // The people in the data: the demo citizen, and a 12345 caller whose order (with name,
  // phone, ID number in the text and address) feeds the weekly statistics.
  const agent = await login(srv, 'hotline.xz', { staff: true, page: '/hotline' });
  const callerPhone = '13912345678', callerId = '54010219850505123' + idCheck('54010219850505123');
  const r = await agent.submit('/hotline/orders', {
    description: `小区停水三天了，我的身份证号 ${callerId}，请尽快恢复供水。`, division: '540102002000',
    address: '八廓街 5 号', caller_name: '格桑卓玛', phone: callerPhone, urgency: 'normal',
  }, { page: '/hotline' });
  assert.equal(r.status, 303, r.text);
  assert.equal(env.cli(['opendata', 'refresh']).status, 0);
  const week = (await anon().get('/data/hotline-orders-weekly/data.csv', { json: false })).text;
  const today = new Date(Date.now() + 8 * 3600e3);
  const monday = new Date(today - ((today.getUTCDay() + 6) % 7) * 86400e3).toISOString().slice(0, 10);
  assert.match(week, new RegExp(`\r\n${monday},[a-z_]*,540102000000,\\d+\r\n`), 'the new order is counted');
  const names = ['扎西多吉', '格桑卓玛', '八廓街 5 号'];
  const list = (await ckan('package_list')).body.result;
  const exports = [
    (await anon().get('/data/catalog.ttl', { json: false })).text,
    (await anon().get('/data/catalog.jsonld', { json: false })).text,
  ];
  for (const slug of list) {
    exports.push((await anon().get(`/data/${slug}/data.csv`, { json: false })).text);
    exports.push((await anon().get(`/data/${slug}/data.json`, { json: false })).text);
  }
  const all = exports.join('\n');
  assert.ok(all.length > 10000);
  for (const n of names) assert.ok(!all.includes(n), `the name ${n} is exported`);
  assert.ok(!all.includes(DEMO_CITIZEN_ID));
  assert.ok(!all.includes('13800000001') && !all.includes(callerPhone) && !all.includes(callerId));
  const mobiles = all.match(/(?<!\d)1[3-9]\d{9}(?!\d)/g) ?? [];
  assert.deepEqual(mobiles, [], 'no mobile number');
  const ids = (all.match(/(?<![\dA-Z])\d{17}[\dX](?![\dA-Z])/g) ?? []).filter((s) => idCheck(s.slice(0, 17)) === s[17]);
  assert.deepEqual(ids, [], 'no valid ID number');
  // and the hotline export really is aggregated: week, category, county, count
  const hl = (await anon().get('/data/hotline-orders-weekly/data.csv', { json: false })).text.split('\r\n');
  assert.equal(hl[0], 'week,category,county_code,orders');
  assert.match(hl[1], /^\d{4}-\d\d-\d\d,[a-z_]+,54\d{4}000000,\d+$/);
});

// ---- uploads ----------------------------------------------------------------------------

const META = {
  slug: 'chengguan-test-upload', title_zh: '测试上传数据集', title_bo: 'ཚོད་ལྟའི་གཞི་གྲངས་ཚོགས།', title_en: 'Test upload',
  description_zh: '测试。', licence: 'CC-BY-4.0', themes: ['SOCI', 'GOVE'], frequency: 'MONTHLY',
};
const file = (text) => [{ name: 'file', filename: 'x.csv', type: 'text/csv', data: Buffer.from(text) }];

test('a department uploads a dataset: CSV errors name the line, a licence is required to publish', async () => {
  const head = await staff('head.chengguan');
  const page = await head.get('/data/admin');
  assert.equal(page.status, 200, page.text);
  const dept = page.body.departments[0].id;
  // the demo draft without Tibetan is flagged
  const draft = page.body.datasets.find((d) => d.slug === 'chengguan-care-homes');
  assert.equal(draft.missing_bo, true);
  assert.equal(draft.status, 'draft');
  assert.ok(page.body.missing_bo >= 1);
  assert.equal(page.body.datasets.find((d) => d.slug === 'chengguan-marriage-registrations').missing_bo, false);
  assert.ok(!page.body.datasets.some((d) => d.slug === 'divisions'), 'another department\'s datasets are not listed');

  const quote = await head.upload('/data/admin', { ...META, department: dept, publish: '1' }, file('a,b\r\n1,2\r\n3,"4\r\n'));
  assert.equal(quote.status, 400, quote.text);
  const e1 = quote.body.errors.find((e) => e.field === 'file');
  assert.equal(e1.code, 'opendata.csv_malformed');
  assert.equal(e1.line, 3);
  assert.match(e1.message, /第 3 行/);
  const width = await head.upload('/data/admin', { ...META, department: dept, publish: '1' }, file('a,b\n1,2\n3,4\n5\n'));
  assert.equal(width.status, 400);
  assert.deepEqual(width.body.errors.map((e) => [e.code, e.line]), [['opendata.csv_width', 4]]);
  const utf = await head.upload('/data/admin', { ...META, department: dept }, [{ name: 'file', filename: 'x.csv', data: Buffer.from([0x61, 0x0a, 0xff, 0x0a]) }]);
  assert.equal(utf.body.errors[0].code, 'opendata.csv_malformed');
  // every field error at once
  const nolic = await head.upload('/data/admin', { ...META, licence: '', slug: 'X', department: dept, publish: '1' }, file('a\n1\n'));
  assert.equal(nolic.status, 400);
  assert.deepEqual(nolic.body.errors.map((e) => e.code).sort(), ['opendata.bad_slug', 'opendata.licence_required']);
  // saved without publishing, no licence needed
  const saved = await head.upload('/data/admin', { ...META, licence: '', department: dept }, file('名称,数量\n甲,1\n'));
  assert.equal(saved.status, 200, saved.text);
  assert.equal((await ckan('package_show', `id=${META.slug}`)).status, 404, 'a draft is not public');
  const pub = await head.upload('/data/admin', { ...META, department: dept, publish: '1' }, file('名称,数量\r\n甲,1\r\n乙,2\r\n'));
  assert.equal(pub.status, 200, pub.text);
  const show = await ckan('package_show', `id=${META.slug}`);
  assert.equal(show.status, 200);
  assert.equal(show.body.result.title_translated.bo, META.title_bo);
  assert.deepEqual(show.body.result.groups.map((g) => g.name), ['SOCI', 'GOVE']);
  const csv = await anon().get(`/data/${META.slug}/data.csv`, { json: false });
  assert.equal(csv.text, '名称,数量\r\n甲,1\r\n乙,2\r\n');
  // the HTML form redirects with ?done=
  const html = await head.upload('/data/admin', { ...META, department: dept, publish: '1' }, file('名称,数量\n丙,3\n'), { json: false });
  assert.equal(html.status, 303);
  assert.equal(html.location, '/data/admin?done=opendata_saved');
});

test('only a department head or the platform administrator may publish, and only for their own', async () => {
  const clerk = await login(srv, 'clerk.chengguan', { staff: true });
  assert.equal((await clerk.get('/data/admin')).status, 403);
  const citizen = await login(srv, DEMO_CITIZEN_ID);
  assert.equal((await citizen.get('/data/admin')).status, 403);
  assert.equal((await anon().get('/data/admin', { json: false })).status, 303);
  const head = await staff('head.chengguan');
  const platform = env.sql("SELECT id FROM departments WHERE code = 'platform'")[0][0];
  const r = await head.upload('/data/admin', { ...META, slug: 'divisions', department: platform, publish: '1' }, file('a\n1\n'));
  assert.equal(r.status, 403, 'not for another department');
  const own = (await head.get('/data/admin')).body.departments[0].id;
  const taken = await head.upload('/data/admin', { ...META, slug: 'divisions', department: own, publish: '1' }, file('a\n1\n'));
  assert.equal(taken.status, 409, 'a platform dataset cannot be overwritten');
});

// ---- portal -----------------------------------------------------------------------------

test('the portal filters by search words, theme, publisher and place', async () => {
  const c = anon();
  const names = async (q) => (await c.get(`/api/v1/data${q}`)).body.datasets.map((d) => d.slug).sort();
  assert.equal((await names('')).length >= 7, true);
  assert.deepEqual(await names(`?q=${encodeURIComponent('婚姻')}`), ['chengguan-marriage-registrations']);
  assert.deepEqual(await names('?theme=REGI'), ['divisions']);
  assert.ok((await names('?department=cg-mz')).every((s) => s.startsWith('chengguan-')));
  // a place in Lhasa: region-wide datasets cover it, Chengguan's too
  const lhasa = await names('?place=540100000000');
  assert.ok(lhasa.includes('divisions') && lhasa.includes('chengguan-marriage-registrations'));
  const nagqu = await names('?place=540600000000');
  assert.ok(nagqu.includes('divisions') && !nagqu.includes('chengguan-marriage-registrations'));
  assert.equal((await c.get('/api/v1/data?place=abc')).status, 400);
  assert.equal((await c.get('/api/v1/data?page=0')).status, 400);
  // pages of 20: the filters stay in the links
  const r = env.cli(['opendata', 'bench-fill', '25']);
  assert.equal(r.status, 0, r.stderr);
  const p1 = (await c.get('/api/v1/data?department=platform')).body;
  assert.equal(p1.datasets.length, 20);
  assert.ok(p1.count > 20);
  assert.equal(p1.next_url, '/data?department=platform&page=2');
  const p2 = (await c.get(p1.next_url.replace('/data', '/api/v1/data'))).body;
  assert.equal(p2.datasets.length, p1.count - 20);
  assert.equal(p2.prev_url, '/data?department=platform&page=1');
  const page = await c.get('/data/chengguan-marriage-registrations', { json: false });
  assert.equal(page.status, 200);
  assert.match(page.text, /<td>2026-01<\/td><td>212<\/td>/);
  const home = await c.get('/', { json: false });
  assert.match(home.text, /href="\/data"/, 'the site links the portal');
});

test('onewindow opendata refresh rebuilds the platform datasets', () => {
  const r = env.cli(['opendata', 'refresh']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /6 platform dataset\(s\) refreshed/);
  const bad = env.cli(['opendata', 'key', 'x', 'many']);
  assert.notEqual(bad.status, 0);
});
