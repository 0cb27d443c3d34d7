// tests/api/open311.test.mjs - Open311 GeoReport v2 at /open311/v2/: every response validated
// against JSON Schemas written from the GeoReport v2 field tables (tests/api/schemas/open311/),
// the XML twins checked for well-formedness, their element names and escaping; API keys (403
// for a missing, wrong or revoked key), 400 with the standard error array for missing or
// wrong fields, the GET filters, tokens and 404s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../lib/server.mjs';
import { demoServer, Client, apiKey } from '../lib/hotline.mjs';

const SCHEMAS = join(ROOT, 'tests', 'api', 'schemas', 'open311');
const schema = (name) => JSON.parse(readFileSync(join(SCHEMAS, `${name}.json`), 'utf8'));

// A small JSON Schema validator for the keywords the schemas use: type, enum, required,
// properties, additionalProperties (false), items, minItems, minLength, minimum, maximum,
// anyOf, format date-time. Returns a list of problems ("path: message").
function validate(s, v, path = '$') {
  const out = [];
  const typeOf = (x) => (x === null ? 'null' : Array.isArray(x) ? 'array' : Number.isInteger(x) ? 'integer' : typeof x);
  if (s.type) {
    const types = [].concat(s.type);
    const t = typeOf(v);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return [`${path}: ${t} is not ${types.join('|')}`];
  }
  if (s.enum && !s.enum.includes(v)) out.push(`${path}: ${JSON.stringify(v)} not in ${s.enum.join(',')}`);
  if (typeof v === 'string') {
    if (s.minLength && [...v].length < s.minLength) out.push(`${path}: shorter than ${s.minLength}`);
    if (s.format === 'date-time' && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v)) out.push(`${path}: not an ISO 8601 date-time`);
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < s.minimum) out.push(`${path}: below ${s.minimum}`);
    if (s.maximum !== undefined && v > s.maximum) out.push(`${path}: above ${s.maximum}`);
  }
  if (Array.isArray(v)) {
    if (s.minItems && v.length < s.minItems) out.push(`${path}: fewer than ${s.minItems} items`);
    if (s.items) v.forEach((x, i) => out.push(...validate(s.items, x, `${path}[${i}]`)));
  }
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const k of s.required || []) if (!(k in v)) out.push(`${path}: ${k} is required`);
    for (const [k, x] of Object.entries(v)) {
      if (s.properties && s.properties[k]) out.push(...validate(s.properties[k], x, `${path}.${k}`));
      else if (s.additionalProperties === false) out.push(`${path}: ${k} is not allowed`);
    }
    if (s.anyOf && !s.anyOf.some((alt) => validate(alt, v, path).length === 0)) out.push(`${path}: matches none of anyOf`);
  }
  return out;
}
function assertValid(name, value) {
  const problems = validate(schema(name), value);
  assert.deepEqual(problems, [], `${name}: ${problems.join('; ')}\n${JSON.stringify(value).slice(0, 500)}`);
}

// A strict little XML reader for what the API writes: a declaration, elements without
// attributes, text with the five predefined entities. Throws on anything malformed
// (unbalanced tags, a raw '<' or '&' in text), returns {name, children, text}.
function parseXml(src) {
  let i = 0;
  const decl = /^<\?xml version="1\.0" encoding="utf-8"\?>\s*/.exec(src);
  assert.ok(decl, 'an XML declaration');
  i = decl[0].length;
  function text() {
    let s = '';
    while (i < src.length && src[i] !== '<') {
      if (src[i] === '&') {
        const m = /^&(lt|gt|amp|quot|apos);/.exec(src.slice(i));
        if (!m) throw new Error(`bad entity at ${i}`);
        s += { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[m[1]];
        i += m[0].length;
      } else { s += src[i++]; }
    }
    return s;
  }
  function element() {
    const open = /^<([A-Za-z_][\w.-]*)>/.exec(src.slice(i));
    if (!open) throw new Error(`expected a start tag at ${i}: ${src.slice(i, i + 30)}`);
    i += open[0].length;
    const node = { name: open[1], children: [], text: '' };
    for (;;) {
      node.text += text();
      if (src.startsWith(`</${node.name}>`, i)) { i += node.name.length + 3; return node; }
      if (src.startsWith('</', i)) throw new Error(`mismatched end tag at ${i}`);
      node.children.push(element());
    }
  }
  const root = element();
  if (src.slice(i).trim() !== '') throw new Error('content after the root element');
  return root;
}
const kids = (node, name) => node.children.filter((c) => c.name === name);
const kid = (node, name) => kids(node, name)[0];

let server, c, key;
const DIVISION = '540102002000';

before(async () => {
  server = await demoServer('open311');
  c = new Client(server.srv);
  key = apiKey(server, '市政务服务平台');
});
after(async () => {
  const r = await server.stop();
  assert.deepEqual(r, { code: 0, signal: null });
});

const post = (fmt, fields) => c.request('POST', `/open311/v2/requests.${fmt}`, { form: fields, json: false });
const valid = (extra = {}) => ({
  api_key: key, service_code: 'water', lat: '29.6525', long: '91.1320', address_string: '八廓街 12 号',
  'attribute[division]': DIVISION, description: '我们小区已经停水两天了，请尽快恢复供水。',
  first_name: '卓玛', last_name: '次仁', phone: '13900001234', jurisdiction_id: 'xizang.gov.cn', ...extra,
});

test('services.json lists the hotline categories and validates against the schema', async () => {
  const r = await c.get('/open311/v2/services.json', { json: false });
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /^application\/json/);
  assertValid('services', r.body);
  const codes = r.body.map((s) => s.service_code);
  for (const code of ['water', 'heating', 'hukou', 'noise']) assert.ok(codes.includes(code), code);
});

test('services.xml carries the same services as the JSON, element by element', async () => {
  const [j, x] = await Promise.all([c.get('/open311/v2/services.json', { json: false }), c.get('/open311/v2/services.xml', { json: false })]);
  assert.match(x.headers['content-type'], /^text\/xml/);
  const root = parseXml(x.text);
  assert.equal(root.name, 'services');
  const services = kids(root, 'service');
  assert.equal(services.length, j.body.length);
  for (const [n, s] of services.entries()) {
    assert.deepEqual(s.children.map((e) => e.name).sort(), Object.keys(j.body[n]).sort());
    assert.equal(kid(s, 'service_code').text, j.body[n].service_code);
    assert.equal(kid(s, 'service_name').text, j.body[n].service_name);
    assert.equal(kid(s, 'metadata').text, 'true');
  }
});

test('a service definition names the attributes a request needs (division required), in JSON and XML', async () => {
  const r = await c.get('/open311/v2/services/water.json', { json: false });
  assert.equal(r.status, 200);
  assertValid('service_definition', r.body);
  const division = r.body.attributes.find((a) => a.code === 'division');
  assert.equal(division.required, true);
  const urgency = r.body.attributes.find((a) => a.code === 'urgency');
  assert.deepEqual(urgency.values.map((v) => v.key).sort(), ['low', 'normal', 'urgent']);
  const x = parseXml((await c.get('/open311/v2/services/water.xml', { json: false })).text);
  assert.equal(x.name, 'service_definition');
  assert.equal(kid(x, 'service_code').text, 'water');
  const attrs = kids(kid(x, 'attributes'), 'attribute');
  assert.equal(attrs.length, 2);
  assert.equal(kid(attrs[0], 'required').text, 'true');
  assert.equal(kids(kid(attrs[1], 'values'), 'value').length, 3);
  const missing = await c.get('/open311/v2/services/nope.json', { json: false });
  assert.equal(missing.status, 404);
  assertValid('errors', missing.body);
});

test('POST requests.json with a key creates an order; GET by id and by token find it', async () => {
  const r = await post('json', valid());
  assert.equal(r.status, 201, r.text);
  assertValid('post_response', r.body);
  const id = r.body[0].service_request_id;
  assert.match(id, /^H\d{8}540102\d{6}$/, 'the number carries the county code');
  const one = await c.get(`/open311/v2/requests/${id}.json`, { json: false });
  assert.equal(one.status, 200);
  assertValid('requests', one.body);
  assert.equal(one.body.length, 1);
  const o = one.body[0];
  assert.equal(o.service_request_id, id);
  assert.equal(o.status, 'open');
  assert.equal(o.service_code, 'water');
  assert.equal(o.lat, 29.6525);
  assert.equal(o.long, 91.132);
  assert.equal(o.address, '八廓街 12 号');
  assert.ok(!JSON.stringify(one.body).includes('13900001234'), 'the phone never appears');
  assert.ok(!JSON.stringify(one.body).includes('卓玛'), 'nor the caller');
  const tok = await c.get(`/open311/v2/tokens/${r.body[0].token}.json`, { json: false });
  assert.equal(tok.status, 200);
  assertValid('tokens', tok.body);
  assert.equal(tok.body[0].service_request_id, id);
  const tokx = parseXml((await c.get(`/open311/v2/tokens/${r.body[0].token}.xml`, { json: false })).text);
  assert.equal(kid(kid(tokx, 'request'), 'service_request_id').text, id);
  // The order is in the hotline with its channel, the phone sealed at rest.
  const rows = server.sql(`SELECT channel, status, api_key_id <> 0, phone_hash IS NOT NULL FROM hotline_orders WHERE number = '${id}'`);
  assert.deepEqual(rows, [['open311', 'new', server.db.startsWith('sqlite') ? '1' : 't', server.db.startsWith('sqlite') ? '1' : 't']]);
  const dump = server.sql(`SELECT phone_hash FROM hotline_orders WHERE number = '${id}'`)[0][0];
  assert.ok(!dump.includes('13900001234'));
});

test('POST requests.xml answers in XML; text is escaped and reads back intact', async () => {
  const tricky = `水管爆裂 <script>alert("x")</script> & 'quotes' 已经三天`;
  const r = await post('xml', valid({ description: tricky, address_string: 'A&B <路>' }));
  assert.equal(r.status, 201, r.text);
  const root = parseXml(r.text);
  assert.equal(root.name, 'service_requests');
  const id = kid(kid(root, 'request'), 'service_request_id').text;
  const x = await c.get(`/open311/v2/requests/${id}.xml`, { json: false });
  assert.ok(!x.text.includes('<script>'), 'no raw markup from input');
  const req = kid(parseXml(x.text), 'request');
  assert.equal(kid(req, 'description').text, tricky);
  assert.equal(kid(req, 'address').text, 'A&B <路>');
  const fields = Object.keys(schema('requests').items.properties).sort();
  assert.deepEqual(req.children.map((e) => e.name).sort(), fields, 'the XML request has the field table\'s elements');
});

test('a wrong, missing or revoked api_key is 403 with the standard error document (JSON and XML)', async () => {
  for (const fields of [valid({ api_key: 'not-a-key' }), (({ api_key, ...rest }) => rest)(valid())]) {
    const r = await post('json', fields);
    assert.equal(r.status, 403);
    assertValid('errors', r.body);
    assert.equal(r.body[0].code, 403);
    const x = await post('xml', fields);
    assert.equal(x.status, 403);
    const root = parseXml(x.text);
    assert.equal(root.name, 'errors');
    assert.equal(kid(kid(root, 'error'), 'code').text, '403');
  }
  const other = apiKey(server, 'to revoke');
  assert.equal((await post('json', valid({ api_key: other }))).status, 201);
  const list = server.cli(['open311', 'key', 'list']);
  const id = list.stdout.split('\n').find((l) => l.includes('to revoke')).split('\t')[0];
  assert.equal(server.cli(['open311', 'key', 'revoke', id]).status, 0);
  assert.equal((await post('json', valid({ api_key: other }))).status, 403);
});

test('missing or wrong fields are 400 with every problem listed', async () => {
  const r = await post('json', { api_key: key });
  assert.equal(r.status, 400);
  assertValid('errors', r.body);
  const text = r.body.map((e) => e.description).join(' | ');
  assert.match(text, /service_code/);
  assert.match(text, /location/);
  const bad = await post('json', valid({ service_code: 'no_such_service' }));
  assert.equal(bad.status, 400);
  assert.match(bad.body[0].description, /service_code/);
  const fields = await post('json', valid({ 'attribute[division]': '', description: '短', phone: '12', lat: '999' }));
  assert.equal(fields.status, 400, fields.text);
  assertValid('errors', fields.body);
  const all = fields.body.map((e) => e.description).join(' | ');
  for (const f of ['attribute[division]', 'description', 'phone', 'lat/long']) assert.ok(all.includes(f), `${f} in ${all}`);
  const county = await post('json', valid({ 'attribute[division]': '540102000000' }));
  assert.equal(county.status, 400, 'a county is too coarse: township or village');
  const x = await post('xml', { api_key: key, service_code: 'water' });
  assert.equal(x.status, 400);
  assert.equal(parseXml(x.text).name, 'errors');
  const bad404 = await c.get('/open311/v2/requests/H00000000000000000000.json', { json: false });
  assert.equal(bad404.status, 404);
  assertValid('errors', bad404.body);
});

test('GET requests.json filters by id list, service_code, status and dates', async () => {
  const a = (await post('json', valid({ service_code: 'noise', description: '夜间施工噪音太大，影响休息。' }))).body[0].service_request_id;
  const b = (await post('json', valid({ service_code: 'roads', description: '路面坑洼严重，请尽快修补。' }))).body[0].service_request_id;
  const both = await c.get(`/open311/v2/requests.json?service_request_id=${a},${b}`, { json: false });
  assert.equal(both.status, 200);
  assertValid('requests', both.body);
  assert.deepEqual(both.body.map((o) => o.service_request_id).sort(), [a, b].sort());
  const noise = await c.get('/open311/v2/requests.json?service_code=noise&status=open', { json: false });
  assertValid('requests', noise.body);
  assert.ok(noise.body.length >= 1);
  assert.ok(noise.body.every((o) => o.service_code === 'noise' && o.status === 'open'));
  assert.ok(noise.body.some((o) => o.service_request_id === a));
  const closed = await c.get('/open311/v2/requests.json?status=closed&service_code=noise', { json: false });
  assert.ok(closed.body.length > 0, 'the demo has closed noise orders');
  assert.ok(closed.body.every((o) => o.status === 'closed'));
  const future = await c.get('/open311/v2/requests.json?start_date=2099-01-01T00:00:00Z', { json: false });
  assert.deepEqual(future.body, []);
  const today = new Date(Date.now() - 3600e3).toISOString().replace(/\.\d+Z$/, 'Z');
  const recent = await c.get(`/open311/v2/requests.json?start_date=${today}&service_code=roads`, { json: false });
  assert.ok(recent.body.some((o) => o.service_request_id === b));
  const xml = parseXml((await c.get(`/open311/v2/requests.xml?service_request_id=${a}`, { json: false })).text);
  assert.equal(kids(xml, 'request').length, 1);
  for (const q of ['status=pending', 'start_date=yesterday', 'service_code=zzz']) {
    const r = await c.get(`/open311/v2/requests.json?${q}`, { json: false });
    assert.equal(r.status, 400, q);
    assertValid('errors', r.body);
  }
});

test('unknown formats and paths are 404', async () => {
  assert.equal((await c.get('/open311/v2/services.csv', { json: false })).status, 404);
  assert.equal((await c.get('/open311/v2/requests/abc', { json: false })).status, 404);
  assert.equal((await c.get('/open311/v2/tokens/nope.json', { json: false })).status, 404);
});
