// tests/api/picker.test.mjs - the division picker over HTTP (issue 10, item 6), on the three
// forms that use it: the hotline's public form, the hotline desk's intake form and an
// application's field of type "division" (个体工商户设立登记, XZ-SJ-001).
//
// Without JavaScript the picker is linked selects that go back to the server: the "next
// level" button (_pick) must bring the same form back with every value kept, nothing
// stored and the next level's choices; a half-picked choice (a prefecture or a county) and a
// place outside the region must be clear field errors in the reader's language, never a
// 500. The type-ahead's endpoints answer in zh, bo and en.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { catalog } from '../lib/server.mjs';
import { Client, login, DEMO_PASSWORD } from '../lib/client.mjs';
import { demoServer, staff } from '../lib/hotline.mjs';

const ZH = catalog('zh'), BO = catalog('bo');
const HAN = /[\u4e00-\u9fff]/;
const LHASA = '540100000000', CHENGGUAN = '540102000000', BARKHOR = '540102002000';
const SHIGATSE = '540200000000';
let server, agent, citizen;

before(async () => {
  server = await demoServer('picker');
  agent = await staff(server.srv, 'hotline.xz');
  citizen = await login(server.srv, '13800000001', { password: DEMO_PASSWORD, uploadPage: '/api/v1/services/XZ-SJ-001/apply' });
});
after(async () => {
  const r = await server.stop();
  assert.deepEqual(r, { code: 0, signal: null }, server.srv.log());
});

const levels = (picker) => Object.fromEntries(picker.levels.map((l) => [l.level, l]));
const selected = (level) => level.options.find((o) => o.selected)?.code;
const count = () => Number(server.sql('SELECT COUNT(*) FROM hotline_orders')[0][0]);

const COMPLAINT = { description: '八廓街附近的路灯坏了一个多星期，晚上出行很不方便。', address: '八廓街 3 号', phone: '13911110000', caller_name: '卓玛' };

test('the public form without JavaScript: each "next level" keeps what was typed and offers the next level; nothing is stored', async () => {
  const anon = new Client(server.srv);
  const first = await anon.get('/hotline/submit');
  assert.equal(first.status, 200);
  let p = levels(first.body.picker);
  assert.equal(p.prefecture.options.length, 7, 'the seven prefectures');
  assert.ok(!p.county.shown && !p.township.shown && !p.village.shown);
  assert.equal(first.body.picker.next, ZH.divisions.picker.next, 'a "next level" button');
  const before = count();
  // Pick the prefecture, press "next level".
  const r1 = await anon.submit('/hotline/submit', { ...COMPLAINT, 'division.l2': LHASA, _pick: 'division' }, { page: '/hotline/submit' });
  assert.equal(r1.status, 200, r1.text);
  assert.equal(r1.body.values.description, COMPLAINT.description, 'the description kept');
  assert.equal(r1.body.values.address, COMPLAINT.address);
  assert.equal(r1.body.values.phone, COMPLAINT.phone);
  assert.equal(r1.body.values.caller_name, COMPLAINT.caller_name);
  assert.equal(r1.body.errors, undefined, 'nothing validated yet');
  p = levels(r1.body.picker);
  assert.equal(selected(p.prefecture), LHASA);
  assert.ok(p.county.shown && p.county.options.some((o) => o.code === CHENGGUAN));
  assert.ok(!p.township.shown);
  // The county, "next level" again: the townships of Chengguan.
  const r2 = await anon.submit('/hotline/submit', { ...COMPLAINT, 'division.l2': LHASA, 'division.l3': CHENGGUAN, _pick: 'division' }, { page: '/hotline/submit' });
  assert.equal(r2.status, 200);
  p = levels(r2.body.picker);
  assert.equal(selected(p.county), CHENGGUAN);
  assert.ok(p.township.options.some((o) => o.code === BARKHOR && o.name === '八廓街道'));
  assert.equal(count(), before, 'no order from a "next level"');
  // The HTML page keeps the values too (a browser without JavaScript sees this).
  const html = await anon.request('POST', '/hotline/submit', { json: false, form: {
    ...COMPLAINT, 'division.l2': LHASA, 'division.l3': CHENGGUAN, _pick: 'division', _csrf: await anon.csrf('/hotline/submit') } });
  assert.equal(html.status, 200);
  assert.ok(html.text.includes(COMPLAINT.description));
  assert.match(html.text, /<option value="540102000000" lang="zh" selected>城关区<\/option>/);
  assert.match(html.text, /name="division\.l4"/);
  // The township, and send: the order is in Barkhor.
  const done = await anon.submit('/hotline/submit', { ...COMPLAINT, 'division.l2': LHASA, 'division.l3': CHENGGUAN, 'division.l4': BARKHOR, 'division.l5': '' }, { page: '/hotline/submit' });
  assert.equal(done.status, 201, done.text);
  assert.equal(server.sql(`SELECT division_code FROM hotline_orders WHERE number = '${done.body.number}'`)[0][0], BARKHOR);
});

test('half-picked, stale and foreign divisions are field errors in the reader\'s language, never a 500', async () => {
  const anon = new Client(server.srv);
  const before = count();
  // A county only: "keep choosing", beside the picker, with the townships offered.
  const half = await anon.submit('/hotline/submit', { ...COMPLAINT, 'division.l2': LHASA, 'division.l3': CHENGGUAN, 'division.l4': '' }, { page: '/hotline/submit' });
  assert.equal(half.status, 422, half.text);
  const e = half.body.errors.find((x) => x.field === 'division');
  assert.equal(e.code, 'hotline.division_too_coarse');
  assert.equal(e.message, ZH.errors.hotline.division_too_coarse);
  assert.equal(half.body.picker.error, e.message, 'the picker shows its own error');
  assert.ok(levels(half.body.picker).township.shown);
  // The prefecture changed without JavaScript: the old county and township are dropped.
  const stale = await anon.submit('/hotline/submit', { ...COMPLAINT, 'division.l2': SHIGATSE, 'division.l3': CHENGGUAN, 'division.l4': BARKHOR }, { page: '/hotline/submit' });
  assert.equal(stale.status, 422);
  assert.equal(stale.body.errors.find((x) => x.field === 'division').code, 'hotline.division_too_coarse');
  const sp = levels(stale.body.picker);
  assert.equal(selected(sp.prefecture), SHIGATSE);
  assert.ok(!sp.county.options.some((o) => o.code === CHENGGUAN), 'the counties of Shigatse now');
  // Nothing chosen.
  const none = await anon.submit('/hotline/submit', { ...COMPLAINT, 'division.l2': '' }, { page: '/hotline/submit' });
  assert.equal(none.body.errors.find((x) => x.field === 'division').code, 'hotline.division_required');
  // Another province (a real Beijing code), sent as selects or as the code itself.
  for (const form of [{ 'division.l2': '110100000000', 'division.l3': '110101000000', 'division.l4': '110101001000' }, { division: '110101001000' }, { division: '540102999000' }]) {
    const r = await anon.submit('/hotline/submit', { ...COMPLAINT, ...form }, { page: '/hotline/submit' });
    assert.equal(r.status, 422, JSON.stringify(form));
    assert.ok(['hotline.division_required', 'hotline.unknown_division'].includes(r.body.errors.find((x) => x.field === 'division').code));
  }
  // In Tibetan the errors are Tibetan (they were Chinese).
  const bo = new Client(server.srv, { lang: 'bo' });
  const r = await bo.submit('/hotline/submit', { description: 'x', 'division.l2': LHASA }, { page: '/hotline/submit' });
  assert.equal(r.status, 422);
  for (const x of r.body.errors) {
    assert.equal(x.message, BO.errors.hotline[x.code.split('.')[1]]);
    assert.ok(!HAN.test(x.message), `${x.code} is Tibetan: ${x.message}`);
  }
  assert.equal(count(), before, 'nothing stored');
});

test('the desk: the same picker, the agent\'s "next level" keeps the call being typed', async () => {
  const r = await agent.submit('/hotline/orders', { ...COMPLAINT, urgency: 'urgent', 'division.l2': LHASA, 'division.l3': CHENGGUAN, _pick: 'division' }, { page: '/hotline' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.values.description, COMPLAINT.description);
  assert.ok(r.body.urgencies.find((u) => u.code === 'urgent').selected, 'the urgency kept');
  assert.ok(levels(r.body.picker).township.options.some((o) => o.code === BARKHOR));
  const made = await agent.submit('/hotline/orders', { ...COMPLAINT, 'division.l2': LHASA, 'division.l3': CHENGGUAN, 'division.l4': BARKHOR, 'division.l5': '540102002004' }, { page: '/hotline' });
  assert.equal(made.status, 303, made.text);
  const number = made.location.split('/').pop();
  assert.equal(server.sql(`SELECT division_code FROM hotline_orders WHERE number = '${number}'`)[0][0], '540102002004');
  const half = await agent.submit('/hotline/orders', { ...COMPLAINT, 'division.l2': LHASA }, { page: '/hotline' });
  assert.equal(half.status, 422);
  assert.equal(half.body.errors.find((x) => x.field === 'division').code, 'hotline.division_too_coarse');
});

test('an application\'s division field is the same picker: next level, half-picked and foreign choices', async () => {
  const form = await citizen.get('/api/v1/services/XZ-SJ-001/apply');
  assert.equal(form.status, 200, form.text);
  const field = form.body.fields.find((f) => f.key === 'division');
  assert.equal(field.is_division, true);
  assert.equal(field.is_input, undefined, 'no 12-digit code box');
  assert.equal(field.picker.name, 'f_division');
  assert.equal(levels(field.picker).prefecture.options.length, 7);
  const typed = { _division: CHENGGUAN, f_business_name: '雪域甜茶馆', f_scope: '甜茶、藏面', f_capital: '30000' };
  // "Next level" keeps what was typed and validates nothing.
  const next = await citizen.upload('/api/v1/services/XZ-SJ-001/apply', { ...typed, 'f_division.l2': LHASA, 'f_division.l3': CHENGGUAN, _pick: 'f_division' }, []);
  assert.equal(next.status, 200, next.text);
  assert.equal(next.body.fields.find((f) => f.key === 'business_name').value, '雪域甜茶馆');
  assert.equal(next.body.has_problems, undefined);
  const p = levels(next.body.fields.find((f) => f.key === 'division').picker);
  assert.equal(selected(p.county), CHENGGUAN);
  assert.ok(p.township.options.some((o) => o.code === BARKHOR));
  // Pre-check of a half-picked choice: a problem on the field, named, localised.
  const half = await citizen.upload('/api/v1/services/XZ-SJ-001/apply', { ...typed, 'f_division.l2': LHASA, 'f_division.l3': CHENGGUAN, _action: 'precheck' }, []);
  assert.equal(half.status, 422, half.text);
  const prob = half.body.problems.find((x) => x.key === 'division');
  assert.equal(prob.code, 'divisions.incomplete');
  assert.equal(prob.message, ZH.errors.divisions.incomplete);
  assert.equal(half.body.fields.find((f) => f.key === 'division').picker.error, prob.message);
  // A place in another province, sent as the code itself.
  const away = await citizen.upload('/api/v1/services/XZ-SJ-001/apply', { ...typed, f_division: '110101001000', _action: 'precheck' }, []);
  assert.equal(away.body.problems.find((x) => x.key === 'division').code, 'divisions.outside');
  // A township is fine: no problem on the field.
  const ok = await citizen.upload('/api/v1/services/XZ-SJ-001/apply', { ...typed, 'f_division.l2': LHASA, 'f_division.l3': CHENGGUAN, 'f_division.l4': BARKHOR, _action: 'precheck' }, []);
  assert.ok(!(ok.body.problems || []).some((x) => x.key === 'division'), JSON.stringify(ok.body.problems));
});

test('the type-ahead finds counties by their Tibetan names; the picker offers them in Tibetan', async () => {
  const anon = new Client(server.srv);
  const LHUNZHUB = '540121000000', LHUNZHUB_BO = 'ལྷུན་གྲུབ་རྫོང་།';
  // By its first syllables, with or without the tsheg, and the whole name.
  for (const q of ['ལྷུན་གྲུབ', 'ལྷུན་གྲུབ་', LHUNZHUB_BO]) {
    const r = await anon.get(`/api/v1/divisions/search?lang=bo&q=${encodeURIComponent(q)}`);
    assert.equal(r.status, 200, q);
    assert.equal(r.body.results[0].code, LHUNZHUB, q);
    assert.equal(r.body.results[0].name, LHUNZHUB_BO);
    assert.equal(r.body.results[0].name_lang, 'bo');
    assert.equal(r.body.results[0].context, `${BO.divisions.levels.county} · ལྷ་ས་གྲོང་ཁྱེར།`);
  }
  // A township in it: the county in the context is Tibetan, the township's own name Chinese.
  const town = await anon.get(`/api/v1/divisions/search?lang=bo&q=${encodeURIComponent('甘丹曲果镇')}`);
  assert.equal(town.status, 200);
  assert.equal(town.body.results[0].name_lang, 'zh');
  assert.equal(town.body.results[0].context, `${BO.divisions.levels.township} · ${LHUNZHUB_BO} · ལྷ་ས་གྲོང་ཁྱེར།`);
  // A Tibetan query on a Chinese page finds it too, named in Chinese there.
  const zh = await anon.get(`/api/v1/divisions/search?lang=zh&q=${encodeURIComponent('ལྷུན་གྲུབ')}`);
  assert.equal(zh.body.results[0].code, LHUNZHUB);
  assert.equal(zh.body.results[0].name, '林周县');
  // The selects offer Lhasa's counties by their Tibetan names, in the JSON model and the form.
  const model = await anon.get(`/api/v1/divisions/${LHUNZHUB}/picker?lang=bo`);
  const county = levels(model.body).county;
  assert.equal(county.options.find((o) => o.code === LHUNZHUB).name, LHUNZHUB_BO);
  assert.equal(county.options.find((o) => o.code === LHUNZHUB).name_lang, 'bo');
  assert.deepEqual(model.body.path.map((p) => p.name), ['ལྷ་ས་གྲོང་ཁྱེར།', LHUNZHUB_BO]);
  const form = await anon.submit('/hotline/submit?lang=bo', { ...COMPLAINT, 'division.l2': LHASA, 'division.l3': LHUNZHUB, _pick: 'division' },
    { page: '/hotline/submit?lang=bo', json: false });
  assert.equal(form.status, 200, form.text.slice(0, 300));
  assert.ok(form.text.includes(`<option value="${LHUNZHUB}" lang="bo" selected>${LHUNZHUB_BO}</option>`), 'the county option, selected, in Tibetan');
});

test('the type-ahead finds places by Chinese, Tibetan and English names and by code; junk is a 400', async () => {
  const anon = new Client(server.srv);
  const zh = await anon.get(`/api/v1/divisions/search?q=${encodeURIComponent('八廓')}`);
  assert.equal(zh.status, 200);
  assert.equal(zh.body.results[0].code, BARKHOR);
  assert.equal(zh.body.results[0].context, `${ZH.divisions.levels.township} · 城关区 · 拉萨市`);
  const bo = await anon.get(`/api/v1/divisions/search?lang=bo&q=${encodeURIComponent('ལྷ་ས')}`);
  assert.equal(bo.body.results[0].code, LHASA);
  assert.equal(bo.body.results[0].name_lang, 'bo');
  // Chinese names still match on a Tibetan page (most townships have no Tibetan name yet).
  const mixed = await anon.get(`/api/v1/divisions/search?lang=bo&q=${encodeURIComponent('八廓')}`);
  assert.equal(mixed.body.results[0].code, BARKHOR);
  assert.equal(mixed.body.results[0].name_lang, 'zh');
  const en = await anon.get('/api/v1/divisions/search?lang=en&q=shigatse');
  assert.equal(en.body.results[0].code, SHIGATSE);
  const code = await anon.get('/api/v1/divisions/search?q=540102002');
  assert.equal(code.body.results[0].code, BARKHOR);
  const limited = await anon.get(`/api/v1/divisions/search?limit=3&q=${encodeURIComponent('村')}`);
  assert.equal(limited.body.results.length, 3);
  for (const q of ['abc', '0', '51', '5x']) {
    const r = await anon.get(`/api/v1/divisions/search?limit=${q}&q=a`);
    assert.equal(r.status, 400, `limit=${q.slice(0, 10)}`);
    assert.equal(r.body.code, 'http.bad_number');
  }
  assert.equal((await anon.get(`/api/v1/divisions/search?q=${encodeURIComponent('字'.repeat(60))}`)).status, 400);
  // The picker's model for the script, per code.
  const model = await anon.get(`/api/v1/divisions/${BARKHOR}/picker`);
  assert.equal(model.status, 200);
  assert.equal(model.body.code, BARKHOR);
  assert.equal(selected(levels(model.body).county), CHENGGUAN);
  assert.equal((await anon.get('/api/v1/divisions/540102999000/picker')).status, 404);
  assert.equal((await anon.get('/api/v1/divisions/junk/picker')).status, 400);
});
