// tests/lib/hotline.mjs - shared by tests/api/hotline.test.mjs, open311.test.mjs and the
// hotline browser test: a server with the demo region on a database of its own (a fresh
// SQLite file, or a fresh PostgreSQL database in the PostgreSQL pass), a cookie-jar client,
// and staff login with the demo TOTP secret.
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, startServer, backend } from './server.mjs';

export const FAST = ['--insecure-fast-passwords', '1'];
export const DEMO_PASSWORD = 'Demo-2026-xz';
export const DEMO_TOTP = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const PG_URL = process.env.ONEWINDOW_TEST_PG_URL;

function psql(url, query) {
  return spawnSync('psql', [url, '-X', '-q', '-t', '-A', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', query], { encoding: 'utf8' });
}

// A server on its own database, `init` and `demo` run first. Returns {srv, db, data, sql, cli, stop}.
export async function demoServer(name) {
  const tmp = mkdtempSync(join(tmpdir(), `ow-${name}-`));
  let db, pgName;
  if (PG_URL) {
    pgName = `ow_${name}_${process.pid}`;
    const r = psql(PG_URL, `CREATE DATABASE ${pgName}`);
    assert.equal(r.status, 0, r.stderr);
    const u = new URL(PG_URL);
    u.pathname = `/${pgName}`;
    db = u.toString();
  } else {
    db = `sqlite:${tmp}/onewindow.db`;
  }
  const common = ['--data', tmp, '--db', db, ...FAST];
  const init = run(['init', ...common]);
  assert.equal(init.status, 0, init.stderr);
  const demo = run(['demo', ...common]);
  assert.equal(demo.status, 0, demo.stderr);
  const srv = await startServer({ init: false, data: tmp, db, args: FAST });
  const sql = (query) => {
    const r = backend() === 'postgresql'
      ? psql(db, query)
      : spawnSync('sqlite3', ['-batch', '-noheader', '-separator', '\t', db.slice('sqlite:'.length), query], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${query}: ${r.stderr}`);
    return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
  };
  return {
    srv, db, data: tmp, sql,
    cli: (args) => run([...args, '--data', tmp, '--db', db]),
    async stop() {
      const r = await srv.stop();
      if (pgName) psql(PG_URL, `DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
      rmSync(tmp, { recursive: true, force: true });
      return r;
    },
  };
}

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, acc = 0;
  const out = [];
  for (const ch of s.replace(/[\s=]/g, '').toUpperCase()) {
    acc = (acc << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) { out.push((acc >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  return Buffer.from(out);
}
// RFC 6238 TOTP (SHA-1, 30 s, 6 digits).
export function totp(secret, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

export class Client {
  constructor(srv) { this.srv = srv; this.jar = new Map(); }
  request(method, path, { form, json = true, body, headers = {} } = {}) {
    const h = { ...headers };
    if (json) h.accept = 'application/json';
    if (this.jar.size) h.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    let payload = body;
    if (form !== undefined) {
      payload = new URLSearchParams(form).toString();
      h['content-type'] = 'application/x-www-form-urlencoded';
    }
    if (payload !== undefined) h['content-length'] = Buffer.byteLength(payload);
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: this.srv.port, path, method, headers: h, agent: false }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          for (const raw of res.headers['set-cookie'] || []) {
            const [pair, ...attrs] = raw.split(';').map((s) => s.trim());
            const eq = pair.indexOf('=');
            const k = pair.slice(0, eq), v = pair.slice(eq + 1);
            if (v === '' || attrs.some((a) => a.toLowerCase() === 'max-age=0')) this.jar.delete(k); else this.jar.set(k, v);
          }
          let parsed = null;
          if (/json/.test(res.headers['content-type'] || '')) { try { parsed = JSON.parse(text); } catch { /* not JSON */ } }
          resolve({ status: res.statusCode, headers: res.headers, text, body: parsed, location: res.headers.location });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }
  get(path, opts) { return this.request('GET', path, opts); }
  post(path, form, opts) { return this.request('POST', path, { ...opts, form }); }
  async csrf(page = '/login') {
    const r = await this.get(page);
    assert.equal(r.status, 200, `GET ${page}: ${r.status} ${r.text.slice(0, 300)}`);
    return r.body.csrf;
  }
  async submit(path, fields, { page = '/login', json = true } = {}) {
    return this.post(path, { ...fields, _csrf: await this.csrf(page) }, { json });
  }
}

// Staff login with the demo password and TOTP: each account logs in once per server.
export async function staff(srv, username) {
  const c = new Client(srv);
  const r = await c.submit('/login', { login: username, password: DEMO_PASSWORD });
  assert.equal(r.status, 303, r.text);
  const r2 = await c.submit('/login/second-factor', { code: totp(DEMO_TOTP, Math.floor(Date.now() / 30000)) }, { page: '/login/second-factor' });
  assert.equal(r2.status, 303, r2.text);
  return c;
}

// An Open311 API key made with the command line.
export function apiKey(server, name = 'test') {
  const r = server.cli(['open311', 'key', 'create', name]);
  assert.equal(r.status, 0, r.stderr);
  return /\(shown once\): (\S+)/.exec(r.stdout)[1];
}
