// tests/lib/client.mjs - an HTTP client for the black-box API tests: one cookie jar per
// client (a browser, in effect), JSON by default (`Accept: application/json`), forms with the
// CSRF token of a form page, multipart uploads, and the logins of the demo data (staff with
// the password and a fresh TOTP code, tests/lib/totp.mjs).
//
// Requests go through node:http with no agent (one connection each), to the server returned
// by startServer (tests/lib/server.mjs). A response is
//   {status, headers, raw (Buffer), text, body (parsed JSON or null), location, cookies}
// where cookies are the Set-Cookie headers of that response:
//   {name: {value, attrs (lower-cased), raw}}.
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { freshTotp, DEMO_TOTP_SECRET } from './totp.mjs';

export const DEMO_PASSWORD = 'Demo-2026-xz';
export const DEMO_TOTP = DEMO_TOTP_SECRET;
export const DEMO_CITIZEN_ID = '540102199001011233';
export const FAST = ['--insecure-fast-passwords', '1'];

// A multipart/form-data body: fields (a value or an array of values each) and files
// [{name, filename, type, data (Buffer)}]. Returns {body, type} for request's `mp` option.
export function multipart(fields, files = []) {
  const boundary = `----ow${randomBytes(8).toString('hex')}`;
  const parts = [];
  for (const [k, v] of Object.entries(fields)) {
    for (const one of Array.isArray(v) ? v : [v]) {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${one}\r\n`));
    }
  }
  for (const f of files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.name}"; filename="${f.filename}"\r\nContent-Type: ${f.type || 'application/octet-stream'}\r\n\r\n`));
    parts.push(f.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

// Parse Set-Cookie headers: {name: {value, attrs: lower-cased attributes, raw}}.
export function parseSetCookies(list = []) {
  const out = {};
  for (const raw of list) {
    const [pair, ...attrs] = raw.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq)] = { value: pair.slice(eq + 1), attrs: attrs.map((a) => a.toLowerCase()), raw };
  }
  return out;
}

export class Client {
  // srv: what startServer returned (its port is read at each request).
  // Options: page, the form page whose CSRF token submit() sends by default ('/login');
  // uploadPage, the one upload() uses; localAddress, the source address (any of 127/8, for
  // throttling tests); lang, a language cookie to start with.
  constructor(srv, { page = '/login', uploadPage = page, localAddress, lang } = {}) {
    this.srv = srv;
    this.page = page;
    this.uploadPage = uploadPage;
    this.localAddress = localAddress;
    this.jar = new Map();
    if (lang) this.jar.set('lang', lang);
  }

  cookie(name) { return this.jar.get(name); }
  setCookie(name, value) { if (value === undefined) this.jar.delete(name); else this.jar.set(name, value); }

  // One request. form: fields to send urlencoded; mp: a multipart() body; body: a raw body
  // (string or Buffer); json: ask for JSON (default true); headers: more headers.
  request(method, path, { form, mp, body: rawBody, json = true, headers = {} } = {}) {
    const h = { ...headers };
    if (json) h.accept = 'application/json';
    if (this.jar.size) h.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    let body = rawBody;
    if (form !== undefined) {
      body = Buffer.from(new URLSearchParams(form).toString());
      h['content-type'] = 'application/x-www-form-urlencoded';
    } else if (mp !== undefined) {
      body = mp.body;
      h['content-type'] = mp.type;
    }
    if (body !== undefined) h['content-length'] = Buffer.byteLength(body);
    const options = { host: '127.0.0.1', port: this.srv.port, path, method, headers: h, agent: false };
    if (this.localAddress) options.localAddress = this.localAddress;
    return new Promise((resolve, reject) => {
      const req = http.request(options, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const text = raw.toString('utf8');
          const cookies = parseSetCookies(res.headers['set-cookie']);
          for (const [k, c] of Object.entries(cookies)) {
            if (c.value === '' || c.attrs.includes('max-age=0')) this.jar.delete(k);
            else this.jar.set(k, c.value);
          }
          let parsed = null;
          if (/json/.test(res.headers['content-type'] || '')) {
            try { parsed = JSON.parse(text); } catch { parsed = null; }
          }
          resolve({ status: res.statusCode, headers: res.headers, raw, text, body: parsed, location: res.headers.location, cookies });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  get(path, opts) { return this.request('GET', path, opts); }
  post(path, form, opts) { return this.request('POST', path, { ...opts, form }); }

  // The CSRF token of a form page's model (the session's, once logged in).
  async csrf(page = this.page) {
    const r = await this.get(page);
    assert.equal(r.status, 200, `GET ${page}: ${r.status} ${r.text.slice(0, 300)}`);
    return r.body.csrf;
  }
  // POST a form with the CSRF token of a form page. Called as
  //   submit(path, fields, {page, json, ...request options})  or
  //   submit(path, fields, page, {request options}).
  async submit(path, fields, pageOrOpts = {}, more = {}) {
    const { page = this.page, ...opts } = typeof pageOrOpts === 'string' ? { ...more, page: pageOrOpts } : pageOrOpts;
    return this.request('POST', path, { ...opts, form: { ...fields, _csrf: await this.csrf(page) } });
  }
  // POST multipart with the CSRF token of the upload page (options.page overrides it).
  async upload(path, fields, files, { page = this.uploadPage, ...opts } = {}) {
    const mp = multipart({ ...fields, _csrf: await this.csrf(page) }, files);
    return this.request('POST', path, { ...opts, mp });
  }
}

// A client logged in with a password (form page /login); with staff, the second factor too,
// with a TOTP code the server has not seen for that login (tests/lib/totp.mjs). Asserts 303
// after each step. Options: password, staff, secret (the TOTP secret), client (log this
// client in instead of a new one), and the Client options for a new client.
export async function login(srv, who, { password = DEMO_PASSWORD, staff = false, secret = DEMO_TOTP, client, ...clientOpts } = {}) {
  const c = client ?? new Client(srv, clientOpts);
  const r = await c.submit('/login', { login: who, password }, { page: '/login' });
  assert.equal(r.status, 303, r.text);
  if (staff) {
    const r2 = await c.submit('/login/second-factor', { code: await freshTotp(who, secret) }, { page: '/login/second-factor' });
    assert.equal(r2.status, 303, r2.text);
  }
  return c;
}

// ---- a fetch-based browser, for the HTML forms ---------------------------------------------

// Undo the server's HTML escaping of an attribute or text.
export const unescapeHtml = (s) => s.replace(/&(amp|lt|gt|quot|#39|#x27|#96);/g, (m, e) =>
  ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", '#96': '`' })[e]);
// The CSRF token of a page's form ('' when there is none).
export const csrfOf = (html) => unescapeHtml(/name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '');
// The hidden inputs of a page as {name: value}.
export const hiddenFields = (html) => Object.fromEntries(
  [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], unescapeHtml(m[2])]));

// A browser over fetch: keeps cookies, no JSON, redirects not followed; req() returns the
// fetch Response. walk() follows redirects on the server's own origin and stops at the
// first one that leaves it (an OpenID relying party's callback).
export class FormBrowser {
  constructor(srv) { this.srv = srv; this.cookies = new Map(); }
  async req(url, { method = 'GET', form, headers: extra = {}, body: raw } = {}) {
    const headers = { ...extra };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body = raw;
    if (form) {
      body = new URLSearchParams(form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(new URL(url, this.srv.url), { method, headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim(), value = pair.slice(i + 1).trim();
      if (value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
  // GET, then follow 30x within the server. Returns {res, url} of the last page, or
  // {away: URL, res} when sent elsewhere.
  async walk(url, init) {
    let res = await this.req(url, init);
    let at = new URL(url, this.srv.url);
    for (let hops = 0; [301, 302, 303, 307].includes(res.status); hops++) {
      assert.ok(hops < 10, 'redirect loop');
      const next = new URL(res.headers.get('location'), at);
      if (next.origin !== this.srv.url) return { away: next, res };
      at = next;
      res = await this.req(next);
    }
    return { res, url: at };
  }
}
