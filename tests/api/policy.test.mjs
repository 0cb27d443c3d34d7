// tests/api/policy.test.mjs - the policy library and its Q&A over HTTP and the command line
// (issue 14 items 5-7), on the demo data: the two seed plans as policies (numbered clauses,
// services governed, JSON twins), /ask in zh, bo and en citing its sources and linking to
// apply, bad input that never errors, the offer to send an unanswered question to 12345,
// administrators adding a policy and an interpretation, and `onewindow ask evaluate`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { catalog } from '../lib/server.mjs';
import { Client, login, csrfOf, unescapeHtml } from '../lib/client.mjs';
import { demoServer } from '../lib/db.mjs';

const T = { zh: catalog('zh'), bo: catalog('bo'), en: catalog('en') };
let demo, srv, anon;

before(async () => {
  demo = await demoServer('policy');
  srv = demo.srv;
  anon = new Client(srv);
});

after(async () => {
  if (demo) {
    const r = await demo.stop();
    assert.deepEqual(r, { code: 0, signal: null });
  }
});

const ask = async (q, lang = 'zh') => {
  const r = await anon.get(`/api/v1/ask?${new URLSearchParams({ q, lang })}`);
  assert.equal(r.status, 200, `${q.slice(0, 40)}: ${r.text.slice(0, 300)}`);
  return r.body;
};

test('the two seed plans are policies with numbered clauses, dates, status and a JSON twin', async () => {
  const r = await anon.get('/api/v1/policies');
  assert.equal(r.status, 200);
  const keys = r.body.policies.map((p) => p.key).sort();
  assert.deepEqual(keys, ['XZ-2018-IGS', 'XZ-2023-DIGIGOV']);
  const p = r.body.policies.find((x) => x.key === 'XZ-2023-DIGIGOV');
  assert.equal(p.issued_on, '2023-04-16');
  assert.equal(p.status, 'in_force');
  assert.match(p.title.bo, /[\u0F40-\u0FBC]/);
  assert.match(p.summary.bo, /[\u0F40-\u0FBC]/);
  assert.ok(p.clause_count >= 60, `${p.clause_count} clauses`);
  // Newest first.
  assert.equal(r.body.policies[0].key, 'XZ-2023-DIGIGOV');

  const one = await anon.get(`/api/v1/policies/${p.id}`);
  assert.equal(one.status, 200);
  assert.deepEqual(one.body.policy.clauses.map((c) => c.number), one.body.policy.clauses.map((_, i) => i + 1));
  const civil = one.body.policy.clauses.find((c) => c.label === '37.');
  assert.match(civil.body, /婚姻登记/);
  assert.ok(civil.services.includes('XZ-MZ-001'));
  // The source text gives no document number: the page says so rather than inventing one.
  assert.equal(one.body.policy.number, '');
  const html = await anon.get(`/policies/${p.id}?lang=bo`, { json: false });
  assert.equal(html.status, 200);
  assert.ok(html.text.includes(T.bo.policy.no_number));
  assert.ok(html.text.includes(p.title.bo));
  assert.ok(html.text.includes(`id="c${civil.number}"`));
  assert.ok(html.text.includes('href="/services/XZ-MZ-001/apply"'));
  assert.ok(html.text.includes(T.bo.policy.status.in_force));

  // A clause's search link finds its place in the policy; an unknown one is a 404.
  const c = await anon.get(`/policies/clause/${civil.id}`, { json: false });
  assert.equal(c.status, 303);
  assert.equal(c.location, `/policies/${p.id}#c${civil.number}`);
  assert.equal((await anon.get('/policies/clause/1')).status, 404);
  assert.equal((await anon.get('/api/v1/policies/1')).status, 404);

  // The catalog's side: the policies that govern a service.
  const gov = await anon.get('/api/v1/policies?service=XZ-MZ-001');
  assert.equal(gov.status, 200);
  assert.ok(gov.body.governing.some((g) => g.id === p.id && g.clause === civil.number));
  assert.equal((await anon.get(`/api/v1/policies?service=${'X'.repeat(60)}`)).status, 400);
  const none = await anon.get('/api/v1/policies?service=XZ-ZR-002');
  assert.deepEqual(none.body.governing, []);
  assert.equal(none.body.has_governing, false);
  // The guide's legal basis links to the policies that govern it.
  const guide = await anon.get('/services/XZ-MZ-001?lang=zh', { json: false });
  assert.ok(guide.text.includes('href="/policies?service=XZ-MZ-001"'));
  assert.ok(guide.text.includes('id="materials"'));
});

test('结婚需要什么材料 and the same in Tibetan and English: the marriage guide\'s materials, with a link to apply', async () => {
  for (const [q, lang, text] of [
    ['结婚需要什么材料', 'zh', '居民身份证'],
    ['གཉེན་སྒྲིག་ལ་ཡིག་ཆ་ག་རེ་དགོས།', 'bo', 'སྡོད་དམངས་ཐོབ་ཐང་ལག་ཁྱེར།'],
    ['What documents do I need to get married?', 'en', 'Resident ID card'],
  ]) {
    const r = await ask(q, lang);
    assert.equal(r.answered, true, `${q}: ${JSON.stringify(r).slice(0, 600)}`);
    const a = r.answers[0];
    assert.equal(a.source, 'guide:XZ-MZ-001.materials', `${q}: ${JSON.stringify(r.answers.map((x) => x.source))}`);
    assert.equal(a.lang, lang);
    assert.equal(a.cite.section, 'materials');
    assert.equal(a.cite.section_label, T[lang].catalog.materials);
    assert.deepEqual(a.apply.map((x) => x.url), ['/services/XZ-MZ-001/apply']);
    // The whole section, line by line, in the question's language.
    assert.ok(a.lines.some((l) => l.text.includes(text)), `${q}: ${JSON.stringify(a.lines)}`);
    assert.equal(a.lines.length, 3);
  }
  // The guide sections are Q&A's passages, not the public search's hits (that lists the
  // service once); the policies' clauses are found there too.
  const found = await anon.get(`/api/v1/search?q=${encodeURIComponent('婚姻登记')}`);
  assert.ok(!found.body.hits.some((h) => h.kind === 'guide'));
  assert.ok(found.body.hits.some((h) => h.kind === 'service'));
  assert.ok(found.body.hits.some((h) => h.kind === 'policy_clause'));
  const page = await anon.get(`/ask?lang=zh&q=${encodeURIComponent('结婚需要什么材料')}`, { json: false });
  assert.equal(page.status, 200);
  assert.ok(page.text.includes('data-source="guide:XZ-MZ-001.materials"'));
  assert.ok(page.text.includes('href="/services/XZ-MZ-001/apply"'));
  assert.ok(page.text.includes(T.zh.policy.ask.answered));
});

test('policy questions cite the policy and the clause number; fee and time questions find those sections', async () => {
  const r = await ask('12345热线以后怎么建设');
  const a = r.answers[0];
  assert.equal(a.kind, 'policy_clause');
  assert.equal(a.source, 'clause:XZ-2023-DIGIGOV#19');
  assert.equal(a.cite.clause, 19);
  assert.equal(a.cite.policy_title, '西藏自治区加强数字政府建设方案（2023—2025年）');
  assert.match(a.url, /^\/policies\/\d+#c19$/);
  // In Tibetan the policy is named in Tibetan.
  const bo = await ask('12345热线以后怎么建设', 'bo');
  assert.match(bo.answers[0].cite.policy_title, /[\u0F40-\u0FBC]/);
  assert.equal(bo.answers[0].cite.policy_title_lang, 'bo');
  assert.equal((await ask('护照多少钱')).answers[0].source, 'guide:XZ-GA-001.fee');
  assert.equal((await ask('办护照要多久')).answers[0].source, 'guide:XZ-GA-001.time_limit');
  // A guide passage's link leads to the guide's section.
  assert.equal((await ask('护照多少钱')).answers[0].url, '/services/XZ-GA-001#fee');
});

test('empty, enormous, operator-laden or broken questions never error', async () => {
  const nasty = ['', ' ', '"', '" NEAR( AND OR NOT * ^ : title:x', "%_\\' -- ; DROP TABLE policy_docs",
    '结婚'.repeat(350), 'a '.repeat(2000), '་།་།', '\u200b\ufeff', '()[]{}<>', 'x'.repeat(5000)];
  for (const q of nasty) {
    const r = await ask(q);
    assert.equal(typeof r.answered, 'boolean');
    assert.ok(Array.isArray(r.answers));
    assert.ok(r.terms.length <= 8);
  }
  assert.equal((await ask('')).answered, false);
  assert.deepEqual((await ask('')).answers, []);
  // An address that is not UTF-8 is the HTTP layer's localised 400 for every page (the
  // question function itself takes such bytes: tests/unit/policy_test.c).
  const bad = await anon.get('/api/v1/ask?q=%FF%FE%C3');
  assert.equal(bad.status, 400);
  // The HTML page too, escaped.
  const page = await anon.get(`/ask?q=${encodeURIComponent('<script>alert(1)</script>')}`, { json: false });
  assert.equal(page.status, 200);
  assert.ok(!page.text.includes('<script>alert(1)'));
});

test('nothing answers well: says so and offers the question to 12345, which opens the hotline form filled in', async () => {
  const q = '天气怎么样';
  const r = await ask(q);
  assert.equal(r.answered, false);
  const c = new Client(srv);
  const page = await c.get(`/ask?q=${encodeURIComponent(q)}`, { json: false });
  assert.ok(page.text.includes(T.zh.policy.ask.no_answer));
  assert.ok(page.text.includes('action="/hotline/submit"'));
  const form = await c.request('POST', '/hotline/submit', {
    json: false, form: { _csrf: unescapeHtml(csrfOf(page.text)), description: q, _pick: 'division' },
  });
  assert.equal(form.status, 200, form.text.slice(0, 500));
  assert.match(form.text, new RegExp(`<textarea id="description"[^>]*>${q}</textarea>`));
  // No order was made by this: the person still completes and sends the form.
  assert.ok(!form.text.includes(T.zh.hotline.submit.done));
});

test('administrators add a policy (checked field by field) and an interpretation; others may not', async () => {
  assert.equal((await anon.get('/admin/policies')).status, 401);
  const citizen = await login(srv, '540102199001011233');
  assert.equal((await citizen.get('/admin/policies')).status, 403);
  const admin = await login(srv, 'catalog.xz', { staff: true });
  const doc = {
    policies: [{
      key: 'TEST-QA-1', number: '测试〔2026〕1号', status: 'in_force', issued_on: '2026-01-05', effective_on: '2026-02-01', expires_on: '2028-12-31',
      title: { zh: '牦牛养殖补贴试行办法', bo: 'གཡག་གསོ་སྐྱོང་གི་ཁ་གསབ་ཚོད་ལྟའི་ཐབས་ལམ།', en: 'Trial rules on yak farming subsidies' },
      issuer: { zh: '测试机关', bo: 'ཚོད་ལྟའི་ལས་ཁུངས།', en: 'Test office' },
      summary: { zh: '牦牛养殖补贴。', bo: 'གཡག་གསོ་སྐྱོང་གི་ཁ་གསབ།', en: 'Yak farming subsidies.' },
      clauses: [{ label: '第一条', text: '养殖牦牛满二十头的农牧民，每头每年补贴五十元。' }, { label: '第二条', text: '补贴于每年十月发放。' }],
      services: { 1: ['XZ-MZ-003'] },
    }],
  };
  const bad = await admin.submit('/admin/policies', { document: JSON.stringify({ policies: [{ ...doc.policies[0], status: 'maybe' }] }) }, { page: '/admin/policies', json: false });
  assert.equal(bad.status, 400);
  assert.ok(bad.text.includes(T.zh.errors.policy.bad_doc));
  assert.ok(bad.text.includes('status'));
  const broken = await admin.submit('/admin/policies', { document: '{"policies": [' }, { page: '/admin/policies', json: false });
  assert.equal(broken.status, 400);
  const ok = await admin.submit('/admin/policies', { document: JSON.stringify(doc) }, { page: '/admin/policies' });
  assert.equal(ok.status, 200, ok.text.slice(0, 300));
  assert.equal(ok.body.imported, 1);
  const r = await ask('养牦牛有补贴吗');
  assert.equal(r.answers[0].source, 'clause:TEST-QA-1#1');
  assert.equal(r.answers[0].cite.policy_number, '测试〔2026〕1号');
  assert.deepEqual(r.answers[0].apply.map((x) => x.code), ['XZ-MZ-003']);
  // Imported again: replaced, not doubled.
  await admin.submit('/admin/policies', { document: JSON.stringify(doc) }, { page: '/admin/policies' });
  const list = (await anon.get('/api/v1/policies')).body.policies.filter((p) => p.key === 'TEST-QA-1');
  assert.equal(list.length, 1);
  assert.equal(list[0].clause_count, 2);
  const id = list[0].id;
  const page = await admin.get(`/policies/${id}`, { json: false });
  const interp = await admin.request('POST', `/policies/${id}/interpretations`, {
    json: false, form: { _csrf: unescapeHtml(csrfOf(page.text)), lang: 'bo', title: 'འགྲེལ་བཤད།', body: 'གཡག་ཉི་ཤུ་ཡན་ཡོད་ན་ཁ་གསབ་ཐོབ།' },
  });
  assert.equal(interp.status, 303);
  // Both changes are in the audit chain.
  const audited = demo.sql("SELECT action, object FROM audit_events WHERE action LIKE 'policy.%' ORDER BY id");
  assert.ok(audited.some(([a, o]) => a === 'policy.import' && o === 'policy:TEST-QA-1'), JSON.stringify(audited));
  assert.ok(audited.some(([a, o]) => a === 'policy.interpret' && o === `policy:${id}`), JSON.stringify(audited));
  const shown = await anon.get(`/api/v1/policies/${id}`);
  assert.equal(shown.body.policy.interpretations.length, 1);
  assert.equal(shown.body.policy.interpretations[0].lang, 'bo');
  const empty = await admin.request('POST', `/policies/${id}/interpretations`, {
    form: { _csrf: unescapeHtml(csrfOf(page.text)), lang: 'bo', title: '', body: '' },
  });
  assert.equal(empty.status, 400);
  // Anonymous visitors see no interpretation form and cannot post one.
  assert.ok(!(await anon.get(`/policies/${id}`, { json: false })).text.includes('/interpretations"'));
});

test('onewindow ask evaluate prints top-1 and top-3 accuracy over the question set', () => {
  const r = demo.cli(['ask', 'evaluate']);
  assert.equal(r.status, 0, r.stderr);
  const m = /^questions=(\d+) top1=([\d.]+) top3=([\d.]+)$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.ok(Number(m[1]) >= 130);
  assert.match(r.stdout, /^lang=zh questions=(\d{3}) /m);
  assert.match(r.stdout, /^lang=bo questions=(\d+) /m);
  assert.ok(Number(/^lang=bo questions=(\d+)/m.exec(r.stdout)[1]) >= 30);
  // Measured 0.86 / 0.92 on the demo data (docs/internals/policy.md); a floor below that.
  assert.ok(Number(m[2]) >= 0.75, r.stdout);
  assert.ok(Number(m[3]) >= 0.85, r.stdout);
});
