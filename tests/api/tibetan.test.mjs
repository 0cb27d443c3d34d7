// tests/api/tibetan.test.mjs - Tibetan places and Tibetan input over HTTP (issue 11, items 3
// and 7), on a server with the demo region:
//
// - places: an application's field of type "division" is shown by its Tibetan names on a
//   Tibetan page (townships, which have none yet, in Chinese marked lang="zh"); the notices
//   about an application name its place in the applicant's language; the hotline's order
//   page names the place in Tibetan, its dashboard counts by county in Tibetan;
// - input: a registration name, an enterprise's name and legal representative, a walk-in
//   person's name, an application's text fields and a hotline caller's name, address and
//   description in Tibetan script (letters, tsheg, shad) are accepted and stored in NFC (a
//   precomposed U+0F73, which NFC decomposes, comes back as U+0F71 U+0F72; a decomposed é as
//   é), and Tibetan text is found by syllable.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { catalog } from '../lib/server.mjs';
import { Client, login as loginAs, DEMO_CITIZEN_ID } from '../lib/client.mjs';
import { demoServer } from '../lib/db.mjs';
import { idNumbers, phones, usccs } from '../lib/ids.mjs';

const BO = catalog('bo');
const LHASA = '540100000000', CHENGGUAN = '540102000000', BARKHOR = '540102002000';
const LHASA_BO = 'ལྷ་ས་གྲོང་ཁྱེར།', CHENGGUAN_BO = 'ཁྲིན་ཀོན་ཆུས།', BARKHOR_ZH = '八廓街道';
// ཤྲཱི་སྒྲོལ་མ། typed with U+0F73 (precomposed ཱི), and the same in NFC (U+0F71 U+0F72).
const TYPED = 'ཤྲ\u0F73་སྒྲོལ་མ།', NFC = 'ཤྲ\u0F71\u0F72་སྒྲོལ་མ།';
assert.notEqual(TYPED, NFC);
assert.equal(TYPED.normalize('NFC'), NFC);

const newIdNumber = idNumbers({ birth: '19940404', seed: (process.pid + 300) % 900 });
const newPhone = phones('135', { seed: (process.pid * 31) % 100000000 });
const newUscc = usccs();
const PDF = () => Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(100)]);

let db, srv;
before(async () => {
  db = await demoServer('tibetan');
  srv = db.srv;
});
after(async () => {
  if (srv) {
    const r = await db.stop();
    assert.deepEqual(r, { code: 0, signal: null }, srv.log());
  }
});

const client = (opts = {}) => new Client(srv, opts);
async function newCitizen(name, lang = 'bo') {
  const c = client({ uploadPage: '/api/v1/services/XZ-SJ-001/apply' });
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const id = newIdNumber();
  const r = await c.submit(`/register?lang=${lang}`, { name, id_number: id, phone: newPhone(), password, password_again: password }, { page: `/register?lang=${lang}` });
  assert.equal(r.status, 303, r.text);
  return { c, id };
}

// ---- input ------------------------------------------------------------------------------

test('registration: a Tibetan name (letters, tsheg, shad) is accepted and kept in NFC', async () => {
  const { c } = await newCitizen(TYPED);
  const me = await c.get('/api/v1/account');
  assert.equal(me.status, 200);
  assert.equal(me.body.account.name, NFC);
  const plain = await newCitizen('བཀྲ་ཤིས་དོན་གྲུབ།');
  assert.equal((await plain.c.get('/api/v1/account')).body.account.name, 'བཀྲ་ཤིས་དོན་གྲུབ།');
});

test('an enterprise with a Tibetan name and legal representative, kept in NFC', async () => {
  const { c } = await newCitizen(TYPED);
  const uscc = newUscc();
  const name = `ལྷ་ས་${TYPED}ཚོང་ཁང་།`;
  const r = await c.submit('/account/enterprises', { uscc, name, legal_rep: TYPED, role: 'legal_rep' }, { page: '/account/enterprises/new' });
  assert.equal(r.status, 303, r.text);
  const list = await c.get('/api/v1/account/enterprises');
  assert.equal(list.body.enterprises.length, 1);
  assert.equal(list.body.enterprises[0].name, name.normalize('NFC'));
  assert.equal(list.body.enterprises[0].legal_rep, NFC);
});

test('an application in Tibetan: text fields in NFC, the place in Tibetan, the notice naming it', async () => {
  const { c, id } = await newCitizen(TYPED);
  const fields = {
    _division: CHENGGUAN, f_applicant_name: TYPED, f_applicant_id: id, f_phone: '13800000002',
    f_business_name: `${TYPED}ཇ་ཁང་།`, f_scope: 'བོད་ཇ། ཐུག་པ།', f_capital: '30000',
    'f_division.l2': LHASA, 'f_division.l3': CHENGGUAN, 'f_division.l4': BARKHOR, _action: 'submit',
  };
  const files = ['id_card', 'premises'].map((k) => ({ name: `m_${k}`, filename: `${k}.pdf`, type: 'application/pdf', data: PDF() }));
  const r = await c.upload('/api/v1/services/XZ-SJ-001/apply?lang=bo', fields, files, { page: '/api/v1/services/XZ-SJ-001/apply?lang=bo' });
  assert.equal(r.status, 201, r.text);
  const n = r.body.number;
  const v = await c.get(`/api/v1/applications/${n}?lang=bo`);
  assert.equal(v.status, 200);
  const value = (key) => v.body.fields.find((f) => f.key === key);
  assert.equal(value('applicant_name').value, NFC);
  assert.equal(value('business_name').value, `${NFC}ཇ་ཁང་།`);
  assert.equal(value('scope').value, 'བོད་ཇ། ཐུག་པ།');
  // The place, from the prefecture down: Tibetan where the data has it, else Chinese, marked.
  const place = value('division');
  assert.equal(place.value, `${LHASA_BO} › ${CHENGGUAN_BO} › ${BARKHOR_ZH}`);
  assert.deepEqual(place.value_parts, [
    { name: LHASA_BO, lang: 'bo', sep: '' },
    { name: CHENGGUAN_BO, lang: 'bo', sep: ' › ' },
    { name: BARKHOR_ZH, lang: 'zh', sep: ' › ' },
  ]);
  const page = await c.get(`/applications/${n}?lang=bo`, { json: false });
  assert.ok(page.text.includes(`<dd><span lang="bo">${LHASA_BO}</span> › <span lang="bo">${CHENGGUAN_BO}</span> › <span lang="zh">${BARKHOR_ZH}</span></dd>`),
    'the page marks each part with its language');
  // The notice names the place its number carries, in Tibetan (the applicant applied in bo).
  const inbox = await c.get('/api/v1/messages?lang=bo');
  assert.equal(inbox.status, 200, inbox.text);
  const msg = inbox.body.messages.find((m) => m.link === `/applications/${n}`);
  assert.ok(msg, JSON.stringify(inbox.body.messages));
  const dept = db.sql(`SELECT division_code FROM applications WHERE number = '${n}'`)[0][0];
  const deptPlace = db.sql(`SELECT name_bo FROM divisions WHERE code = ${dept}`)[0][0];
  assert.ok(deptPlace, 'the competent department sits in a division with a Tibetan name');
  assert.ok(msg.text.includes(n) && msg.text.includes(deptPlace), msg.text);
  assert.ok(msg.text.includes(BO.apply.notice.submitted.split('{{')[0].trim()), msg.text);
});

test('a walk-in person with a Tibetan name, filed at the counter, kept in NFC', async () => {
  const clerk = await loginAs(srv, 'clerk.bakuo', { staff: true, client: client({ uploadPage: '/api/v1/services/XZ-MZ-001/apply' }) });
  const person = newIdNumber('19880808');
  const d = new Date(Date.now() + 10 * 86400000).toISOString().slice(0, 10);
  const r = await clerk.upload('/api/v1/services/XZ-MZ-001/apply', {
    _division: CHENGGUAN, f_male_name: TYPED, f_male_id: person, f_female_name: 'སྒྲོལ་མ།', f_female_id: newIdNumber(),
    f_appointment_date: d, f_phone: newPhone(), f_declaration: 'on',
    _walkin_id_number: person, _walkin_name: TYPED, _walkin_lang: 'bo', _action: 'submit',
  }, ['id_card', 'household_register', 'photo'].map((k) => ({ name: `m_${k}`, filename: `${k}.pdf`, type: 'application/pdf', data: PDF() })));
  assert.equal(r.status, 201, r.text);
  const v = await clerk.get(`/api/v1/applications/${r.body.number}`);
  assert.equal(v.body.applicant_name, NFC);
  assert.equal(v.body.fields.find((f) => f.key === 'male_name').value, NFC);
});

// ---- the hotline --------------------------------------------------------------------------

test('a hotline call in Tibetan: kept in NFC, the place named in Tibetan, found by syllable', async () => {
  const anon = client();
  const r = await anon.submit('/hotline/submit?lang=bo', {
    description: 'བར་སྐོར་གྱི་ལམ་སྒྲོན་ཉིན་བདུན་ལ་ཆག་འདུག ཞིབ་བཤེར་གནང་རོགས།', address: 'བར་སྐོར་ལམ། ཨང་ ༣',
    caller_name: TYPED, phone: newPhone(), 'division.l2': LHASA, 'division.l3': CHENGGUAN, 'division.l4': BARKHOR,
  }, { page: '/hotline/submit?lang=bo' });
  assert.ok(r.status === 201 || r.status === 303 || r.status === 200, r.text);
  const [number, caller, address] = db.sql("SELECT number, caller_name, address FROM hotline_orders ORDER BY id DESC LIMIT 1")[0];
  assert.equal(caller, NFC);
  assert.equal(address, 'བར་སྐོར་ལམ། ཨང་ ༣');
  // The agent's order page in Tibetan names the place from the prefecture down.
  const agent = await loginAs(srv, 'hotline.xz', { staff: true });
  const page = await agent.get(`/hotline/orders/${number}?lang=bo`, { json: false });
  assert.equal(page.status, 200);
  assert.ok(page.text.includes(`<span lang="bo">${LHASA_BO}</span> › <span lang="bo">${CHENGGUAN_BO}</span> › <span lang="zh">${BARKHOR_ZH}</span> <code>${BARKHOR}</code>`),
    'the order page names the place');
  // The dashboard counts by county: Chengguan in Tibetan.
  const board = await agent.get('/hotline/dashboard?lang=bo', { json: false });
  assert.equal(board.status, 200);
  assert.ok(board.text.includes(`lang="bo">${CHENGGUAN_BO}</th>`), 'the dashboard names the county in Tibetan');
  // Search finds the order by one syllable, with or without its tsheg, and typed precomposed.
  for (const q of ['ལམ་སྒྲོན', 'ལམ་སྒྲོན་', 'སྒྲོན']) {
    const found = db.cli(['search', 'query', q, 'order', 'staff']);
    assert.equal(found.status, 0, found.stderr);
    assert.ok(found.stdout.includes(number), `${q}: ${found.stdout.slice(0, 300)}`);
  }
});

test('a knowledge-base article in Tibetan is found by syllable, the query NFC-normalised', async () => {
  const agent = await loginAs(srv, 'hotline.xz', { staff: true });
  const made = await agent.submit('/hotline/kb', { lang: 'bo', title: 'ཤྲཱི་ཐང་གི་ཆུ་ཆད་པ།', body: 'ཆུ་ཆད་ན་ཁ་པར་ ༡༢༣༤༥ ལ་གཏོང་རོགས།' }, { page: '/hotline/kb' });
  assert.ok(made.status === 303 || made.status === 201, made.text);
  const anon = client();
  for (const q of ['ཆུ་ཆད', 'ཆུ་ཆད་', `ཤྲ\u0F73་ཐང`]) {
    const r = await anon.get(`/hotline/kb?lang=bo&q=${encodeURIComponent(q)}`);
    assert.equal(r.status, 200, q);
    assert.ok(r.body.results.hits.some((h) => (h.title ?? '').includes('ཆད་པ')), `${q}: ${JSON.stringify(r.body.results)}`);
  }
});
