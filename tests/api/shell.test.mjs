// tests/api/shell.test.mjs - what every page shares (issue 10): the account menu in the
// header for each role, the login that comes back to where the person was going (an
// encoded `next`, validated as a local path), the confirmation after an action
// (?done=...), error pages without internal codes, and integers from forms and queries
// refused with 400 when they are junk (the handler kit, src/web/kit.c).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client, login, DEMO_CITIZEN_ID } from '../lib/client.mjs';
import { demoServer } from '../lib/db.mjs';

let env;
before(async () => { env = await demoServer('shell'); });
after(async () => { await env?.stop(); });

const html = { json: false };
const menuOf = (text) => {
  const nav = /<nav class="me"[^>]*>([\s\S]*?)<\/nav>/.exec(text)?.[1] ?? '';
  return [...nav.matchAll(/<a href="([^"]+)">/g)].map((m) => m[1]);
};

test('logged out, the header offers login (coming back here) and registration', async () => {
  const c = new Client(env.srv);
  const r = await c.get('/services?audience=person', html);
  assert.equal(r.status, 200);
  assert.deepEqual(menuOf(r.text), ['/login?next=%2Fservices%3Faudience%3Dperson', '/register']);
});

test('each role sees its own menu in the header, on every page', async () => {
  const citizen = await login(env.srv, DEMO_CITIZEN_ID);
  for (const path of ['/', '/services', '/divisions']) {
    const m = menuOf((await citizen.get(path, html)).text);
    assert.deepEqual(m, ['/applications', '/certificates', '/account/data-use', '/account/agents', '/messages', '/account'], path);
  }
  const clerk = await login(env.srv, 'clerk.chengguan', { staff: true });
  assert.deepEqual(menuOf((await clerk.get('/', html)).text),
    ['/workbench', '/account/agents', '/workbench/supervision', '/hotline/department', '/messages', '/account']);
  const head = await login(env.srv, 'head.chengguan', { staff: true });
  assert.deepEqual(menuOf((await head.get('/', html)).text),
    ['/workbench', '/workbench/rectifications', '/workbench/supervision', '/hotline/department', '/data/admin', '/exchange/grants', '/messages', '/account']);
  const agent = await login(env.srv, 'hotline.xz', { staff: true });
  assert.deepEqual(menuOf((await agent.get('/', html)).text),
    ['/hotline', '/hotline/dashboard', '/messages', '/account']);
  const cat = await login(env.srv, 'catalog.xz', { staff: true });
  assert.ok(menuOf((await cat.get('/', html)).text).includes('/admin/catalog'));
  assert.ok(!menuOf((await cat.get('/', html)).text).includes('/admin/audit'), 'the administrator does not read the audit log');
  const sup = await login(env.srv, 'supervisor.xz', { staff: true });
  assert.deepEqual(menuOf((await sup.get('/', html)).text), ['/oversight', '/dashboard', '/messages', '/account']);
  const aud = await login(env.srv, 'auditor.xz', { staff: true });
  assert.ok(menuOf((await aud.get('/', html)).text).includes('/admin/audit'));
  // Every menu entry opens for the role that sees it.
  for (const [c, who] of [[citizen, 'citizen'], [clerk, 'clerk'], [head, 'head'], [agent, 'agent'], [cat, 'catalog'], [sup, 'supervisor'], [aud, 'auditor']]) {
    for (const href of menuOf((await c.get('/', html)).text)) {
      const r = await c.get(href, html);
      assert.equal(r.status, 200, `${who} ${href}: ${r.status}`);
    }
  }
});

test('a page that needs a login sends people there and back, query included', async () => {
  const c = new Client(env.srv);
  const r = await c.get('/services/XZ-MZ-001/apply?lang=bo', html);
  assert.equal(r.status, 303);
  assert.equal(r.location, '/login?next=%2Fservices%2FXZ-MZ-001%2Fapply%3Flang%3Dbo');
  for (const path of ['/applications', '/messages', '/certificates', '/workbench', '/hotline/department']) {
    const x = await c.get(path, html);
    assert.equal(x.status, 303, path);
    assert.equal(x.location, `/login?next=${encodeURIComponent(path)}`, path);
  }
  // The login form carries next, and logging in lands there.
  const form = await c.get(r.location, html);
  assert.match(form.text, /name="next" value="\/services\/XZ-MZ-001\/apply\?lang=bo"/);
  const done = await c.submit('/login', { login: DEMO_CITIZEN_ID, password: 'Demo-2026-xz',
    next: '/services/XZ-MZ-001/apply?lang=bo' }, { page: '/login', json: false });
  assert.equal(done.status, 303);
  assert.equal(done.location, '/services/XZ-MZ-001/apply?lang=bo');
  // The API answers 401, never a redirect.
  const api = await new Client(env.srv).get('/api/v1/applications');
  assert.equal(api.status, 401);
  assert.equal(api.body.code, 'identity.login_required');
});

test('next never leaves the site', async () => {
  for (const next of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', '/a\r\nSet-Cookie: x=1', 'javascript:alert(1)']) {
    const c = new Client(env.srv);
    const r = await c.submit('/login', { login: DEMO_CITIZEN_ID, password: 'Demo-2026-xz', next }, { page: '/login', json: false });
    assert.equal(r.status, 303, next);
    assert.equal(r.location, '/account', next);
  }
});

test('a confirmation shows after an action, only from the catalog', async () => {
  const c = await login(env.srv, DEMO_CITIZEN_ID);
  const ok = await c.get('/account?done=password', html);
  assert.match(ok.text, /<p class="flash" role="status">[^<]+<\/p>/);
  for (const junk of ['<script>', 'nosuchthing', 'x'.repeat(60)]) {
    const r = await c.get(`/account?done=${encodeURIComponent(junk)}`, html);
    assert.equal(r.status, 200);
    assert.doesNotMatch(r.text, /class="flash"/, junk);
  }
});

test('error pages speak the reader\'s language and show no internal code', async () => {
  const c = new Client(env.srv);
  for (const [lang, text] of [['zh', '没有这个网页'], ['en', 'no page at this address'], ['bo', 'དྲ་ཤོག']]) {
    const r = await c.get(`/no/such/page?lang=${lang}`, html);
    assert.equal(r.status, 404);
    assert.ok(r.text.includes(text), lang);
    assert.doesNotMatch(r.text, /http\.not_found/);
  }
  const item = await c.get('/services/NO-SUCH-ITEM', html);
  assert.equal(item.status, 404);
  assert.doesNotMatch(item.text, /catalog\.\w+|\bnot_found\b/);
  // The problem document keeps the code for programs.
  const api = await c.get('/api/v1/services/NO-SUCH-ITEM');
  assert.equal(api.status, 404);
  assert.match(api.body.code, /^catalog\./);
});
