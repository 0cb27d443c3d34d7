// tests/api/hotline.test.mjs - the 12345 hotline over HTTP: an agent registers a call and
// sees the suggested category and department (classifier + routing rules), dispatches it;
// department isolation (another department gets 404 and an empty queue, a citizen or an
// anonymous visitor is refused); the department accepts and replies; the caller looks the
// order up by number + phone and rates it online; an unsatisfied rating reopens the order;
// send back, supervision notes and extensions; every field error at once; the phone sealed
// at rest and masked for everyone but the agent on the call; the dashboard and its CSV; and
// the classifier's evaluation command.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { demoServer, Client, staff } from '../lib/hotline.mjs';
import { catalog } from '../lib/server.mjs';
import { poll } from '../lib/poll.mjs';

const ZH = catalog('zh'), BO = catalog('bo');
let server, agent, water, chengguan;
const PHONE = '13911112222';

before(async () => {
  server = await demoServer('hotline');
  agent = await staff(server.srv, 'hotline.xz');
  water = await staff(server.srv, 'clerk.water');
  chengguan = await staff(server.srv, 'clerk.chengguan');
});
after(async () => {
  const r = await server.stop();
  assert.deepEqual(r, { code: 0, signal: null }, server.srv.log());
});

const deptId = (code) => server.sql(`SELECT id FROM departments WHERE code = '${code}'`)[0][0];

// A call registered by the agent; returns its number.
async function call(fields = {}) {
  const r = await agent.submit('/hotline/orders', {
    description: '八廓街道小区已经停水三天了，没有任何通知，请尽快恢复供水。', division: '540102002000',
    address: '八廓街 5 号', caller_name: '扎西', phone: PHONE, urgency: 'normal', ...fields,
  }, { page: '/hotline' });
  assert.equal(r.status, 303, r.text);
  const m = /^\/hotline\/orders\/(H\d{20})$/.exec(r.location);
  assert.ok(m, r.location);
  return m[1];
}

test('the agent registers a call and sees the suggested category and department', async () => {
  const number = await call();
  const r = await agent.get(`/hotline/orders/${number}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.order.status, 'new');
  assert.equal(r.body.order.channel, 'phone');
  assert.equal(r.body.suggestion.trained, true);
  assert.equal(r.body.suggestion.categories[0].code, 'water');
  // The routing rule for water in Lhasa names the housing bureau, and it is preselected.
  assert.equal(String(r.body.suggestion.department.id), deptId('ls-zj'));
  assert.ok(r.body.suggestion.route, 'the routing rule decided');
  assert.ok(r.body.dispatch_departments.find((d) => d.selected && String(d.id) === deptId('ls-zj')));
  // The agent who took the call sees the phone in clear.
  assert.equal(r.body.order.phone, PHONE);
  assert.ok(r.body.can.dispatch && r.body.can.answer);
  assert.ok(!r.body.can.reply, 'the centre does not reply for the department');
});

test('the routing rule depends on the division: household registration in Chengguan vs Duilongdeqing', async () => {
  const a = await call({ description: '孩子出生后怎么上户口？需要什么材料？', division: '540102003000', address: '吉日街道' });
  const b = await call({ description: '孩子出生后怎么上户口？需要什么材料？', division: '540103001000', address: '东嘎街道' });
  const ra = await agent.get(`/hotline/orders/${a}`), rb = await agent.get(`/hotline/orders/${b}`);
  assert.equal(ra.body.suggestion.categories[0].code, 'hukou');
  assert.equal(String(ra.body.suggestion.department.id), deptId('cg-ga'));
  assert.equal(String(rb.body.suggestion.department.id), deptId('ls-ga'));
});

test('every field error at once, localised; nothing is stored', async () => {
  const before = server.sql('SELECT COUNT(*) FROM hotline_orders')[0][0];
  const r = await agent.submit('/hotline/orders', { description: '停水', division: '540102000000', address: '', phone: '123', lat: '91' }, { page: '/hotline' });
  assert.equal(r.status, 422);
  const fields = r.body.errors.map((e) => e.field).sort();
  assert.deepEqual(fields, ['address', 'description', 'division', 'lat', 'phone']);
  assert.equal(r.body.errors.find((e) => e.field === 'division').code, 'hotline.division_too_coarse');
  assert.match(r.body.errors.find((e) => e.field === 'phone').message, /手机号码/);
  assert.equal(server.sql('SELECT COUNT(*) FROM hotline_orders')[0][0], before);
  const html = await agent.request('POST', '/hotline/orders', { form: { _csrf: await agent.csrf('/hotline'), description: 'x' }, json: false });
  assert.equal(html.status, 422);
  assert.match(html.text, /error-summary/);
});

test('dispatch, department isolation, accept and reply; the caller sees it and rates it online', async () => {
  const number = await call();
  const d = await agent.submit(`/hotline/orders/${number}/dispatch`, { category: 'water', department: deptId('ls-zj') }, { page: '/hotline' });
  assert.equal(d.status, 303, d.text);
  const o = (await agent.get(`/hotline/orders/${number}`)).body.order;
  assert.equal(o.status, 'dispatched');
  assert.ok(o.deadline_ms > Date.now(), 'a deadline in the future');
  assert.equal(o.mark, 'green');
  // The caller (no account, a phone) is told through notify: an inbox row and an SMS outbox row.
  const notes = server.sql(`SELECT m.kind, o.channel FROM notify_messages m JOIN notify_outbox o ON o.message_id = m.id WHERE m.params LIKE '%${number}%' ORDER BY o.channel`);
  assert.deepEqual(notes.filter((n) => n[0] === 'hotline.notice.dispatched').map((n) => n[1]), ['sms']);
  // The order is indexed for staff search only (after commit: polled).
  const indexed = () => server.sql(`SELECT kind, visibility, title FROM search_docs WHERE title LIKE '${number}%'`);
  const docs = await poll(() => indexed().some((d) => d[2] === `${number} 供水`) && indexed()) || indexed();
  assert.deepEqual(docs, [['order', '1', `${number} 供水`]], 'titled by the category\'s name, not its code');
  // Another department: 404 for the order, nothing in its queue, 403 for actions it cannot see.
  assert.equal((await chengguan.get(`/hotline/orders/${number}`)).status, 404);
  const q = await chengguan.get('/hotline/department');
  assert.equal(q.status, 200);
  assert.ok(!q.body.orders.some((x) => x.number === number));
  const sneak = await chengguan.submit(`/hotline/orders/${number}/reply`, { reply: '已处理' }, { page: '/hotline/department' });
  assert.equal(sneak.status, 404);
  // The responsible department sees it, phone masked.
  const wq = await water.get('/hotline/department');
  assert.ok(wq.body.orders.some((x) => x.number === number));
  const seen = await water.get(`/hotline/orders/${number}`);
  assert.equal(seen.status, 200);
  assert.equal(seen.body.order.phone, '139****2222');
  assert.ok(!seen.text.includes(PHONE));
  assert.equal(seen.body.suggestion, undefined, 'suggestions are for the centre');
  // The department cannot dispatch; the agent cannot reply.
  assert.equal((await water.submit(`/hotline/orders/${number}/dispatch`, { category: 'water', department: deptId('ls-zj') }, { page: '/hotline/department' })).status, 403);
  assert.equal((await agent.submit(`/hotline/orders/${number}/reply`, { reply: '已处理' }, { page: '/hotline' })).status, 403);
  assert.equal((await water.submit(`/hotline/orders/${number}/accept`, {}, { page: '/hotline/department' })).status, 303);
  const rep = await water.submit(`/hotline/orders/${number}/reply`, { reply: '管道已抢修完毕，已恢复供水。' }, { page: '/hotline/department' });
  assert.equal(rep.status, 303, rep.text);
  // Public lookup (POST): the number and the right phone, nothing with a wrong one.
  const anon = new Client(server.srv);
  assert.equal((await anon.submit('/hotline/status', { number, phone: '13900000000' }, { page: '/hotline/status' })).status, 404);
  const st = await anon.submit('/hotline/status', { number, phone: PHONE }, { page: '/hotline/status' });
  assert.equal(st.status, 200);
  assert.equal(st.body.order.status, 'replied');
  assert.equal(st.body.order.reply, '管道已抢修完毕，已恢复供水。');
  assert.equal(st.body.order.phone, '139****2222');
  assert.equal(st.body.can_rate, true);
  const wrong = await anon.submit('/hotline/status/rate', { number, phone: '13900000000', rating: '5' }, { page: '/hotline/status' });
  assert.equal(wrong.status, 404);
  const bad = await anon.submit('/hotline/status/rate', { number, phone: PHONE, rating: '9' }, { page: '/hotline/status' });
  assert.equal(bad.status, 400);
  const rated = await anon.submit('/hotline/status/rate', { number, phone: PHONE, rating: '5', comment: '很快' }, { page: '/hotline/status' });
  assert.equal(rated.status, 200, rated.text);
  assert.equal(rated.body.order.status, 'closed');
  assert.equal(rated.body.order.rating, 5);
  const again = await anon.submit('/hotline/status/rate', { number, phone: PHONE, rating: '1' }, { page: '/hotline/status' });
  assert.equal(again.status, 409, 'rated once');
  const tl = (await agent.get(`/hotline/orders/${number}`)).body.timeline.map((e) => e.kind);
  for (const k of ['created', 'dispatched', 'accepted', 'replied', 'rated', 'notice']) assert.ok(tl.includes(k), `${k} in ${tl}`);
  // Audited in the same transactions.
  const audit = server.sql(`SELECT action FROM audit_events WHERE object = 'hotline_order:${number}' ORDER BY id`).map((r) => r[0]);
  assert.deepEqual(audit, ['hotline.create', 'hotline.dispatch', 'hotline.accept', 'hotline.reply', 'hotline.rate']);
});

test('an unsatisfied rating with "reopen" sends the order back to the department', async () => {
  const number = await call({ description: '暖气不热，室内只有十几度。', address: '八廓街 9 号' });
  await agent.submit(`/hotline/orders/${number}/dispatch`, { category: 'heating', department: deptId('ls-zj') }, { page: '/hotline' });
  await water.submit(`/hotline/orders/${number}/reply`, { reply: '已通知物业。' }, { page: '/hotline/department' });
  const anon = new Client(server.srv);
  const r = await anon.submit('/hotline/status/rate', { number, phone: PHONE, rating: '1', reopen: '1' }, { page: '/hotline/status' });
  assert.equal(r.status, 200);
  assert.equal(r.body.order.status, 'dispatched');
  assert.equal(r.body.order.rating, 1);
  assert.ok((await agent.get(`/hotline/orders/${number}`)).body.timeline.some((e) => e.kind === 'reopened'));
});

test('send back with a reason, supervision, extension, answer directly and merge', async () => {
  const number = await call({ description: '小区门口路面坑洼严重，车辆通行困难。' });
  await agent.submit(`/hotline/orders/${number}/dispatch`, { category: 'roads', department: deptId('ls-zj') }, { page: '/hotline' });
  const noReason = await water.submit(`/hotline/orders/${number}/return`, { reason: '' }, { page: '/hotline/department' });
  assert.equal(noReason.status, 400);
  assert.equal((await water.submit(`/hotline/orders/${number}/return`, { reason: '道路不属于本局职责，应由交通局办理。' }, { page: '/hotline/department' })).status, 303);
  assert.equal((await agent.get(`/hotline/orders/${number}`)).body.order.status, 'returned');
  assert.equal((await water.get(`/hotline/orders/${number}`)).status, 200, 'the department still sees what it sent back');
  await agent.submit(`/hotline/orders/${number}/dispatch`, { category: 'roads', department: deptId('ls-jt') }, { page: '/hotline' });
  assert.equal((await water.get(`/hotline/orders/${number}`)).status, 404, 'not any more once dispatched elsewhere');
  assert.equal((await agent.submit(`/hotline/orders/${number}/supervise`, { note: '请加快办理' }, { page: '/hotline' })).status, 303);
  const before = (await agent.get(`/hotline/orders/${number}`)).body.order.deadline_ms;
  assert.equal((await agent.submit(`/hotline/orders/${number}/approve`, {}, { page: '/hotline' })).status, 409, 'nothing to approve');
  // The extension is asked by the department: the transport bureau has no staff in the
  // demo, so the centre cannot fake it; re-dispatch to the housing bureau for this part.
  const n2 = await call({ description: '供水管道破裂，路面一直在冒水。' });
  await agent.submit(`/hotline/orders/${n2}/dispatch`, { category: 'water', department: deptId('ls-zj') }, { page: '/hotline' });
  const d0 = (await agent.get(`/hotline/orders/${n2}`)).body.order.deadline_ms;
  assert.equal((await water.submit(`/hotline/orders/${n2}/extend`, { hours: '48', reason: '需要更换管道' }, { page: '/hotline/department' })).status, 303);
  assert.equal((await agent.submit(`/hotline/orders/${n2}/approve`, {}, { page: '/hotline' })).status, 303);
  assert.equal((await agent.get(`/hotline/orders/${n2}`)).body.order.deadline_ms, d0 + 48 * 3600e3);
  assert.ok(before > 0);
  // Answer directly.
  const n3 = await call({ description: '请问城乡居民医保今年的缴费标准是多少？' });
  assert.equal((await agent.submit(`/hotline/orders/${n3}/answer`, { category: 'social_insurance', answer: '今年个人缴费标准为每人每年 400 元。' }, { page: '/hotline' })).status, 303);
  assert.equal((await agent.get(`/hotline/orders/${n3}`)).body.order.status, 'answered');
  // Merge a duplicate into n2: closed as merged, both callers informed.
  const dup = await call({ description: '供水管道破裂冒水，和邻居反映的是同一处。' });
  assert.equal((await agent.submit(`/hotline/orders/${dup}/merge`, { into: n2 }, { page: '/hotline' })).status, 303);
  const merged = await agent.get(`/hotline/orders/${dup}`);
  assert.equal(merged.body.order.status, 'merged');
  const notices = merged.body.timeline.filter((e) => e.kind === 'notice');
  assert.equal(notices.length, 1);
  assert.ok((await agent.get(`/hotline/orders/${n2}`)).body.timeline.some((e) => e.kind === 'merged_in'));
});

test('refusals: anonymous and citizens never reach the desk or orders', async () => {
  const anon = new Client(server.srv);
  assert.equal((await anon.get('/hotline')).status, 401);
  const page = await anon.get('/hotline', { json: false });
  assert.equal(page.status, 303);
  assert.match(page.location, /^\/login\?next=/);
  assert.equal((await anon.get('/hotline/dashboard')).status, 401);
  assert.equal((await water.get('/hotline')).status, 403, 'a department clerk is no agent');
  assert.equal((await water.get('/hotline/dashboard')).status, 403);
  assert.equal((await agent.get('/hotline/admin')).status, 403, 'an agent is no administrator');
  assert.equal((await agent.get('/hotline/department')).status, 403);
});

test('the public form accepts anonymous reports; the phone is sealed at rest', async () => {
  const anon = new Client(server.srv);
  const r = await anon.submit('/hotline/submit', {
    description: '夜间施工噪音太大，影响居民休息。', division: '540102005000', address: '扎细街道', phone: '13922223333', channel: 'mobile',
  }, { page: '/hotline/submit' });
  assert.equal(r.status, 201, r.text);
  const number = r.body.number;
  const row = server.sql(`SELECT channel, caller_account, phone_hash FROM hotline_orders WHERE number = '${number}'`)[0];
  assert.equal(row[0], 'mobile');
  assert.equal(row[1], '0');
  assert.match(row[2], /^[0-9a-f]{64}$/);
  const raw = server.db.startsWith('sqlite')
    ? server.sql(`SELECT hex(phone_enc) FROM hotline_orders WHERE number = '${number}'`)[0][0]
    : server.sql(`SELECT encode(phone_enc, 'hex') FROM hotline_orders WHERE number = '${number}'`)[0][0];
  assert.ok(raw.length > 0);
  assert.ok(!Buffer.from(raw, 'hex').toString('latin1').includes('13922223333'), 'sealed');
  const empty = await anon.submit('/hotline/submit', {}, { page: '/hotline/submit' });
  assert.equal(empty.status, 422);
  assert.ok(empty.body.errors.length >= 3);
});

test('the dashboard counts orders, satisfaction and hot spots; CSV export', async () => {
  const r = await agent.get('/hotline/dashboard');
  assert.equal(r.status, 200);
  const s = r.body.stats;
  assert.ok(s.total >= 2400, `total ${s.total}`);
  assert.ok(s.by_category.find((c) => c.category === 'noise').count > 0);
  assert.ok(s.rated > 0 && s.satisfaction > 0 && s.satisfaction <= 1);
  assert.ok(s.hot_spots.some((h) => h.category === 'noise'), 'noise rises in the demo');
  const before = s.total;
  await call();
  assert.equal((await agent.get('/hotline/dashboard')).body.stats.total, before + 1);
  const csv = await agent.get('/hotline/dashboard?format=csv', { json: false });
  assert.equal(csv.status, 200);
  assert.match(csv.headers['content-type'], /^text\/csv/);
  assert.match(csv.text, /^section,key,name,count\r\n/);
  assert.match(csv.text, /\r\nby_category,noise,噪声污染,\d+\r\n/);
  assert.match(csv.text, new RegExp(`summary,total,,${before + 1}\\r\\n`));
  assert.equal((await agent.get('/hotline/dashboard?weeks=0')).status, 400);
});

test('onewindow hotline evaluate reports top-1 and top-3 accuracy on a held-out split', () => {
  const r = server.cli(['hotline', 'evaluate']);
  assert.equal(r.status, 0, r.stderr);
  const m = /category\s+top-1 ([\d.]+)%\s+top-3 ([\d.]+)%/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.ok(Number(m[2]) >= Number(m[1]));
  assert.ok(Number(m[1]) > 50, 'far better than chance (12 categories)');
  assert.match(r.stdout, /department top-1 [\d.]+%\s+top-3 [\d.]+%/);
  assert.equal(server.cli(['hotline', 'train']).status, 0);
  assert.equal(server.cli(['hotline', 'nonsense']).status, 2);
});

test('knowledge base: demo articles in zh/bo/en, public search, agents write, an answer becomes an article', async () => {
  const anon = new Client(server.srv);
  const list = await anon.get('/hotline/kb');
  assert.equal(list.status, 200);
  assert.ok(list.body.articles.length >= 5);
  assert.deepEqual([...new Set(list.body.articles.map((a) => a.lang))].sort(), ['bo', 'en', 'zh']);
  const found = await anon.get(`/hotline/kb?q=${encodeURIComponent('医疗保险')}`);
  assert.equal(found.status, 200);
  assert.ok(found.body.results.hits.some((h) => h.title.includes('医疗保险')), JSON.stringify(found.body.results));
  const tib = await anon.get(`/hotline/kb?q=${encodeURIComponent('ཐེམ་ཐོ')}`);
  assert.ok(tib.body.results.hits.length >= 1, 'Tibetan without segmentation');
  for (const q of ['', 'a', '"(*', 'x'.repeat(5000), 'OR AND NOT NEAR(']) {
    const r = await anon.get(`/hotline/kb?q=${encodeURIComponent(q)}`);
    assert.equal(r.status, 200, `q=${q.slice(0, 20)}`);
  }
  const art = await anon.get(`/hotline/kb/${list.body.articles[0].id}`);
  assert.equal(art.status, 200);
  assert.ok(art.body.article.body.length > 10);
  assert.equal((await anon.get('/hotline/kb/1')).status, 404);
  // Citizens and departments do not write; agents do, with validation.
  assert.equal((await water.submit('/hotline/kb', { title: '标题', body: '正文内容' }, { page: '/hotline/kb' })).status, 403);
  assert.equal((await agent.submit('/hotline/kb', { title: 'x', body: '' }, { page: '/hotline/kb' })).status, 400);
  const made = await agent.submit('/hotline/kb', { lang: 'zh', title: '占道经营投诉怎么处理', body: '由属地城管部门依法处理，一般5个工作日内答复。' }, { page: '/hotline/kb' });
  assert.equal(made.status, 303, made.text);
  const again = await anon.get(`/hotline/kb?q=${encodeURIComponent('占道经营')}`);
  assert.ok(again.body.results.hits.some((h) => h.title === '占道经营投诉怎么处理'));
  // An answered order becomes an article without the caller's personal data.
  const number = await call({ description: '请问新生儿医保怎么办理？多久内参保？' });
  assert.equal((await agent.submit(`/hotline/kb/from/${number}`, {}, { page: '/hotline' })).status, 409, 'not answered yet');
  await agent.submit(`/hotline/orders/${number}/answer`, { category: 'social_insurance', answer: '出生后90天内在社区办理参保，自出生之日起享受待遇。' }, { page: '/hotline' });
  const kb = await agent.submit(`/hotline/kb/from/${number}`, {}, { page: '/hotline' });
  assert.equal(kb.status, 303);
  const article = await anon.get(kb.location);
  assert.match(article.body.article.body, /90天内/);
  assert.ok(!JSON.stringify(article.body).includes(PHONE) && !JSON.stringify(article.body).includes('扎西'));
});

test('administration: categories, routing rules and Open311 keys (hotline.admin only)', async () => {
  const admin = await staff(server.srv, 'catalog.xz');
  const page = await admin.get('/hotline/admin');
  assert.equal(page.status, 200, page.text);
  assert.ok(page.body.categories.some((c) => c.code === 'water'));
  const bad = await admin.submit('/hotline/admin/categories', { code: 'Bad Code', name_zh: '' }, { page: '/hotline/admin' });
  assert.equal(bad.status, 400);
  const ok = await admin.submit('/hotline/admin/categories', { code: 'stray_dogs', name_zh: '流浪犬', name_bo: 'ཁྱི་འཁྱམས།', name_en: 'Stray dogs' }, { page: '/hotline/admin' });
  assert.equal(ok.status, 303, ok.text);
  const route = await admin.submit('/hotline/admin/routes', { category: 'stray_dogs', division_prefix: '540102', department: deptId('cg-mz') }, { page: '/hotline/admin' });
  assert.equal(route.status, 303, route.text);
  assert.ok((await admin.get(route.location, { json: false })).text.includes(ZH.done.hotline_settings_saved));
  const number = await call({ description: '小区里流浪狗很多，晚上咬人，请处理。', category: 'stray_dogs' });
  const o = await agent.get(`/hotline/orders/${number}`);
  assert.equal(String(o.body.suggestion.route.id), deptId('cg-mz'), 'the new rule routes the new category');
  const services = await agent.get('/open311/v2/services.json', { json: false });
  assert.ok(services.body.some((s) => s.service_code === 'stray_dogs'), 'and Open311 offers it');
  // Keys: created once on the page, shown once, usable, then revoked.
  const keys = await admin.get('/open311/admin');
  assert.equal(keys.status, 200);
  const made = await admin.submit('/open311/admin/keys', { name: '市长信箱系统' }, { page: '/open311/admin' });
  assert.equal(made.status, 201);
  assert.match(made.body.new_key, /^[A-Za-z0-9_-]{43}$/);
  const anon = new Client(server.srv);
  const post = await anon.request('POST', '/open311/v2/requests.json', { json: false, form: {
    api_key: made.body.new_key, service_code: 'stray_dogs', address_string: '娘热路', 'attribute[division]': '540102012000', description: '流浪狗聚集，孩子上学不安全。' } });
  assert.equal(post.status, 201, post.text);
  const id = made.body.keys.find((k) => k.name === '市长信箱系统').id;
  const revoked = await admin.submit(`/open311/admin/keys/${id}/revoke`, {}, { page: '/open311/admin' });
  assert.equal(revoked.status, 303);
  const confirmed = await admin.get(revoked.location, { json: false });
  assert.ok(confirmed.text.includes(ZH.done.hotline_api_key_revoked), 'the revocation is confirmed');
  const anonKeys = await new Client(server.srv).get('/open311/admin', { json: false });
  assert.equal(anonKeys.status, 303, 'logged out: to the login and back');
  assert.match(anonKeys.location, /^\/login\?next=%2Fopen311%2Fadmin/);
  const refused = await anon.request('POST', '/open311/v2/requests.json', { json: false, form: { api_key: made.body.new_key, service_code: 'water' } });
  assert.equal(refused.status, 403);
  // Only administrators.
  for (const who of [agent, water]) {
    assert.equal((await who.get('/hotline/admin')).status, 403);
    assert.equal((await who.get('/open311/admin')).status, 403);
  }
  assert.equal(server.sql("SELECT COUNT(*) FROM open311_keys WHERE key_hash LIKE '%" + made.body.new_key.slice(0, 10) + "%'")[0][0], '0', 'only the hash is stored');
});

test('the status lookup is a POST: the phone is never in an address, what was typed stays, rating works from there', async () => {
  const number = await call({ description: '单元楼道的灯坏了很久，晚上看不见路。' });
  await agent.submit(`/hotline/orders/${number}/dispatch`, { category: 'water', department: deptId('ls-zj') }, { page: '/hotline' });
  await water.submit(`/hotline/orders/${number}/reply`, { reply: '已更换楼道灯。' }, { page: '/hotline/department' });
  const anon = new Client(server.srv);
  // An address with the phone in it looks nothing up (old links, or a person typing it).
  const old = await anon.get(`/hotline/status?number=${number}&phone=${PHONE}`);
  assert.equal(old.status, 200);
  assert.equal(old.body.order, undefined, 'no lookup from an address');
  assert.equal(old.body.values.number, number, 'a notification\'s link fills the number in');
  assert.equal(old.body.values.phone, '', 'never the phone from an address');
  // The form posts, and the page says so.
  const page = await anon.get('/hotline/status', { json: false });
  assert.match(page.text, /<form method="post" action="\/hotline\/status"/);
  // Empty fields: field errors, localised; a wrong phone: 404 with the typed values kept.
  const empty = await anon.submit('/hotline/status', { number: '', phone: '' }, { page: '/hotline/status' });
  assert.equal(empty.status, 422);
  assert.deepEqual(empty.body.errors.map((e) => e.field), ['number', 'phone']);
  assert.equal(empty.body.field_errors.phone, ZH.errors.hotline.phone_required);
  const wrong = await anon.request('POST', '/hotline/status', { json: false, form: { number, phone: '13900000001', _csrf: await anon.csrf('/hotline/status') } });
  assert.equal(wrong.status, 404);
  assert.ok(wrong.text.includes(`value="${number}"`) && wrong.text.includes('value="13900000001"'), 'the form keeps what was typed');
  assert.ok(wrong.text.includes(ZH.hotline.status.not_found));
  // Found: the order, its history (no internal notes), and the rating form carries on.
  const found = await anon.submit('/hotline/status', { number, phone: PHONE }, { page: '/hotline/status' });
  assert.equal(found.status, 200);
  assert.equal(found.body.order.status, 'replied');
  assert.ok(found.body.history.some((e) => e.kind === 'replied'));
  assert.ok(!found.body.history.some((e) => e.kind === 'supervised'));
  // A rating without a level: the page again, with the error and the comment kept.
  const noLevel = await anon.request('POST', '/hotline/status/rate', { json: false, form: { number, phone: PHONE, comment: '换得很快', _csrf: await anon.csrf('/hotline/status') } });
  assert.equal(noLevel.status, 400);
  assert.ok(noLevel.text.includes(ZH.errors.hotline.bad_rating));
  assert.ok(noLevel.text.includes('value="换得很快"'));
  const rated = await anon.submit('/hotline/status/rate', { number, phone: PHONE, rating: '4', comment: '换得很快' }, { page: '/hotline/status' });
  assert.equal(rated.status, 200, rated.text);
  assert.equal(rated.body.order.status, 'closed');
  assert.equal(rated.body.order.rating_name, ZH.hotline.levels['4']);
  assert.equal(rated.body.rated, true);
  // Nothing of the phone reached the server's log.
  assert.ok(!server.srv.log().includes(PHONE), 'the phone is in no log line');
});

test('the timeline and every list show names, never a template tag or a code', async () => {
  const anon = new Client(server.srv);
  const sub = await anon.submit('/hotline/submit', {
    description: '小区门口的下水道堵塞，污水漫到路上。', division: '540102002000', address: '八廓街 7 号', phone: PHONE,
  }, { page: '/hotline/submit' });
  assert.equal(sub.status, 201, sub.text);
  const number = sub.body.number;
  await agent.submit(`/hotline/orders/${number}/dispatch`, { category: 'water', department: deptId('ls-zj') }, { page: '/hotline' });
  await water.submit(`/hotline/orders/${number}/accept`, {}, { page: '/hotline/department' });
  await water.submit(`/hotline/orders/${number}/extend`, { hours: '24', reason: '需要协调物业' }, { page: '/hotline/department' });
  await water.submit(`/hotline/orders/${number}/reply`, { reply: '已疏通下水道。' }, { page: '/hotline/department' });
  await anon.submit('/hotline/status/rate', { number, phone: PHONE, rating: '5', comment: '满意' }, { page: '/hotline/status' });
  const codes = /\{\{|\}\}|hotline\.(notice|events|channels|states|levels|urgencies|marks)\.|>\s*(web|phone|mobile|open311|new|dispatched|accepted|replied|closed)\s*</;
  for (const [who, path] of [[agent, `/hotline/orders/${number}`], [water, `/hotline/orders/${number}`], [agent, '/hotline'], [water, '/hotline/department'], [agent, '/hotline/dashboard']]) {
    for (const lang of ['zh', 'bo', 'en']) {
      const r = await who.get(`${path}${path.includes('?') ? '&' : '?'}lang=${lang}`, { json: false });
      assert.equal(r.status, 200, `${path} ${lang}`);
      const main = r.text.slice(r.text.indexOf('<main'), r.text.indexOf('</main>'));
      assert.doesNotMatch(main, codes, `${path} in ${lang}`);
    }
  }
  const tl = (await agent.get(`/hotline/orders/${number}?lang=zh`)).body.timeline;
  const note = (kind) => tl.find((e) => e.kind === kind).note;
  assert.equal(note('created'), ZH.hotline.channels.web, 'the channel by its name');
  assert.equal(note('notice'), ZH.hotline.notice.dispatched.replace('{{number}}', number), 'the message as the caller read it');
  assert.match(note('extension_requested'), new RegExp(`^24 ${ZH.hotline.hours} · 需要协调物业$`));
  assert.equal(note('rated'), `${ZH.hotline.levels['5']} · 满意`);
  const bo = (await agent.get(`/hotline/orders/${number}?lang=bo`)).body.timeline;
  assert.equal(bo.find((e) => e.kind === 'created').note, BO.hotline.channels.web);
  assert.ok(bo.every((e) => !/\{\{/.test(e.note)));
  // The caller's history: the messages and the rating's level, without the comment.
  const found = await anon.submit('/hotline/status', { number, phone: PHONE }, { page: '/hotline/status' });
  assert.ok(found.body.history.some((e) => e.note === ZH.hotline.notice.replied.replace('{{number}}', number)));
  assert.ok(!found.body.history.some((e) => e.kind === 'extension_requested'), 'internal steps stay internal');
  assert.equal(found.body.history.find((e) => e.kind === 'rated').note, ZH.hotline.levels['5']);
  // ?lang= is remembered in a cookie: back to Chinese for the tests after this one.
  await agent.get('/hotline?lang=zh');
  await water.get('/hotline/department?lang=zh');
});

test('junk in a number field is a 400 with a localised message, never a silent number', async () => {
  const number = await call({ description: '夜里工地施工，噪音扰民严重。' });
  const anon = new Client(server.srv);
  // atoi turned "5x" into 5 and "48h" into 48: now each is refused.
  for (const [who, path, form] of [
    [agent, `/hotline/orders/${number}/dispatch`, { category: 'noise', department: `${deptId('ls-zj')}x` }],
    [agent, `/hotline/orders/${number}/rate`, { rating: '5x' }],
    [anon, '/hotline/status/rate', { number, phone: PHONE, rating: '5x' }],
    [anon, '/hotline/status/rate', { number, phone: PHONE, rating: '9' }],
  ]) {
    const r = await who.submit(path, form, { page: who === anon ? '/hotline/status' : '/hotline' });
    assert.equal(r.status, 400, `${path} ${JSON.stringify(form)}: ${r.text}`);
    assert.equal(r.body.code, 'http.bad_number');
    assert.equal(r.body.detail, ZH.errors.http.bad_number);
  }
  await agent.submit(`/hotline/orders/${number}/dispatch`, { category: 'noise', department: deptId('ls-zj') }, { page: '/hotline' });
  const ext = await water.submit(`/hotline/orders/${number}/extend`, { hours: '48h', reason: '需要协调' }, { page: '/hotline/department' });
  assert.equal(ext.status, 400);
  assert.equal(ext.body.code, 'http.bad_number');
  const page = await water.request('POST', `/hotline/orders/${number}/extend`, { json: false, form: { hours: 'abc', reason: '需要协调', _csrf: await water.csrf('/hotline/department') } });
  assert.equal(page.status, 400);
  assert.ok(page.text.includes(ZH.errors.http.bad_number), 'a localised page');
  // In range for the form, out of range for the hotline: its own localised refusal.
  const big = await water.submit(`/hotline/orders/${number}/extend`, { hours: '5000', reason: '需要协调' }, { page: '/hotline/department' });
  assert.equal(big.status, 400);
  assert.equal(big.body.code, 'hotline.bad_hours');
  for (const w of ['8x', 'abc', '0', '105']) assert.equal((await agent.get(`/hotline/dashboard?weeks=${w}`)).status, 400, `weeks=${w}`);
  const admin = await staff(server.srv, 'catalog.xz');
  const route = await admin.submit('/hotline/admin/routes', { category: 'noise', division_prefix: '540102', department: 'x1' }, { page: '/hotline/admin' });
  assert.equal(route.status, 400);
  assert.equal(route.body.code, 'http.bad_number');
});

test('guessing a caller\'s phone is slowed: 5 wrong look-ups of a number pause it, 30 from an address pause the address', async () => {
  const anon = new Client(server.srv, { localAddress: '127.0.0.7' });
  const made = await anon.submit('/hotline/submit', {
    description: '路灯不亮，晚上出行不安全。', division: '540102005000', address: '扎细街道', phone: '13922225555', channel: 'mobile',
  }, { page: '/hotline/submit' });
  assert.equal(made.status, 201, made.text);
  const number = made.body.number;
  for (let i = 0; i < 5; i++) {
    const r = await anon.submit('/hotline/status', { number, phone: `1390000000${i}` }, { page: '/hotline/status' });
    assert.equal(r.status, 404, `guess ${i}`);
  }
  // Now even the right phone waits, with a sentence and Retry-After; the form keeps what was typed.
  const paused = await anon.submit('/hotline/status', { number, phone: '13922225555' }, { page: '/hotline/status', json: false });
  assert.equal(paused.status, 429);
  assert.equal(paused.headers['retry-after'], '900');
  assert.ok(paused.text.includes(ZH.errors.hotline.lookup_paused));
  assert.match(paused.text, new RegExp(`value="${number}"`));
  const other = new Client(server.srv, { localAddress: '127.0.0.8' });
  assert.equal((await other.submit('/hotline/status', { number, phone: '13922225555' }, { page: '/hotline/status' })).status, 429,
    'the number is paused from any address');
  // An address that walks through numbers is paused too.
  const walker = new Client(server.srv, { localAddress: '127.0.0.9' });
  for (let i = 0; i < 30; i++) {
    const r = await walker.submit('/hotline/status', { number: `H2026${String(i).padStart(8, '0')}`, phone: '13922225555' }, { page: '/hotline/status' });
    assert.equal(r.status, 404, `walk ${i}`);
  }
  const stopped = await walker.submit('/hotline/status', { number: `H2026${'9'.repeat(8)}`, phone: '13922225555' }, { page: '/hotline/status' });
  assert.equal(stopped.status, 429);
  assert.equal(Number(server.sql("SELECT count(*) FROM hotline_lookup_failures WHERE key = 'ip:127.0.0.9'")[0][0]), 1);
});

test('the daily figures for the dashboard equal the orders after every kind of change (create, dispatch, reply, rate, reopen, merge)', async () => {
  // By now this file has created, dispatched, replied to, rated, reopened, answered directly
  // and merged orders; the demo added closed ones. hotline_daily is written in each of those
  // transactions (src/hotline/hotline_daily.c): it must equal a recomputation from the rows.
  const want = new Map();
  for (const [c, div, st, d, r, dl, rt] of server.sql('SELECT created_at, division_code, status, dispatched_at, replied_at, deadline_at, rating FROM hotline_orders')) {
    if (st === 'merged') continue;
    const key = `${Math.floor((Number(c) + 8 * 3600e3) / 86400e3)}|${Math.floor(Number(div) / 1e6) * 1e6}`;
    const k = want.get(key) ?? [0, 0, 0, 0, 0, 0, 0, 0];
    k[0]++;
    if (Number(d) > 0) { k[1]++; k[2] += Number(d) - Number(c); }
    if (Number(r) > 0) { k[3]++; k[4] += Number(r) - Number(c); if (Number(dl) > 0 && Number(r) > Number(dl)) k[5]++; }
    if (Number(rt) >= 1 && Number(rt) <= 5) { k[6]++; if (Number(rt) >= 4) k[7]++; }
    want.set(key, k);
  }
  const got = new Map();
  for (const [day, county, ...v] of server.sql('SELECT day, county, received, dispatched, response_ms, replied, resolution_ms, replied_late, rated, satisfied FROM hotline_daily')) {
    if (v.every((x) => Number(x) === 0)) continue; // a row whose orders all merged away
    got.set(`${day}|${county}`, v.map(Number));
  }
  assert.ok(Number(server.sql("SELECT count(*) FROM hotline_orders WHERE status = 'merged'")[0][0]) > 0, 'a merge happened');
  assert.deepEqual(Object.fromEntries([...got].sort()), Object.fromEntries([...want].sort()));
});
