// tests/api/edge.test.mjs - the strict HTTP edge (RFC 9112, issue 17): ambiguous framing is
// answered 400 (501 for an unknown transfer coding) and the connection closed, before any
// body is read; a request head that takes too long in all (slow headers) is cut off.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, catalog } from '../lib/server.mjs';
import { Client } from '../lib/client.mjs';

const zh = catalog('zh');

let srv;
before(async () => { srv = await startServer({ args: ['--head-timeout', '1'] }); });
after(async () => {
  const r = await srv.stop();
  assert.deepEqual(r, { code: 0, signal: null }, srv.log());
});

// Raw bytes on a fresh connection; what came back and whether the server closed it.
function raw(bytes, { idleMs = 2000 } = {}) {
  return new Promise((resolve) => {
    const sock = net.connect(srv.port, '127.0.0.1');
    const chunks = [];
    let ended = 'open';
    const done = () => { clearTimeout(timer); sock.destroy(); resolve({ text: Buffer.concat(chunks).toString('utf8'), ended }); };
    const timer = setTimeout(done, idleMs);
    sock.on('data', (c) => chunks.push(c));
    sock.on('end', () => { ended = 'end'; done(); });
    sock.on('error', (e) => { ended = e.code || 'error'; done(); });
    sock.on('connect', () => sock.write(Buffer.from(bytes, 'latin1')));
  });
}
const statusOf = (t) => Number((/^HTTP\/1\.[01] (\d{3})/.exec(t) || [])[1] || 0);

const H = 'Host: a\r\n';
const probes = [
  ['Content-Length and Transfer-Encoding', `POST /api/x HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
  ['differing Content-Length', `POST /api/x HTTP/1.1\r\n${H}Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde`, 400],
  ['repeated Content-Length', `POST /api/x HTTP/1.1\r\n${H}Content-Length: 4\r\nContent-Length: 4\r\n\r\nabcd`, 400],
  // libmicrohttpd refuses these two itself (with MHD_OPTION_STRICT_FOR_CLIENT).
  ['Content-Length list', `POST /api/x HTTP/1.1\r\n${H}Content-Length: 4, 4\r\n\r\nabcd`, 400, 'mhd'],
  ['space before colon', `GET /healthz HTTP/1.1\r\n${H}X-Foo : 1\r\n\r\n`, 400],
  ['tab before colon', `GET /healthz HTTP/1.1\r\n${H}Content-Length\t: 0\r\n\r\n`, 400],
  ['HTTP/1.1 without Host', 'GET /healthz HTTP/1.1\r\n\r\n', 400, 'mhd'],
  ['two Host headers', `GET /healthz HTTP/1.1\r\n${H}Host: b\r\n\r\n`, 400],
  ['NUL in a header', `GET /healthz HTTP/1.1\r\n${H}X-Foo: a\0b\r\n\r\n`, 400],
  ['bare CR in a header', `GET /healthz HTTP/1.1\r\n${H}X-Foo: a\rb\r\n\r\n`, 400],
  ['bare LF line ends', 'GET /healthz HTTP/1.1\nHost: a\nX-Foo: ab\n\n', 400],
  ['Transfer-Encoding gzip', `POST /api/x HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`, 501],
  ['Transfer-Encoding gzip, chunked', `POST /api/x HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, 501],
  ['Transfer-Encoding xchunked', `POST /api/x HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`, 501],
  ['chunked twice', `POST /api/x HTTP/1.1\r\n${H}Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n`, 400],
  ['two Transfer-Encoding headers', `POST /api/x HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
  ['Transfer-Encoding in HTTP/1.0', 'POST /api/x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
];

for (const [name, bytes, want, by] of probes) {
  test(`framing: ${name} gets ${want} and the connection is closed`, async () => {
    const r = await raw(bytes);
    assert.equal(statusOf(r.text), want, r.text.slice(0, 200));
    assert.match(r.text, /\r\nConnection: close\r\n/i);
    assert.notEqual(r.ended, 'open', 'the server must close the connection');
    if (by === 'mhd') return;
    const code = want === 501 ? 'unknown_coding' : 'bad_framing';
    if (bytes.includes(' /api/')) assert.match(r.text, new RegExp(`"code":"http\\.${code}"`));
    else assert.ok(r.text.includes(zh.errors.http[code]), 'the page says why, in words');
  });
}

test('well-framed requests are served and kept alive', async () => {
  for (const bytes of [
    `GET /healthz HTTP/1.1\r\n${H}\r\n`,
    'GET /healthz HTTP/1.0\r\n\r\n',
    `POST /api/x HTTP/1.1\r\n${H}Transfer-Encoding: Chunked\r\n\r\n0\r\n\r\n`,
    `POST /api/x HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\nab`,
  ]) {
    const r = await raw(bytes, { idleMs: 300 });
    assert.ok([200, 403, 404, 405].includes(statusOf(r.text)), r.text.slice(0, 200));
    assert.doesNotMatch(r.text, /bad_framing/);
  }
  const r = await raw(`GET /healthz HTTP/1.1\r\n${H}\r\n`, { idleMs: 300 });
  assert.equal(r.ended, 'open', 'a good HTTP/1.1 request keeps its connection');
});

test('a request head dribbled a byte at a time is cut off at the head deadline', async () => {
  // --head-timeout 1 with the idle timeout at its 30 s default: one byte every 200 ms
  // never leaves the connection idle, so only the absolute deadline can close it.
  const sock = net.connect(srv.port, '127.0.0.1');
  await new Promise((r) => sock.on('connect', r));
  const head = `GET /healthz HTTP/1.1\r\n${H}X-Slow: ${'x'.repeat(200)}`;
  let closed = false;
  sock.on('close', () => { closed = true; });
  sock.on('error', () => {});
  let i = 0;
  const t0 = Date.now();
  while (!closed && Date.now() - t0 < 10000 && i < head.length) {
    sock.write(head[i++]);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(closed, 'the server must close a connection whose head is still incomplete');
  assert.ok(i < 40, `closed after ${i} bytes: the idle timeout alone would never close it`);
  sock.destroy();
  // The server still serves.
  const ok = await fetch(`${srv.url}/metrics`);
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /^onewindow_http_slow_heads_total [1-9]/m);
});

test('--trusted-proxy: throttling sees the client named by X-Forwarded-For from a listed proxy', async () => {
  const behind = await startServer({ args: ['--trusted-proxy', '127.0.0.1', '--insecure-fast-passwords', '1'] });
  try {
    const c = new Client(behind);
    const tryLogin = async (client) => c.request('POST', '/login', {
      form: { login: 'admin', password: 'wrong-password', _csrf: await c.csrf() },
      headers: { 'x-forwarded-for': `198.51.100.1, ${client}` },
    });
    for (let i = 1; i <= 5; i++) assert.equal((await tryLogin('203.0.113.7')).status, 401, `failure ${i}`);
    const paused = await tryLogin('203.0.113.7');
    assert.equal(paused.status, 429, 'the client behind the proxy is paused');
    assert.ok(paused.headers['retry-after']);
    // Another client behind the same proxy (same socket address) is not.
    assert.equal((await tryLogin('203.0.113.8')).status, 401);
    // The leftmost address is the client's own claim: changing it changes nothing.
    const claim = await c.request('POST', '/login', {
      form: { login: 'admin', password: 'wrong-password', _csrf: await c.csrf() },
      headers: { 'x-forwarded-for': '192.0.2.55, 203.0.113.7' },
    });
    assert.equal(claim.status, 429);
  } finally {
    const r = await behind.stop();
    assert.deepEqual(r, { code: 0, signal: null });
  }
});
