// tests/api/certs_apply.test.mjs - e-certificates in the application workflow (issue 5 parts 4
// and 6, wired in src/app/wiring.c through apply's hooks): the marriage registration form
// offers the citizen's resident ID card e-certificate for the ID card material (免提交); the
// submission authorises its use for the application and the competent department, which then
// sees it and the holder sees the use; approving the application issues a sealed marriage
// certificate into the citizen's wallet that verifies as valid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, startServer } from '../lib/server.mjs';

const FAST = ['--insecure-fast-passwords', '1'];
const DEMO_PASSWORD = 'Demo-2026-xz';
const DEMO_TOTP = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const DEMO_CITIZEN_ID = '540102199001011233';
const ITEM = 'XZ-MZ-001';
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(200)]);
const PNG = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), randomBytes(200)]);

function base32Decode(s) {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, acc = 0;
  const out = [];
  for (const ch of s) {
    acc = (acc << 5) | A.indexOf(ch);
    bits += 5;
    if (bits >= 8) { out.push((acc >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  return Buffer.from(out);
}
function totp(secretB32, step) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', base32Decode(secretB32)).update(msg).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const idCheck = (first17) => '10X98765432'[[...first17].reduce((s, c, i) => s + Number(c) * ID_WEIGHTS[i], 0) % 11];

function multipart(fields, files = []) {
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

class Client {
  constructor() { this.jar = new Map(); }
  request(method, path, { form, mp, json = true, headers = {} } = {}) {
    const h = { ...headers };
    if (json) h.accept = 'application/json';
    if (this.jar.size) h.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    let body;
    if (form !== undefined) {
      body = Buffer.from(new URLSearchParams(form).toString());
      h['content-type'] = 'application/x-www-form-urlencoded';
    } else if (mp !== undefined) {
      body = mp.body;
      h['content-type'] = mp.type;
    }
    if (body) h['content-length'] = body.length;
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: srv.port, path, method, headers: h, agent: false }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const text = raw.toString('utf8');
          for (const sc of res.headers['set-cookie'] || []) {
            const [pair, ...attrs] = sc.split(';').map((s) => s.trim());
            const eq = pair.indexOf('=');
            const [k, v] = [pair.slice(0, eq), pair.slice(eq + 1)];
            if (v === '' || attrs.some((a) => a.toLowerCase() === 'max-age=0')) this.jar.delete(k);
            else this.jar.set(k, v);
          }
          let parsed = null;
          if (/json/.test(res.headers['content-type'] || '')) {
            try { parsed = JSON.parse(text); } catch { parsed = null; }
          }
          resolve({ status: res.statusCode, headers: res.headers, raw, text, body: parsed, location: res.headers.location });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  get(path, opts) { return this.request('GET', path, opts); }
  async csrf(page = '/login') {
    const r = await this.get(page);
    assert.equal(r.status, 200, `GET ${page}: ${r.status} ${r.text}`);
    return r.body.csrf;
  }
  async submit(path, fields, page = '/login', opts = {}) {
    return this.request('POST', path, { form: { ...fields, _csrf: await this.csrf(page) }, ...opts });
  }
  async upload(path, fields, files, opts = {}) {
    const mp = multipart({ ...fields, _csrf: await this.csrf(`/api/v1/services/${ITEM}/apply`) }, files);
    return this.request('POST', path, { mp, ...opts });
  }
}


const usedStep = new Map();
async function login(who, { staff = false } = {}) {
  const c = new Client();
  const r = await c.submit('/login', { login: who, password: DEMO_PASSWORD });
  assert.equal(r.status, 303, r.text);
  if (staff) {
    const step = Math.max(Math.floor(Date.now() / 30000), (usedStep.get(who) ?? -Infinity) + 1);
    usedStep.set(who, step);
    const r2 = await c.submit('/login/second-factor', { code: totp(DEMO_TOTP, step) }, '/login/second-factor');
    assert.equal(r2.status, 303, r2.text);
  }
  return c;
}

let srv;
const PG_URL = process.env.ONEWINDOW_TEST_PG_URL;
const psql = (url, q) => spawnSync('psql', [url, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', q], { encoding: 'utf8' });
let tmp, dbUrl, pgName;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'ow-certs-apply-'));
  if (PG_URL) {
    pgName = `ow_certs_apply_${process.pid}`;
    const r = psql(PG_URL, `CREATE DATABASE ${pgName}`);
    assert.equal(r.status, 0, r.stderr);
    const u = new URL(PG_URL);
    u.pathname = `/${pgName}`;
    dbUrl = u.toString();
  } else {
    dbUrl = `sqlite:${tmp}/onewindow.db`;
  }
  const common = ['--data', tmp, '--db', dbUrl, ...FAST];
  assert.equal(run(['init', ...common]).status, 0);
  const demo = run(['demo', ...common]);
  assert.equal(demo.status, 0, demo.stderr);
  srv = await startServer({ init: false, data: tmp, db: dbUrl, args: FAST });
});

after(async () => {
  if (srv) {
    const r = await srv.stop();
    assert.deepEqual(r, { code: 0, signal: null }, srv.log());
  }
  if (pgName) psql(PG_URL, `DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
  rmSync(tmp, { recursive: true, force: true });
});

test('marriage registration: the ID card e-certificate instead of an upload, and approval issues the marriage certificate', async () => {
  const citizen = await login(DEMO_CITIZEN_ID);
  const wallet = await citizen.get('/certificates');
  const idCard = wallet.body.certificates.find((c) => c.type === 'ID_CARD');
  assert.ok(idCard, 'the demo pre-issues the citizen\'s ID card');
  assert.equal(wallet.body.certificates.filter((c) => c.type === 'MARRIAGE_CERT').length, 0);

  // The form offers it for the id_card material.
  const form = await citizen.get(`/api/v1/services/${ITEM}/apply`);
  assert.equal(form.status, 200, form.text);
  const m = form.body.materials.find((x) => x.key === 'id_card');
  assert.deepEqual(m.certs.map((c) => c.identifier), [idCard.identifier]);
  assert.equal(m.certs[0].name, '居民身份证');

  // Someone else's certificate cannot be used.
  const d = new Date(Date.now() + 10 * 86400000).toISOString().slice(0, 10);
  const wifeId = `54010219960405${String(process.pid % 1000).padStart(3, '0')}`;
  const fields = {
    _division: '540102000000', _action: 'submit', _idem: `k-${randomBytes(8).toString('hex')}`,
    f_male_name: '扎西多吉', f_male_id: DEMO_CITIZEN_ID, f_female_name: '卓玛', f_female_id: wifeId + idCheck(wifeId),
    f_appointment_date: d, f_phone: '13800000001', f_declaration: 'on',
  };
  const files = [
    { name: 'm_household_register', filename: 'hukou.jpg', type: 'image/jpeg', data: JPEG },
    { name: 'm_photo', filename: 'photo.png', type: 'image/png', data: PNG },
  ];
  const forged = await citizen.upload(`/api/v1/services/${ITEM}/apply`, { ...fields, _idem: `k-${randomBytes(8).toString('hex')}`, cert_id_card: `${idCard.identifier.slice(0, -1)}Z` }, files);
  assert.notEqual(forged.status, 201, 'an identifier that is not the holder\'s is refused');

  const r = await citizen.upload(`/api/v1/services/${ITEM}/apply`, { ...fields, cert_id_card: idCard.identifier }, files);
  assert.equal(r.status, 201, r.text);
  const number = r.body.number;
  const shown = await citizen.get(`/api/v1/applications/${number}`);
  assert.ok(shown.body.files.some((f) => f.cert_identifier === idCard.identifier), `the material is the certificate: ${shown.text}`);

  // The holder sees the use; the competent department sees the certificate, another does not.
  const card = await citizen.get(`/api/v1/certificates/${idCard.identifier}`);
  assert.deepEqual(card.body.uses.map((u) => [u.application, u.department]), [[number, 'cg-mz']]);
  const clerk = await login('clerk.chengguan', { staff: true });
  const reviewer = await login('reviewer.chengguan', { staff: true });
  const seen = await clerk.get(`/api/v1/certificates/${idCard.identifier}`);
  assert.equal(seen.status, 200, seen.text);
  assert.equal(seen.body.status, 'valid');
  const lhasa = await login('clerk.lhasa', { staff: true });
  assert.equal((await lhasa.get(`/api/v1/certificates/${idCard.identifier}`)).status, 404);

  // accept → review → approve issues the certificate inside the approving transaction.
  assert.equal((await clerk.submit(`/applications/${number}/act`, { action: 'accept' }, '/api/v1/workbench')).status, 200);
  assert.equal((await reviewer.submit(`/applications/${number}/act`, { action: 'review' }, '/api/v1/workbench')).status, 200);
  const ok = await reviewer.submit(`/applications/${number}/act`, { action: 'approve' }, '/api/v1/workbench');
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.state, 'approved');

  const after = await citizen.get('/certificates');
  const marriage = after.body.certificates.filter((c) => c.type === 'MARRIAGE_CERT');
  assert.equal(marriage.length, 1);
  const v = await citizen.get(`/api/v1/certificates/${marriage[0].identifier}`);
  assert.equal(v.body.source, number, 'issued from this application');
  const decided = await citizen.get(`/api/v1/applications/${number}`);
  assert.equal(decided.body.cert_id, marriage[0].identifier, 'the application names the certificate it produced');
  assert.equal(v.body.issuer.code, 'cg-mz');
  assert.equal(v.body.fields.find((f) => f.key === 'wife_name').value, '卓玛');
  const check = await new Client().get(`/api/v1/verify?q=${encodeURIComponent(marriage[0].identifier)}`);
  assert.equal(check.body.status, 'valid');
  const pdf = await citizen.get(`/certificates/${marriage[0].identifier}/pdf`, { json: false });
  assert.equal(pdf.status, 200);
  assert.equal(pdf.raw.subarray(0, 5).toString(), '%PDF-');
});
