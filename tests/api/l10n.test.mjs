// tests/api/l10n.test.mjs - dates and list order as the reader's language has them (issue 11,
// item 4), through the pages: the calendar's special days and a hotline order's history in
// zh, bo and en (CLDR's patterns through ICU, times in Asia/Shanghai, ASCII digits), and the
// services and departments on /services sorted by name in the reader's language (CLDR's
// collations; Node's own ICU, Intl.Collator, is the independent judge of the order).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { demoServer, Client } from '../lib/hotline.mjs';

let server;
before(async () => { server = await demoServer('l10n'); });
after(async () => {
  const r = await server.stop();
  assert.deepEqual(r, { code: 0, signal: null }, server.srv.log());
});

const page = async (path) => (await fetch(server.srv.url + path)).text();
const json = async (path) => (await fetch(server.srv.url + path, { headers: { accept: 'application/json' } })).json();

test('the calendar names its special days in the reader\'s language: སྤྱི་ལོ་2026 ཟླ་བ་དང་པོའི་ཚེས་1 on a bo page', async () => {
  const want = { zh: '2026年1月1日', bo: 'སྤྱི་ལོ་2026 ཟླ་བ་དང་པོའི་ཚེས་1', en: 'January 1, 2026' };
  for (const [lang, text] of Object.entries(want)) {
    const html = await page(`/calendar/2026?lang=${lang}`);
    assert.ok(html.includes(`<time datetime="2026-01-01">${text}</time>`), `${lang}: ${text}`);
    // The machine-readable date stays ISO 8601 in the model and the attribute.
    const m = await json(`/api/v1/calendar/2026?lang=${lang}`);
    const jan1 = m.specials.find((s) => s.date === '2026-01-01');
    assert.equal(jan1.date_text, text);
  }
  // A day of the Spring Festival holiday, 18 February: the month is spelled out, the digits
  // are ASCII (CLDR's default for bo), never a mix of Tibetan and Arabic digits.
  const bo = await json('/api/v1/calendar/2026?lang=bo');
  const feb18 = bo.specials.find((s) => s.date === '2026-02-18');
  assert.ok(feb18, 'the data has 2026-02-18');
  assert.equal(feb18.date_text, 'སྤྱི་ལོ་2026 ཟླ་བ་གཉིས་པའི་ཚེས་18');
  assert.doesNotMatch(JSON.stringify(bo.specials.map((s) => s.date_text)), /[\u0F20-\u0F33]/);
});

test('a hotline order\'s history tells the time in the reader\'s language, in Asia/Shanghai', async () => {
  const anon = new Client(server.srv);
  const before = Date.now();
  const sub = await anon.submit('/hotline/submit', {
    description: '村里的路灯坏了一个星期，晚上出行很不方便。', division: '540102002000', address: '八廓街 9 号', phone: '13911113333',
  }, { page: '/hotline/submit' });
  assert.equal(sub.status, 201, sub.text);
  // What the clock said in Shanghai when the order was made (the minute may turn over).
  const shanghai = (ms) => new Date(ms + 8 * 3600e3).toISOString();
  const minutes = [before, Date.now()].map((ms) => shanghai(ms).slice(11, 16));
  const [y, mo, d] = shanghai(before).slice(0, 10).split('-').map(Number);
  const months = ['དང་པོ', 'གཉིས་པ', 'གསུམ་པ', 'བཞི་པ', 'ལྔ་པ', 'དྲུག་པ', 'བདུན་པ', 'བརྒྱད་པ', 'དགུ་པ', 'བཅུ་པ', 'བཅུ་གཅིག་པ', 'བཅུ་གཉིས་པ'];
  const en = new Date(before).toLocaleDateString('en-US', { timeZone: 'Asia/Shanghai', month: 'long', day: 'numeric', year: 'numeric' });
  const want = {
    zh: (hm) => `${y}年${mo}月${d}日 ${hm}`,
    bo: (hm) => `སྤྱི་ལོ་${y} ཟླ་བ་${months[mo - 1]}འི་ཚེས་${d} ${hm}`,
    en: (hm) => `${en} at ${hm}`,
  };
  for (const lang of ['zh', 'bo', 'en']) {
    const c = new Client(server.srv, { lang });
    const found = await c.submit('/hotline/status', { number: sub.body.number, phone: '13911113333' }, { page: '/hotline/status' });
    assert.equal(found.status, 200, found.text);
    const time = found.body.history[0].time;
    assert.ok(minutes.map(want[lang]).includes(time), `${lang}: ${time}, want ${minutes.map(want[lang]).join(' or ')}`);
    const html = await c.request('POST', '/hotline/status', { json: false, form: { number: sub.body.number, phone: '13911113333', _csrf: await c.csrf('/hotline/status') } });
    assert.ok(html.text.includes(time), `${lang}: the page shows ${time}`);
  }
});

test('/services lists services and departments in the order of the reader\'s language', async () => {
  for (const lang of ['zh', 'bo', 'en']) {
    const m = await json(`/services?lang=${lang}`);
    const coll = new Intl.Collator(lang);
    const names = m.items.map((i) => i.name.text);
    assert.ok(names.length > 10);
    assert.deepEqual(names, [...names].sort(coll.compare), `${lang} services`);
    const depts = m.departments.map((d) => d.name);
    assert.deepEqual(depts, [...depts].sort(coll.compare), `${lang} departments`);
  }
  // zh is pinyin: 不动产 (bù) before 出生 (chū) before 个体 (gè), not code point order.
  const zh = (await json('/services?lang=zh')).items.map((i) => i.name.text);
  const at = (prefix) => zh.findIndex((n) => n.startsWith(prefix));
  assert.ok(at('不动产') < at('出生') && at('出生') < at('个体'), zh.join(' '));
  // A search keeps its own order (best match first), not the alphabet.
  const q = await json('/services?q=' + encodeURIComponent('婚姻登记') + '&lang=zh');
  assert.ok(q.items.length >= 1);
});
