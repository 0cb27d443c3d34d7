// tests/api/messaging.test.mjs - unified messaging over HTTP (issue 16), on SQLite or
// PostgreSQL, with a real SMTP server (python3-aiosmtpd) and a local HTTP SMS carrier:
// a citizen verifies an e-mail address and a phone by the codes sent to them, chooses
// Tibetan, submits an application and gets the receipt by e-mail in Tibetan at the SMTP
// server and by SMS in the sandbox; addresses are sealed at rest and never logged; signed
// delivery receipts; `notify channels` and `notify email`; the carrier connector's request
// format, signature, retries and dead letter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import { catalog, run, BIN } from '../lib/server.mjs';
import { Client, login, DEMO_CITIZEN_ID, FAST } from '../lib/client.mjs';
import { demoServer, freshDatabase } from '../lib/db.mjs';
import { startSmtp } from '../lib/smtp.mjs';
import { idNumbers } from '../lib/ids.mjs';

const BO = catalog('bo');
const ZH = catalog('zh');
const SECRET = randomBytes(16).toString('hex');
const ITEM = 'XZ-MZ-001';
const EMAIL = `dolma.${process.pid}@example.org`;
const PHONE = '13912345678';

let smtp, db, srv;
const sql = (q) => db.sql(q);
const cli = (...args) => run(['notify', ...args, '--data', db.data, '--db', db.db, ...FAST,
  '--smtp-url', smtp.url, '--mail-from', 'noreply@gov.example']);
const sign = (body, secret = SECRET) => `sm3=${createHmac('sm3', secret).update(body).digest('hex')}`;
const render = (tpl, params) => tpl.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k) => String(params[k] ?? ''));
const poll = async (fn, ms = 10000) => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
};

before(async () => {
  smtp = await startSmtp();
  db = await demoServer('messaging', {
    args: [...FAST, '--smtp-url', smtp.url, '--mail-from', 'noreply@gov.example', '--receipt-secret', SECRET],
  });
  srv = db.srv;
});

after(async () => {
  if (srv) {
    const r = await db.stop();
    assert.deepEqual(r, { code: 0, signal: null }, srv.log());
  }
  smtp?.stop();
});

const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(200)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(200)]);
const PNG = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), randomBytes(200)]);

let citizen;
const codeIn = (text) => /(\d{6})/.exec(text)?.[1];

test('an e-mail address is verified by the code mailed to it; wrong codes and bad addresses are refused in the reader\'s language', async () => {
  citizen = await login(srv, DEMO_CITIZEN_ID, { lang: 'bo', page: '/api/v1/messages/settings', uploadPage: `/api/v1/services/${ITEM}/apply` });
  const bad = await citizen.submit('/api/v1/messages/settings/contact', { channel: 'email', address: 'not an address' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, 'notify.bad_email');
  assert.equal(bad.body.message ?? bad.body.detail ?? bad.body.title, BO.errors.notify.bad_email, JSON.stringify(bad.body));

  const r = await citizen.submit('/api/v1/messages/settings/contact', { channel: 'email', address: EMAIL });
  assert.equal(r.status, 200, r.text);
  const m = await smtp.waitFor((all) => all.find((x) => x.to.includes(EMAIL)));
  assert.ok(m, `no code mail arrived: ${smtp.log()}`);
  assert.equal(m.headers['content-language'], 'bo');
  assert.equal(m.subject, BO.notify.mail.subject);
  const code = codeIn(m.text);
  assert.equal(m.text, render(BO.notify.verify.code, { code }));
  // The code is not in the inbox (it goes to the address only).
  const inbox = await citizen.get('/api/v1/messages');
  assert.ok(!inbox.body.messages.some((x) => x.text.includes(code)));

  const wrong = await citizen.submit('/api/v1/messages/settings/verify', { channel: 'email', code: code === '000000' ? '111111' : '000000' });
  assert.equal(wrong.status, 400);
  assert.equal(wrong.body.code, 'notify.bad_code');
  const ok = await citizen.submit('/api/v1/messages/settings/verify', { channel: 'email', code });
  assert.equal(ok.status, 200, ok.text);
  const again = await citizen.submit('/api/v1/messages/settings/verify', { channel: 'email', code });
  assert.equal(again.status, 400, 'a code works once');

  const page = await citizen.get('/api/v1/messages/settings');
  const email = page.body.contacts.find((c) => c.channel === 'email');
  assert.equal(email.masked, `d***@example.org`);
  assert.equal(email.verified, true);
  // Sealed at rest: the column never holds the address.
  const hex = db.pgName ? `upper(encode(address_enc, 'hex'))` : 'hex(address_enc)';
  const rows = sql(`SELECT ${hex} FROM notify_contacts WHERE channel = 'email'`);
  assert.equal(rows.length, 1);
  assert.ok(!rows[0][0].includes(Buffer.from(EMAIL).toString('hex').toUpperCase()));
});

test('a phone is verified by the code sent by SMS', async () => {
  const r = await citizen.submit('/api/v1/messages/settings/contact', { channel: 'sms', address: PHONE });
  assert.equal(r.status, 200, r.text);
  const line = await poll(() => cli('sandbox', '50').stdout.split('\n').find((l) => l.includes('139****5678') && /\d{6}/.test(l.split('\t')[3] ?? '')));
  assert.ok(line, 'the code SMS reached the sandbox');
  const code = codeIn(line.split('\t')[3]);
  const ok = await citizen.submit('/api/v1/messages/settings/verify', { channel: 'sms', code });
  assert.equal(ok.status, 200, ok.text);
});

let number;
test('done when: the citizen chose Tibetan, submits an application and gets the receipt by e-mail in Tibetan and by SMS', async () => {
  const p = await citizen.submit('/api/v1/messages/settings/prefs', { lang: 'bo', quiet_from: '0', quiet_to: '0' });
  assert.equal(p.status, 200, p.text);
  citizen.setCookie('lang', 'zh'); // the page is Chinese; the channels follow the choice
  const d = new Date(Date.now() + 10 * 86400000).toISOString().slice(0, 10);
  const fields = {
    _division: '540102000000', f_male_name: '扎西多吉', f_male_id: DEMO_CITIZEN_ID, f_female_name: '卓玛',
    f_female_id: idNumbers({ birth: '19960405', seed: process.pid % 900 })(), f_appointment_date: d, f_phone: '13800000001', f_declaration: 'on',
    _action: 'submit', _idem: `k-${randomBytes(8).toString('hex')}`,
  };
  const files = [
    { name: 'm_id_card', filename: 'id.pdf', type: 'application/pdf', data: PDF },
    { name: 'm_household_register', filename: 'hukou.jpg', type: 'image/jpeg', data: JPEG },
    { name: 'm_photo', filename: 'photo.png', type: 'image/png', data: PNG },
  ];
  const r = await citizen.upload(`/api/v1/services/${ITEM}/apply`, fields, files);
  assert.equal(r.status, 201, r.text);
  number = r.body.number;

  const mail = await smtp.waitFor((all) => all.find((x) => x.text.includes(number)));
  assert.ok(mail, 'the receipt e-mail arrived at the SMTP server');
  assert.equal(mail.headers['content-language'], 'bo');
  assert.equal(mail.subject, BO.notify.mail.subject);
  assert.match(mail.headers.from, /noreply@gov\.example/);
  assert.match(mail.messageId, /^<\d+\.notify@gov\.example>$/);
  assert.ok(mail.text.startsWith(BO.apply.notice.submitted.split('{{')[0]), mail.text);
  assert.match(mail.text, /[\u0F00-\u0FFF]/);
  assert.ok(!/[\u4e00-\u9fff]/.test(mail.text.replace(/（[^）]*）|\([^)]*\)/g, '')), `Tibetan text, not Chinese: ${mail.text}`);
  assert.match(mail.html, /<html lang="bo">/);
  assert.ok(mail.html.includes(number));

  const sms = await poll(() => cli('sandbox', '50').stdout.split('\n').find((l) => l.includes(number)));
  assert.ok(sms, 'the receipt SMS reached the sandbox carrier');
  const [, masked, lang, body] = sms.split('\t');
  assert.equal(masked, '139****5678');
  assert.equal(lang, 'bo');
  assert.match(body, /[\u0F00-\u0FFF]/);
  // The inbox shows it in the reader's language.
  const inbox = await citizen.get('/api/v1/messages');
  assert.ok(inbox.body.messages.some((x) => x.text.includes(number) && x.text.startsWith(ZH.apply.notice.submitted.split('{{')[0])));
  // Each channel's row is sent, its address sealed to the row; no address in the log.
  const rows = sql(`SELECT o.channel, o.status FROM notify_outbox o JOIN notify_messages m ON m.id = o.message_id
    WHERE m.kind = 'apply.notice.submitted' ORDER BY o.channel`);
  assert.deepEqual(rows, [['email', 'sent'], ['sms', 'sent']]);
  assert.ok(!srv.log().includes(EMAIL) && !srv.log().includes(PHONE), 'addresses never logged');
});

test('signed receipts: a bad signature is refused, a good one marks the e-mail delivered', async () => {
  const [[id]] = sql(`SELECT o.id FROM notify_outbox o JOIN notify_messages m ON m.id = o.message_id
    WHERE m.kind = 'apply.notice.submitted' AND o.channel = 'email'`);
  const body = JSON.stringify({ id, status: 'delivered' });
  const anon = new Client(srv);
  const post = (b, sig) => anon.request('POST', '/api/v1/notify/receipts', { body: b, headers: { 'content-type': 'application/json', 'x-onewindow-signature': sig } });
  const bad = await post(body, sign(body, 'not-the-secret'));
  assert.equal(bad.status, 401);
  assert.equal(bad.body.code, 'notify.bad_signature');
  assert.deepEqual(sql(`SELECT status FROM notify_outbox WHERE id = ${id}`), [['sent']]);
  const garbled = '{"id":"x"}';
  assert.equal((await post(garbled, sign(garbled))).status, 400);
  const ok = await post(body, sign(body));
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(sql(`SELECT status FROM notify_outbox WHERE id = ${id}`), [['delivered']]);
});

test('notify channels lists each channel; notify email sends one now, and says so when the relay is down', async () => {
  const ch = cli('channels');
  assert.equal(ch.status, 0, ch.stderr);
  assert.match(ch.stdout, /^inbox\ton/m);
  assert.match(ch.stdout, /^sms\tsandbox/m);
  assert.match(ch.stdout, new RegExp(`^email\\tsmtp\\tsmtp://127\\.0\\.0\\.1:${smtp.port} from noreply@gov\\.example`, 'm'));
  const to = `ops.${process.pid}@example.org`;
  const r = cli('email', to, 'notify.test.hello', JSON.stringify({ name: 'Tenzin', number: 'T-1' }));
  assert.equal(r.status, 0, r.stderr);
  const m = await smtp.waitFor((all) => all.find((x) => x.to.includes(to)));
  assert.equal(m.text, render(ZH.notify.test.hello, { name: 'Tenzin', number: 'T-1' }));
  const down = run(['notify', 'email', to, 'notify.test.hello', '--data', db.data, '--db', db.db, '--smtp-url', 'smtp://127.0.0.1:1']);
  assert.equal(down.status, 1);
  assert.match(down.stderr, /mail relay cannot be reached/);
  const bad = run(['notify', 'channels', '--data', db.data, '--db', db.db, '--smtp-url', 'http://x']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /smtp:\/\//);
});

test('the settings page shows the contacts masked, with forms', async () => {
  citizen.setCookie('lang', 'bo');
  const html = await citizen.get('/messages/settings', { json: false });
  assert.equal(html.status, 200);
  assert.ok(html.text.includes(BO.notify.settings.title));
  assert.ok(html.text.includes('d***@example.org'));
  assert.ok(!html.text.includes(EMAIL));
  assert.match(html.text, /action="\/messages\/settings\/verify"|action="\/messages\/settings\/contact"/);
});

// ---- the HTTP carrier ------------------------------------------------------------------------

const runAsync = (args) => new Promise((resolve) => {
  const p = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  p.stdout.on('data', (c) => { stdout += c; });
  p.stderr.on('data', (c) => { stderr += c; });
  p.on('exit', (status) => resolve({ status, stdout, stderr }));
});

test('the SMS carrier connector: signed JSON request with the outbox id as idempotency key; 5xx retried, 4xx dead-lettered', async () => {
  const fresh = freshDatabase('messaging-carrier');
  const got = [];
  let answer = 200;
  const carrier = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      got.push({ body, headers: req.headers });
      res.writeHead(answer, { 'content-type': 'application/json' });
      res.end(answer === 200 ? '{"ref":"c-1"}' : '{"error":"x"}');
    });
  });
  await new Promise((r) => carrier.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${carrier.address().port}/sms`;
  try {
    assert.equal(run(['init', ...fresh.common]).status, 0);
    const send = () => {
      const r = run(['notify', 'send', '0', 'notify.test.hello', '{"name":"Pema","number":"P-1"}', PHONE, ...fresh.common]);
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim();
    };
    const deliver = () => runAsync(['notify', 'deliver', ...fresh.common, '--sms-url', url, '--receipt-secret', SECRET]);
    const noSecret = run(['notify', 'deliver', ...fresh.common, '--sms-url', url]);
    assert.equal(noSecret.status, 2, 'a carrier needs the secret');

    const m1 = send();
    let r = await deliver();
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /delivered\t1/);
    assert.equal(got.length, 1);
    const req = JSON.parse(got[0].body);
    const [[o1]] = fresh.sql(`SELECT id FROM notify_outbox WHERE message_id = ${m1}`);
    assert.deepEqual(req, { id: o1, to: PHONE, lang: 'zh', text: render(ZH.notify.test.hello, { name: 'Pema', number: 'P-1' }) });
    assert.equal(got[0].headers['x-onewindow-signature'], sign(got[0].body));
    assert.equal(got[0].headers['idempotency-key'], o1);

    answer = 503;
    const m2 = send();
    r = await deliver();
    assert.match(r.stdout, /retried\t1/);
    assert.deepEqual(fresh.sql(`SELECT status, attempts, last_error FROM notify_outbox WHERE message_id = ${m2}`),
      [['pending', '1', 'notify.carrier_error']]);
    answer = 400;
    const m3 = send();
    r = await deliver();
    assert.match(r.stdout, /failed\t1/);
    assert.deepEqual(fresh.sql(`SELECT status, last_error FROM notify_outbox WHERE message_id = ${m3}`),
      [['failed', 'notify.carrier_refused']]);
  } finally {
    carrier.close();
    fresh.drop();
  }
});

// ---- notices ---------------------------------------------------------------------------------

test('done when: a department publishes a notice; it is on /notices and in /notices.atom, and subscribers hear of it', async () => {
  citizen.setCookie('lang', 'zh');
  const sub = await citizen.submit('/api/v1/notices/subscriptions', { topic: 'public', on: '1' }, { page: '/api/v1/notices' });
  assert.equal(sub.status, 200, sub.text);
  const badTopic = await citizen.submit('/api/v1/notices/subscriptions', { topic: 'nope' }, { page: '/api/v1/notices' });
  assert.equal(badTopic.status, 400);

  const head = await login(srv, 'head.chengguan', { staff: true, page: '/notices/new' });
  const clerk = await login(srv, 'clerk.chengguan', { staff: true, page: '/api/v1/notices' });
  const title = `城关区老年人优待证办理公告 ${process.pid}`;
  const titleBo = `ཁྲིན་ཀོན་ཆུས་ཀྱི་རྒན་པོའི་ཆེད་ཐོབ་ལག་ཁྱེར་སྒྲུབ་པའི་གསལ་བསྒྲགས། ${process.pid}`;
  const fields = { topic: 'public', title_zh: title, body_zh: '自即日起可在城关区政务服务中心办理。', title_bo: titleBo, body_bo: 'དེ་རིང་ནས་བཟུང་ཁྲིན་ཀོན་ཆུས་ཀྱི་གཞུང་ཞབས་ལྟེ་གནས་སུ་སྒྲུབ་ཆོག' };
  const denied = await clerk.submit('/api/v1/notices', fields);
  assert.equal(denied.status, 403, 'a clerk may not publish');
  const bad = await head.submit('/api/v1/notices', { ...fields, title_zh: '' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, 'notices.bad_input');
  const r = await head.submit('/api/v1/notices', fields);
  assert.equal(r.status, 201, r.text);
  const id = r.body.id;
  assert.deepEqual(sql(`SELECT count(*) FROM audit_events WHERE action = 'notice.publish' AND object = 'notice:${id}'`), [['1']]);

  const anon = new Client(srv);
  const list = await anon.get('/api/v1/notices');
  assert.equal(list.status, 200);
  assert.equal(list.body.notices[0].title, title);
  // By division: Chengguan's (540102000000) has it, Lhasa's city level does not.
  const byDiv = await anon.get('/api/v1/notices?division=540102000000');
  assert.equal(byDiv.status, 200, byDiv.text);
  assert.equal(byDiv.body.notices[0]?.title, title, byDiv.text);
  assert.equal((await anon.get('/api/v1/notices?division=540100000000')).body.notices.length, 0);
  const atom = await anon.get('/notices.atom', { json: false });
  assert.equal(atom.status, 200);
  assert.match(atom.headers['content-type'], /^application\/atom\+xml/);
  assert.match(atom.text, /^<\?xml version="1.0" encoding="utf-8"\?>\n<feed xmlns="http:\/\/www.w3.org\/2005\/Atom" xml:lang="zh">/);
  assert.ok(atom.text.includes(`<id>urn:onewindow:notice:${id}</id>`));
  assert.ok(atom.text.includes(`<title>${title}</title>`));
  const atomBo = await anon.get('/notices.atom?lang=bo', { json: false });
  assert.ok(atomBo.text.includes(`<title>${titleBo}</title>`));
  const page = await anon.get(`/notices/${id}?lang=en`, { json: false });
  assert.equal(page.status, 200);
  assert.match(page.text, new RegExp(`<h1 lang="zh">${title}</h1>`), 'no English title: the Chinese one, marked');

  // The subscriber hears of it: inbox, and e-mail in Tibetan (their choice).
  const inbox = await citizen.get('/api/v1/messages');
  assert.ok(inbox.body.messages.some((m) => m.kind === 'notices.published' && m.text.includes(title) && m.link === `/notices/${id}`));
  const mail = await smtp.waitFor((all) => all.find((x) => x.text.includes(titleBo)));
  assert.ok(mail, 'the notice reached the subscriber by e-mail, in Tibetan');
  // ... and by SMS to the verified phone.
  assert.equal(sql(`SELECT count(*) FROM notify_outbox o JOIN notify_messages m ON m.id = o.message_id WHERE m.kind = 'notices.published' AND o.channel = 'sms'`)[0][0], '1');
});

// ---- 免申即享 ------------------------------------------------------------------------------------

test('done when: the demo benefit reaches an eligible person (80+, Chengguan) who accepts it; each decision has its reason, is audited and can be appealed', async () => {
  const elder = new Client(srv, { page: '/register', lang: 'bo' });
  const idn = idNumbers({ birth: '19400315', seed: (process.pid + 7) % 900 })();
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const reg = await elder.submit('/register', { name: '次仁', id_number: idn, phone: '13700000077', password, password_again: password });
  assert.equal(reg.status, 303, reg.text);

  const run1 = db.cli(['benefits', 'run', 'all']);
  assert.equal(run1.status, 0, run1.stderr);
  assert.match(run1.stdout, /offered\t2\n/, run1.stdout); // this one and the demo's 次仁 (84)
  const again = db.cli(['benefits', 'run', 'all']);
  assert.match(again.stdout, /offered\t0\n/, 'a second run offers nothing twice');

  const mine = await elder.get('/api/v1/benefits');
  assert.equal(mine.status, 200);
  assert.equal(mine.body.benefits.length, 1);
  const g = mine.body.benefits[0];
  assert.equal(g.status, 'offered');
  assert.equal(g.name, BO.benefits.name.elderly_allowance);
  const age = new Date().getFullYear() - 1940 - (new Date() < new Date(new Date().getFullYear(), 2, 15) ? 1 : 0);
  assert.ok(g.reason.includes(`${age}`) && g.reason.includes('540102') && /[\u0F00-\u0FFF]/.test(g.reason), g.reason);
  // Told in their language (inbox; the e-mail and SMS follow verified contacts).
  const inbox = await elder.get('/api/v1/messages');
  assert.ok(inbox.body.messages.some((m) => m.kind === 'benefit.offered' && m.text === render(BO.benefit.offered, { age })));
  // Nobody else may decide it; the demo citizen (born 1990) got nothing.
  assert.equal((await citizen.submit(`/api/v1/benefits/${g.id}/decide`, { action: 'accept' }, { page: '/api/v1/benefits' })).status, 404);
  assert.equal((await citizen.get('/api/v1/benefits')).body.benefits.length, 0);

  const acc = await elder.submit(`/api/v1/benefits/${g.id}/decide`, { action: 'accept' }, { page: '/api/v1/benefits' });
  assert.equal(acc.status, 200, acc.text);
  assert.equal((await elder.get('/api/v1/benefits')).body.benefits[0].status, 'granted');
  const twice = await elder.submit(`/api/v1/benefits/${g.id}/decide`, { action: 'decline' }, { page: '/api/v1/benefits' });
  assert.equal(twice.status, 409);
  const noWhy = await elder.submit(`/api/v1/benefits/${g.id}/decide`, { action: 'appeal' }, { page: '/api/v1/benefits' });
  assert.equal(noWhy.status, 400);
  const appeal = await elder.submit(`/api/v1/benefits/${g.id}/decide`, { action: 'appeal', note: 'ཟླ་རེའི་གྲངས་འབོར་ནོར་འདུག' }, { page: '/api/v1/benefits' });
  assert.equal(appeal.status, 200);
  assert.deepEqual(sql(`SELECT action FROM audit_events WHERE object = 'benefit:${g.id}' ORDER BY id`).map((r) => r[0]),
    ['benefit.offer', 'benefit.decide', 'benefit.decide']);
  const html = await elder.get('/benefits', { json: false });
  assert.equal(html.status, 200);
  assert.ok(html.text.includes(BO.benefits.status.appealed));
});

// ---- templates ----------------------------------------------------------------------------------

test('templates: an administrator saves a new Tibetan version (placeholders checked) and the next message uses it', async () => {
  const admin = await login(srv, 'catalog.xz', { staff: true, page: '/api/v1/admin/templates' });
  assert.equal((await citizen.get('/api/v1/admin/templates')).status, 403);
  const list = await admin.get('/api/v1/admin/templates');
  assert.equal(list.status, 200);
  assert.ok(list.body.templates.some((t) => t.kind === 'notify.verify.code' && t.bo === 0));
  const url = '/api/v1/admin/templates/notify.verify.code';
  const dropped = await admin.submit(url, { body_bo: 'ཨང་རྟགས་མེད།' });
  assert.equal(dropped.status, 400);
  assert.equal(dropped.body.code, 'notify.template_placeholders');
  const broken = await admin.submit(url, { body_bo: 'ཨང་རྟགས། {{code' });
  assert.equal(broken.body.code, 'notify.template_broken');
  const text = 'ཁྱེད་ཀྱི་ཨང་རྟགས་ {{code}} ཡིན། (པར་གཞི་གསར་པ།)';
  const ok = await admin.submit(url, { body_bo: text });
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(ok.body.saved, { bo: 1 });
  const edit = await admin.get(url);
  assert.equal(edit.body.texts.find((l) => l.lang === 'bo').preview, text.replace('{{code}}', '123456'));
  assert.equal(edit.body.texts.find((l) => l.lang === 'bo').version, 1);
  assert.deepEqual(sql(`SELECT count(*) FROM audit_events WHERE action = 'notify.template'`), [['1']]);
  // The editor page shows the placeholders as character references: no literal tag.
  const html = await admin.get('/admin/templates/notify.verify.code?lang=bo', { json: false });
  assert.equal(html.status, 200);
  assert.ok(!html.text.includes('{{'), 'no literal mustache tag on the page');
  assert.ok(html.text.includes('&#123;&#123;code&#125;&#125;'));

  citizen.setCookie('lang', 'bo');
  const to = `again.${process.pid}@example.org`;
  const r = await citizen.submit('/api/v1/messages/settings/contact', { channel: 'email', address: to }, { page: '/api/v1/messages/settings' });
  assert.equal(r.status, 200, r.text);
  const m = await smtp.waitFor((all) => all.find((x) => x.to.includes(to)));
  assert.match(m.text, /^ཁྱེད་ཀྱི་ཨང་རྟགས་ \d{6} ཡིན། \(པར་གཞི་གསར་པ།\)$/);
});

// ---- reminders -----------------------------------------------------------------------------------

test('reminders on the working-day calendar: a 补正 waiting 3 working days is reminded once, and nothing runs on a weekend', async () => {
  const clerk = await login(srv, 'clerk.chengguan', { staff: true, page: '/api/v1/workbench' });
  const r = await clerk.request('POST', `/applications/${number}/act`, {
    form: new URLSearchParams([['_csrf', await clerk.csrf('/api/v1/workbench')], ['action', 'return'],
      ['problem', 'material:photo'], ['note', '照片须为红底合影']]),
  });
  assert.equal(r.status, 200, r.text);
  // Dates in China: a Saturday does nothing; the same day is too early; 7 days on, once.
  const day = (offset) => new Date(Date.now() + 8 * 3600e3 + offset * 86400e3);
  const ymd = (d) => d.toISOString().slice(0, 10);
  let sat = 1;
  while (day(sat).getUTCDay() !== 6) sat++;
  const weekend = db.cli(['remind', 'run', ymd(day(sat))]);
  assert.equal(weekend.status, 0, weekend.stderr);
  assert.match(weekend.stdout, /^working_day\t0\n/);
  const today = db.cli(['remind', 'run', ymd(day(0))]);
  if (/^working_day\t1/.test(today.stdout)) assert.match(today.stdout, /supplement\t0\n/, 'not yet three working days');
  let later = 7;
  while ([0, 6].includes(day(later).getUTCDay())) later++;
  const run = db.cli(['remind', 'run', ymd(day(later))]);
  assert.match(run.stdout, /supplement\t1\n/, run.stdout + run.stderr);
  assert.match(db.cli(['remind', 'run', ymd(day(later))]).stdout, /supplement\t0\n/, 'once');
  citizen.setCookie('lang', 'zh');
  const inbox = await citizen.get('/api/v1/messages');
  const m = inbox.body.messages.find((x) => x.kind === 'remind.supplement');
  assert.ok(m && m.text.includes(number) && m.link === `/applications/${number}`, JSON.stringify(m));
  // By SMS in the language the citizen chose (Tibetan). (Their e-mail address was changed by
  // the templates test and is not verified again: no e-mail.)
  const sms = await poll(() => cli('sandbox', '50').stdout.split('\n').find((l) => l.includes(number) && l.includes('ཁ་སྐོང་སྒུག')));
  assert.ok(sms, 'the reminder reached the verified phone in Tibetan');
});

test('preferences: essential kinds stay on, others turn off per channel; an SMS in quiet hours waits for their end', async () => {
  citizen.setCookie('lang', 'bo');
  const page = { page: '/api/v1/messages/settings' };
  const essential = await citizen.submit('/api/v1/messages/settings/channels', { group: 'apply' }, page);
  assert.equal(essential.status, 400);
  assert.equal(essential.body.code, 'notify.essential');
  const off = await citizen.submit('/api/v1/messages/settings/channels', { group: 'benefit', email: '1' }, page);
  assert.equal(off.status, 200, off.text);
  const s = await citizen.get('/api/v1/messages/settings');
  assert.deepEqual(s.body.groups.find((g) => g.group === 'benefit'), { group: 'benefit', label: BO.notify.settings.group_benefit, email_on: true, sms_on: false });
  assert.equal(s.body.lang_options.find((l) => l.selected).value, 'bo');

  // Quiet hours around the present hour in China: the SMS row is due at their end.
  const hour = new Date(Date.now() + 8 * 3600e3).getUTCHours();
  const q = await citizen.submit('/api/v1/messages/settings/prefs', { lang: 'bo', quiet_from: String(hour), quiet_to: String((hour + 2) % 24) }, page);
  assert.equal(q.status, 200, q.text);
  const me = (await citizen.get('/api/v1/account')).body.account.id;
  const id = cli('send', String(me), 'remind.rating', '{"number":"Q-1","item":"x"}').stdout.trim();
  const [[due]] = sql(`SELECT next_attempt_at FROM notify_outbox WHERE message_id = ${id} AND channel = 'sms'`);
  const end = new Date(Date.now() + 8 * 3600e3);
  end.setUTCHours((hour + 2) % 24, 0, 0, 0);
  if (end.getTime() <= Date.now() + 8 * 3600e3) end.setUTCDate(end.getUTCDate() + 1);
  assert.equal(Number(due), end.getTime() - 8 * 3600e3);
  await citizen.submit('/api/v1/messages/settings/prefs', { lang: 'bo', quiet_from: '0', quiet_to: '0' }, page);
});

// ---- STARTTLS and authentication -------------------------------------------------------------

test('e-mail over STARTTLS with a login: delivered with the relay\'s CA, refused with a wrong password or an unknown certificate', async () => {
  const { mkdtempSync, readdirSync, readFileSync, existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { spawnSync, spawn: spawnProc } = await import('node:child_process');
  const { freePort, parseMail } = await import('../lib/smtp.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'ow-smtp-tls-'));
  const cert = join(dir, 'cert.pem'), key = join(dir, 'key.pem');
  const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  assert.equal(gen.status, 0, gen.stderr);
  const port = await freePort();
  const proc = spawnProc('/usr/bin/python3', [new URL('../lib/smtp_tls.py', import.meta.url).pathname, String(port), cert, key,
    join(dir, 'mail'), 'relay-user', 'relay-pass'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('smtp_tls did not start')), 10000);
      proc.stdout.on('data', (c) => { if (String(c).includes('ready')) { clearTimeout(t); resolve(); } });
    });
    const send = (url, ...more) => run(['notify', 'email', 'tls@example.org', 'notify.test.hello', '{"name":"Tashi","number":"TLS-1"}',
      '--data', db.data, '--db', db.db, '--smtp-url', url, '--mail-from', 'noreply@gov.example', ...more]);
    const ok = send(`smtp://relay-user:relay-pass@127.0.0.1:${port}`, '--smtp-ca', cert);
    assert.equal(ok.status, 0, ok.stderr);
    const box = join(dir, 'mail', 'new');
    const got = existsSync(box) ? readdirSync(box).map((f) => parseMail(readFileSync(join(box, f), 'utf8'))) : [];
    assert.equal(got.length, 1);
    assert.equal(got[0].text, render(ZH.notify.test.hello, { name: 'Tashi', number: 'TLS-1' }));
    const wrong = send(`smtp://relay-user:nope@127.0.0.1:${port}`, '--smtp-ca', cert);
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /refused the login/);
    const untrusted = send(`smtp://relay-user:relay-pass@127.0.0.1:${port}`);
    assert.equal(untrusted.status, 1);
    assert.match(untrusted.stderr, /TLS with the mail relay failed/);
    assert.ok(!wrong.stderr.includes('nope') && !ok.stderr.includes('relay-pass'), 'no password in what is printed');
  } finally {
    proc.kill('SIGTERM');
  }
});
