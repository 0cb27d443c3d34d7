// tests/api/http.test.mjs - what every onewindow server does at the HTTP level: health,
// readiness, metrics, error documents, URL and body limits, security headers, gzip,
// static assets, keep-alive and language negotiation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, backend, ROOT, catalog } from '../lib/server.mjs';

const T = Object.fromEntries(['zh', 'bo', 'en'].map((l) => [l, catalog(l)]));

let srv;
before(async () => { srv = await startServer(); });
after(async () => {
  const r = await srv.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
});

// One request with node:http (no automatic decompression, exact headers); resolves with
// {status, headers, body: Buffer, reusedSocket, socket}.
function request(path, { method = 'GET', headers = {}, body, agent = false } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: srv.port, path, method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks),
        reusedSocket: req.reusedSocket, socket: res.socket,
      }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Send raw bytes on a fresh TCP connection; resolves with what came back before the
// server closed (or after `idleMs` of quiet), and how the connection ended.
function rawExchange(bytes, { idleMs = 3000 } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect(srv.port, '127.0.0.1');
    const chunks = [];
    let ended = 'open';
    const done = () => { clearTimeout(timer); sock.destroy(); resolve({ text: Buffer.concat(chunks).toString('latin1'), ended }); };
    let timer = setTimeout(done, idleMs);
    sock.on('data', (c) => { chunks.push(c); });
    sock.on('end', () => { ended = 'end'; done(); });
    sock.on('error', (e) => { ended = e.code || 'error'; done(); });
    sock.on('connect', () => sock.write(bytes));
  });
}

const statusOf = (raw) => Number((/^HTTP\/1\.[01] (\d{3})/.exec(raw) || [])[1] || 0);

async function metrics() {
  const r = await fetch(`${srv.url}/metrics`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return r.text();
}

function sample(text, name, labels) {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

// ---- health ---------------------------------------------------------------------------------

test('/healthz answers ok without the database', async () => {
  const r = await fetch(`${srv.url}/healthz`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/json');
  assert.deepEqual(await r.json(), { status: 'ok' });
});

test('/readyz names the database backend in use and the schema version', async () => {
  const r = await fetch(`${srv.url}/readyz`);
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.equal(body.status, 'ready');
  assert.equal(body.database, backend());
  assert.ok(Number.isInteger(body.schema_version) && body.schema_version >= 1);
  assert.deepEqual(Object.keys(body).sort(), ['database', 'schema_version', 'status']);
});

// ---- metrics --------------------------------------------------------------------------------

test('/metrics counts requests by route and status, with a latency histogram', async () => {
  const route = 'method="GET",route="/divisions/{code}"';
  const before200 = sample(await metrics(), 'onewindow_http_requests_total', `${route},status="200"`) ?? 0;
  const before404 = sample(await metrics(), 'onewindow_http_requests_total', `${route},status="404"`) ?? 0;
  assert.equal((await fetch(`${srv.url}/divisions/540100000000`)).status, 200);
  assert.equal((await fetch(`${srv.url}/divisions/999999999999`)).status, 404);
  const text = await metrics();
  assert.match(text, /^# TYPE onewindow_http_requests_total counter$/m);
  assert.match(text, /^# TYPE onewindow_http_request_duration_seconds histogram$/m);
  assert.ok(text.includes(`onewindow_http_requests_total{${route},status="200"} `));
  assert.equal(sample(text, 'onewindow_http_requests_total', `${route},status="200"`), before200 + 1);
  assert.equal(sample(text, 'onewindow_http_requests_total', `${route},status="404"`), before404 + 1);

  // The histogram: cumulative buckets ending in +Inf = _count = requests of the route.
  const buckets = text.split('\n')
    .filter((l) => l.startsWith(`onewindow_http_request_duration_seconds_bucket{${route},le="`))
    .map((l) => [/le="([^"]+)"/.exec(l)[1], Number(l.slice(l.lastIndexOf(' ') + 1))]);
  assert.ok(buckets.length >= 2);
  assert.equal(buckets.at(-1)[0], '+Inf');
  for (let i = 1; i < buckets.length; i++) {
    assert.ok(buckets[i][1] >= buckets[i - 1][1], 'buckets are cumulative');
    if (i < buckets.length - 1) assert.ok(Number(buckets[i][0]) > Number(buckets[i - 1][0]), 'bounds increase');
  }
  const count = sample(text, 'onewindow_http_request_duration_seconds_count', route);
  const total = text.split('\n').filter((l) => l.startsWith(`onewindow_http_requests_total{${route},`))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  assert.equal(buckets.at(-1)[1], count);
  assert.equal(count, total);
  assert.ok(sample(text, 'onewindow_http_request_duration_seconds_sum', route) > 0);
  assert.match(text, new RegExp(`^onewindow_db_statements_total\\{backend="${backend()}"\\} \\d+$`, 'm'));
});

// ---- errors ---------------------------------------------------------------------------------

test('an unknown route is a 404 problem under /api/ and a localised page elsewhere', async () => {
  const api = await fetch(`${srv.url}/api/v1/nothing-here?lang=en`);
  assert.equal(api.status, 404);
  assert.equal(api.headers.get('content-type'), 'application/problem+json');
  const p = await api.json();
  assert.deepEqual(p, {
    type: 'about:blank', title: 'Not Found', status: 404, detail: T.en.errors.http.not_found,
    code: 'http.not_found', request_id: api.headers.get('x-request-id'), instance: '/api/v1/nothing-here',
  });
  for (const lang of ['zh', 'en']) {
    const page = await fetch(`${srv.url}/nothing-here?lang=${lang}`);
    assert.equal(page.status, 404);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    const html = await page.text();
    assert.ok(html.includes(`<h1>${T[lang].errors.status['404']}</h1>`), lang);
    assert.ok(html.includes(T[lang].errors.http.not_found), lang);
  }
});

test('a wrong method is 405 (page and problem)', async () => {
  const page = await request('/divisions', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
  assert.equal(page.status, 405);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.ok(page.body.toString().includes(T.zh.errors.http.method_not_allowed));
  const api = await request('/api/v1/divisions', { method: 'DELETE' });
  assert.equal(api.status, 405);
  assert.equal(api.headers['content-type'], 'application/problem+json');
  assert.equal(JSON.parse(api.body).code, 'http.method_not_allowed');
});

test('a 405 names the allowed methods in Allow (RFC 9110 §15.5.6)', async () => {
  const r = await request('/divisions', { method: 'POST', body: '' });
  assert.equal(r.status, 405);
  assert.match(r.headers.allow ?? '', /\bGET\b/);
});

test('bad percent-encoding and invalid UTF-8 in the URL are 400 http.bad_uri', async () => {
  for (const path of ['/divisions/%E0%A4', '/divisions/%zz', '/divisions/54010000000%', '/divisions?q=%C3%28',
    '/divisions?q=%FF', '/divisions?lang=%E0%A4', '/divisions?q=%ED%A0%80' /* a surrogate */]) {
    const r = await request(path);
    assert.equal(r.status, 400, path);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8', path);
    // The page says what is wrong in the reader's language; the internal code stays in
    // the problem document and the log, never on a page (issue 10).
    assert.ok(r.body.toString().includes('网址格式有误'), path);
    assert.ok(!r.body.toString().includes('http.bad_uri'), path);
  }
  const api = await request('/api/v1/divisions/%E0%A4');
  assert.equal(api.status, 400);
  assert.equal(api.headers['content-type'], 'application/problem+json');
  assert.equal(JSON.parse(api.body).code, 'http.bad_uri');
  // Raw (not percent-encoded) invalid UTF-8 bytes in the query.
  const raw = await rawExchange(Buffer.concat([
    Buffer.from('GET /divisions?q='), Buffer.from([0xc3, 0x28, 0xff]),
    Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
  ]));
  assert.equal(statusOf(raw.text), 400, raw.text.slice(0, 200));
});

// A client that declares its body (and asks first, as curl and browsers do for large
// uploads) must get the 413 before sending it.
test('a declared 2 MB body (Content-Length, Expect: 100-continue) is refused with 413', async () => {
  const big = Buffer.alloc(2 << 20, 'a');
  let continued = false;
  const r = await new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: srv.port, path: '/divisions', method: 'POST', agent: false,
      headers: { 'content-type': 'application/octet-stream', 'content-length': big.length, expect: '100-continue' },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('continue', () => { continued = true; req.end(big); });
    req.on('error', (e) => reject(new Error(`no response to a declared oversized body: ${e.code}`)));
    req.flushHeaders();
  });
  assert.equal(continued, false, 'the server must not invite a body it will refuse');
  assert.equal(r.status, 413);
  assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
  assert.ok(r.body.includes(T.zh.errors.http.body_too_large));
  const api = await new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: srv.port, path: '/api/v1/divisions', method: 'POST', agent: false,
      headers: { 'content-length': big.length, expect: '100-continue' },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body: Buffer.concat(chunks).toString() }));
    });
    req.on('continue', () => req.end(big));
    req.on('error', reject);
    req.flushHeaders();
  });
  assert.equal(api.status, 413);
  assert.equal(api.type, 'application/problem+json');
  assert.equal(JSON.parse(api.body).code, 'http.body_too_large');
});

// Without Expect the client keeps writing: the server reads and discards a body up to 8x the
// limit so that the client can read the 413 rather than a reset.
test('a 2 MB body sent at once with Content-Length gets a readable 413, and the server goes on', async () => {
  const big = Buffer.alloc(2 << 20, 'a');
  const outcome = await new Promise((resolve) => {
    const req = http.request({
      host: '127.0.0.1', port: srv.port, path: '/divisions', method: 'POST', agent: false,
      headers: { 'content-type': 'application/octet-stream', 'content-length': big.length },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
      res.on('error', () => resolve({ status: res.statusCode }));
    });
    req.on('error', (e) => resolve({ error: e.code }));
    req.end(big);
  });
  assert.deepEqual(outcome, { status: 413 });
  assert.equal((await fetch(`${srv.url}/healthz`)).status, 200, 'the server still answers');
});

test('a 2 MB chunked body (no Content-Length) is refused with a readable 413', async () => {
  const chunk = Buffer.alloc(64 << 10, 'b');
  const outcome = await new Promise((resolve) => {
    const req = http.request({
      host: '127.0.0.1', port: srv.port, path: '/api/v1/divisions', method: 'POST', agent: false,
      headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      res.on('error', () => resolve({ status: res.statusCode, body: '' }));
    });
    req.on('error', (e) => resolve({ error: e.code }));
    let sent = 0;
    const pump = () => {
      while (sent < 32) {
        sent++;
        if (!req.write(chunk)) { req.once('drain', pump); return; }
      }
      req.end();
    };
    pump();
  });
  assert.equal(outcome.error, undefined);
  assert.equal(outcome.status, 413);
  assert.equal(JSON.parse(outcome.body).code, 'http.body_too_large');
  assert.equal((await fetch(`${srv.url}/healthz`)).status, 200, 'the server still answers');
});

test('a body within the limit is not refused for its size', async () => {
  const r = await request('/divisions', { method: 'POST', headers: { 'content-length': 512 << 10 }, body: Buffer.alloc(512 << 10, 'c') });
  assert.equal(r.status, 405, 'a 512 KB body reaches routing');
});

test('a 64 KB header is refused (431 or closed) and the server goes on', async () => {
  const big = 'x'.repeat(64 << 10);
  const raw = await rawExchange(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${big}\r\n\r\n`);
  const status = statusOf(raw.text);
  assert.ok(status === 431 || (status === 0 && raw.ended !== 'open'),
    `got status ${status}, connection ${raw.ended}: ${raw.text.slice(0, 120)}`);
  const r = await fetch(`${srv.url}/healthz`);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { status: 'ok' });
});

// ---- headers --------------------------------------------------------------------------------

test('HTML responses carry the security headers; every dynamic one a 16-hex request id', async () => {
  const page = await request('/divisions');
  assert.equal(page.status, 200);
  const csp = page.headers['content-security-policy'];
  assert.ok(csp, 'CSP present');
  assert.match(csp, /(^|; )default-src 'none'(;|$)/);
  assert.match(csp, /(^|; )frame-ancestors 'none'(;|$)/);
  assert.equal(page.headers['x-frame-options'], 'DENY');
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.equal(page.headers['referrer-policy'], 'same-origin');
  const ids = new Set();
  for (const path of ['/divisions', '/api/v1/divisions', '/healthz', '/nothing', '/api/v1/divisions/abc', '/']) {
    const r = await request(path);
    assert.match(r.headers['x-request-id'] ?? '', /^[0-9a-f]{16}$/, path);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
    ids.add(r.headers['x-request-id']);
  }
  assert.equal(ids.size, 6, 'request ids are unique');
  // The stylesheet referenced by the CSP 'self' rule is served from this origin.
  assert.match(page.body.toString(), /<link rel="stylesheet" href="\/static\/site\.css\?v=[0-9a-f]+">/);
});

test('with Accept-Encoding: gzip the divisions page and its JSON twin come gzip-encoded', async () => {
  for (const path of ['/divisions/540100000000', '/api/v1/divisions/540100000000']) {
    const plain = await request(path);
    assert.equal(plain.headers['content-encoding'], undefined, path);
    const gz = await request(path, { headers: { 'accept-encoding': 'gzip, deflate' } });
    assert.equal(gz.status, 200);
    assert.equal(gz.headers['content-encoding'], 'gzip', path);
    assert.match(gz.headers.vary ?? '', /Accept-Encoding/);
    assert.equal(Number(gz.headers['content-length']), gz.body.length);
    assert.ok(gz.body.length < plain.body.length);
    const unzipped = gunzipSync(gz.body);
    if (path.startsWith('/api/')) {
      const a = JSON.parse(unzipped), b = JSON.parse(plain.body);
      assert.deepEqual(a, b);
    } else {
      // Identical but for the request id on the page.
      const strip = (s) => s.toString().replace(/[0-9a-f]{16}/g, 'ID');
      assert.equal(strip(unzipped), strip(plain.body));
      assert.ok(unzipped.toString().includes('拉萨市'));
    }
  }
});

test('the stylesheet: ETag, 304 on If-None-Match, immutable when fingerprinted, gzip', async () => {
  const a = await request('/static/site.css');
  assert.equal(a.status, 200);
  assert.equal(a.headers['content-type'], 'text/css; charset=utf-8');
  const etag = a.headers.etag;
  assert.match(etag ?? '', /^"[0-9a-f]+"$/);
  assert.doesNotMatch(a.headers['cache-control'], /immutable/);
  assert.equal(a.body.toString(), readFileSync(join(ROOT, 'web', 'static', 'site.css'), 'utf8'));

  const nm = await request('/static/site.css', { headers: { 'if-none-match': etag } });
  assert.equal(nm.status, 304);
  assert.equal(nm.body.length, 0);
  assert.equal(nm.headers.etag, etag);
  const changed = await request('/static/site.css', { headers: { 'if-none-match': '"0000000000000000"' } });
  assert.equal(changed.status, 200);

  const v = etag.slice(1, -1);
  const fp = await request(`/static/site.css?v=${v}`);
  assert.equal(fp.status, 200);
  assert.match(fp.headers['cache-control'], /\bimmutable\b/);
  assert.match(fp.headers['cache-control'], /max-age=31536000/);
  const stale = await request('/static/site.css?v=0123456789abcdef');
  assert.doesNotMatch(stale.headers['cache-control'], /immutable/, 'a wrong fingerprint is not cached forever');

  // The pages link the fingerprinted URL of the current stylesheet.
  const page = (await request('/divisions')).body.toString();
  assert.ok(page.includes(`href="/static/site.css?v=${v}"`));

  const gz = await request('/static/site.css', { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(gz.body).toString(), a.body.toString());
  assert.equal((await request('/static/nothing.css')).status, 404);
});

test('Tibetan pages load the Tibetan web font, fingerprinted and cached for a year; zh and en pages never do', async () => {
  const html = (await request('/divisions?lang=bo')).body.toString();
  const css = /<link rel="stylesheet" href="(\/static\/fonts\/tibetan\.css\?v=([0-9a-f]{16}))">/.exec(html);
  const preload = /<link rel="preload" href="(\/static\/fonts\/tibetan\.woff2\?v=([0-9a-f]{16}))" as="font" type="font\/woff2" crossorigin>/.exec(html);
  assert.ok(css, 'the bo page links the @font-face');
  assert.ok(preload, 'the bo page preloads the font');
  for (const lang of ['zh', 'en']) {
    const other = (await request(`/divisions?lang=${lang}`)).body.toString();
    assert.doesNotMatch(other, /fonts\/tibetan/, `the ${lang} page does not link the Tibetan font`);
  }

  // The @font-face: the family site.css uses for :lang(bo), swap, the Tibetan block only (Latin
  // and digits stay in the sans), and the font by the same fingerprinted address.
  const face = await request(css[1]);
  assert.equal(face.status, 200);
  assert.equal(face.headers['content-type'], 'text/css; charset=utf-8');
  assert.match(face.headers['cache-control'], /max-age=31536000, immutable/);
  const rule = face.body.toString();
  assert.match(rule, /font-family: "OW Tibetan";/);
  assert.match(rule, /font-display: swap;/);
  assert.match(rule, /unicode-range: U\+0020, U\+00A0, U\+0F00-0FFF, U\+200B-200D, U\+25CC;/);
  assert.ok(rule.includes(`src: url("${preload[1]}") format("woff2");`), rule);
  assert.match(readFileSync(join(ROOT, 'web', 'static', 'site.css'), 'utf8'), /html:lang\(bo\)[^{]*\{\s*font-family: "OW Tibetan", system-ui/);

  // The font: WOFF2, its ETag the fingerprint, a year of immutable caching; a subset (the
  // whole Noto Serif Tibetan is 595 KB as TrueType), never gzipped again (WOFF2 is compressed).
  const font = await request(preload[1], { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(font.status, 200);
  assert.equal(font.headers['content-type'], 'font/woff2');
  assert.equal(font.headers.etag, `"${preload[2]}"`);
  assert.match(font.headers['cache-control'], /^public, max-age=31536000, immutable$/);
  assert.equal(font.headers['content-encoding'], undefined);
  assert.equal(font.body.subarray(0, 4).toString('latin1'), 'wOF2');
  assert.ok(font.body.length > 50_000 && font.body.length < 250_000, `${font.body.length} bytes`);
  // Generated at build time from the Debian package, never committed.
  assert.throws(() => readFileSync(join(ROOT, 'web', 'static', 'fonts', 'tibetan.woff2')));
});

test('a 304 repeats the caching headers of the 200 and has no Content-Length of 0 (RFC 9110 §15.4.5, §8.6)', async () => {
  const ok = await request('/static/site.css');
  const nm = await request('/static/site.css', { headers: { 'if-none-match': ok.headers.etag } });
  assert.equal(nm.status, 304);
  assert.equal(nm.headers['cache-control'], ok.headers['cache-control']);
  assert.equal(nm.headers.vary, ok.headers.vary);
  assert.ok(nm.headers['content-length'] === undefined || nm.headers['content-length'] === ok.headers['content-length']);
});

test('keep-alive: sequential requests on one agent reuse the socket, across an error', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const a = await request('/divisions', { agent });
    const b = await request('/api/v1/divisions/540100000000', { agent });
    const c = await request('/nothing-here', { agent });
    const d = await request('/healthz', { agent });
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.equal(c.status, 404);
    assert.equal(d.status, 200);
    for (const r of [a, b, c, d]) assert.notEqual(r.headers.connection, 'close');
    assert.equal(a.reusedSocket, false);
    assert.equal(b.reusedSocket, true);
    assert.equal(b.socket, a.socket);
    assert.equal(c.socket, a.socket);
    assert.equal(d.socket, a.socket, 'a 404 does not close the connection');
  } finally {
    agent.destroy();
  }
});

// ---- language -------------------------------------------------------------------------------

const htmlLang = (body) => (/<html lang="([^"]+)">/.exec(body.toString()) || [])[1];

test('language: zh by default, Accept-Language, ?lang= sets the cookie, the cookie is honoured', async () => {
  const def = await request('/divisions');
  assert.equal(htmlLang(def.body), 'zh-CN');
  assert.equal(def.headers['set-cookie'], undefined);

  const bo = await request('/divisions', { headers: { 'accept-language': 'bo' } });
  assert.equal(htmlLang(bo.body), 'bo');
  assert.equal(bo.headers['set-cookie'], undefined, 'negotiation alone sets no cookie');
  assert.match(bo.headers.vary ?? '', /Accept-Language/);
  assert.match(bo.headers.vary ?? '', /Cookie/);

  const en = await request('/divisions?lang=en');
  assert.equal(htmlLang(en.body), 'en');
  const cookie = en.headers['set-cookie'];
  assert.equal(cookie?.length, 1);
  assert.match(cookie[0], /^lang=en;/);
  assert.match(cookie[0], /; Path=\//);

  const c = await request('/divisions', { headers: { cookie: 'lang=bo' } });
  assert.equal(htmlLang(c.body), 'bo');
  assert.ok(c.body.toString().includes('aria-current="true">བོད་ཡིག</a>'));

  // ?lang beats the cookie, the cookie beats Accept-Language, unknown values are ignored.
  const q = await request('/divisions?lang=en', { headers: { cookie: 'lang=bo', 'accept-language': 'bo' } });
  assert.equal(htmlLang(q.body), 'en');
  const ck = await request('/divisions', { headers: { cookie: 'lang=en', 'accept-language': 'bo' } });
  assert.equal(htmlLang(ck.body), 'en');
  const bad = await request('/divisions?lang=fr', { headers: { cookie: 'lang=xx' } });
  assert.equal(htmlLang(bad.body), 'zh-CN');
  assert.equal(bad.headers['set-cookie'], undefined);
});

test('Accept-Language q-values: the highest supported q wins', async () => {
  const cases = [
    ['en;q=0.5, bo;q=0.9', 'bo'],
    ['bo;q=0.9, en;q=0.95', 'en'],
    ['fr, de;q=0.9, en;q=0.1', 'en'],
    ['en-GB,en;q=0.9', 'en'],
    ['bo-CN', 'bo'],
    ['zh-Hans-CN, en;q=0.8', 'zh-CN'],
    ['fr, de', 'zh-CN'],
    ['en;q=0, bo;q=0.2', 'bo'],
    ['en, bo', 'en'],
  ];
  for (const [al, want] of cases) {
    const r = await request('/divisions', { headers: { 'accept-language': al } });
    assert.equal(htmlLang(r.body), want, al);
  }
});
