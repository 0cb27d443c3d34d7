// tests/api/certs.test.mjs - e-seals and e-certificates over HTTP and the command line
// (issue 5): the trust root and `openssl verify` of seal certificates with the default SM2
// ID; certificates issued with `onewindow cert issue`; the wallet and who may see what
// (holder, other citizens, departments only under an authorised use); verification by
// identifier, QR payload and exported file, with one-byte tampering named; independent
// checks of the seal signatures with npm sm-crypto; revoked seals; the trust list (互认);
// the PDF; the audit chain afterwards.
//
// One server for the file on a database of its own (SQLite, or a fresh PostgreSQL database
// in the PostgreSQL pass); `init` and `demo` run first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import smCrypto from 'sm-crypto';
import { run, backend, catalog } from '../lib/server.mjs';
import { Client as BaseClient, login, FAST, DEMO_PASSWORD, DEMO_CITIZEN_ID } from '../lib/client.mjs';
import { demoServer } from '../lib/db.mjs';
import { idNumbers, phones } from '../lib/ids.mjs';

const { sm2, sm3 } = smCrypto;
const T = { zh: catalog('zh'), bo: catalog('bo') };
const PREFIX = '1.2.156.3005.2.';

// ---- helpers -------------------------------------------------------------------------------

const newIdNumber = idNumbers({ birth: '19930405' });
const newPhone = phones('139');

// ISO 7064 MOD 37,36, written independently of the C code.
function mod3736(s) {
  const cs = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let p = 36;
  for (const ch of s) {
    let t = (p + cs.indexOf(ch)) % 36;
    if (t === 0) t = 36;
    p = (t * 2) % 37;
  }
  return cs[(37 - p) % 36];
}

// Minimal DER reader: the TLV at `off` -> {tag, start (of content), end}.
function tlv(buf, off) {
  const tag = buf[off];
  let len = buf[off + 1], hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[off + 2 + i];
    hdr = 2 + n;
  }
  return { tag, off, start: off + hdr, end: off + hdr + len };
}
const b64u = (s) => Buffer.from(s, 'base64url');

let srv;

// A client of this file's server.
class Client extends BaseClient {
  constructor() { super(srv); }
}

const citizenLogin = (who, password) => login(srv, who, { password });

async function newCitizen(name) {
  const c = new Client();
  const id = newIdNumber();
  const pw = `pw-${Math.random().toString(36).slice(2)}`;
  const r = await c.submit('/register', { name, id_number: id, phone: newPhone(), password: pw, password_again: pw }, { page: '/register' });
  assert.equal(r.status, 303, r.text);
  return { c, id };
}

const staffLogin = (username) => login(srv, username, { staff: true });

// ---- the database ------------------------------------------------------------------------------

let tmp, dbUrl, common, db;

const cli = (...args) => run([...args, ...common]);
function issue(type, holderId, dept, data) {
  const r = cli('cert', 'issue', type, holderId, dept, JSON.stringify(data));
  assert.equal(r.status, 0, r.stderr);
  const id = r.stdout.trim();
  assert.ok(id.startsWith(PREFIX), id);
  return id;
}
const MARRIAGE = { male_name: '扎西多吉', male_id: '540102199001011233', female_name: '卓玛', female_id: '540102199202021238', appointment_date: '2026-11-26' };

before(async () => {
  db = await demoServer('certs');
  ({ srv, data: tmp, db: dbUrl, common } = db);
  assert.match(db.init.stdout, /trust root: an SM2 root key/);
  assert.match(db.demo.stdout, /certificate type/);
});

after(async () => {
  if (srv) {
    const r = await db.stop();
    assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
  }
});

// ---- the trust root and seal certificates --------------------------------------------------------

test('the root certificate is public (PEM and DER) and openssl verifies seal certificates only with the default SM2 ID', async () => {
  const anon = new Client();
  const pem = await anon.get('/trust/root.pem', { json: false });
  assert.equal(pem.status, 200);
  assert.match(pem.text, /^-----BEGIN CERTIFICATE-----/);
  const der = await anon.get('/trust/root.der', { json: false });
  assert.equal(der.status, 200);
  assert.equal(der.headers['content-type'], 'application/pkix-cert');
  assert.equal(der.raw.toString('base64'), pem.text.replace(/-----[A-Z ]+-----|\s/g, ''));
  const rootFile = join(tmp, 'root.pem');
  writeFileSync(rootFile, pem.text);
  const text = spawnSync('openssl', ['x509', '-in', rootFile, '-noout', '-text'], { encoding: 'utf8' }).stdout;
  assert.match(text, /Signature Algorithm: SM2-with-SM3/);
  assert.match(text, /CA:TRUE/);

  const list = cli('seal', 'list');
  assert.equal(list.status, 0, list.stderr);
  const seals = list.stdout.trim().split('\n').map((l) => l.split('\t'));
  assert.ok(seals.length >= 6, list.stdout);
  for (const [id] of seals.slice(0, 3)) {
    const c = cli('seal', 'cert', id);
    assert.equal(c.status, 0, c.stderr);
    const f = join(tmp, `seal-${id}.pem`);
    writeFileSync(f, c.stdout);
    const ok = spawnSync('openssl', ['verify', '-CAfile', rootFile, '-vfyopt', 'distid:1234567812345678', f], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /: OK/);
    // Without the ID (OpenSSL 3.0's empty default) the signature does not verify: the ID is really used.
    const noId = spawnSync('openssl', ['verify', '-CAfile', rootFile, f], { encoding: 'utf8' });
    assert.notEqual(noId.status, 0);
  }
});

// ---- issuance, wallet, authorization ------------------------------------------------------------

test('a certificate issued to the demo citizen is in his wallet, beside the pre-issued ID card; nobody else sees it', async () => {
  const id = issue('MARRIAGE_CERT', DEMO_CITIZEN_ID, 'cg-mz', MARRIAGE);
  const [typeCode, issuer, serial, version, check] = id.slice(PREFIX.length).split('.');
  assert.equal(check, mod3736(typeCode + issuer + serial + version));
  assert.equal(version, '001');

  const holder = await citizenLogin(DEMO_CITIZEN_ID, DEMO_PASSWORD);
  const w = await holder.get('/certificates');
  assert.equal(w.status, 200, w.text);
  const types = w.body.certificates.map((c) => c.type);
  assert.ok(types.includes('ID_CARD'), 'the demo pre-issues the resident ID card');
  const mine = w.body.certificates.find((c) => c.identifier === id);
  assert.ok(mine);
  assert.equal(mine.status, 'valid');

  const v = await holder.get(`/api/v1/certificates/${id}`);
  assert.equal(v.status, 200, v.text);
  assert.equal(v.body.holder.name, '扎西多吉');
  assert.equal(v.body.holder.id_number, '5401**********1233', 'masked even for the holder');
  const wifeId = v.body.fields.find((f) => f.key === 'wife_id_number');
  assert.equal(wifeId.value, '5401**********1238');
  assert.equal(v.body.fields.find((f) => f.key === 'wife_name').value, '卓玛');

  // Another citizen: not in the wallet, and the certificate answers 404 like an unknown one.
  const other = await newCitizen('次仁');
  assert.equal((await other.c.get(`/api/v1/certificates/${id}`)).status, 404);
  assert.equal((await other.c.get(`/certificates/${id}/pdf`, { json: false })).status, 404);
  const ow = await other.c.get('/certificates');
  assert.equal(ow.body.certificates.length, 0);
  // Anonymous: log in first.
  assert.equal((await new Client().get(`/api/v1/certificates/${id}`)).status, 401);
  assert.equal((await new Client().get('/certificates', { json: false })).status, 303);
});

test('a department sees a certificate only under a use the holder authorised, and the holder sees every use', async () => {
  const id = issue('MARRIAGE_CERT', DEMO_CITIZEN_ID, 'cg-mz', MARRIAGE);
  const holder = await citizenLogin(DEMO_CITIZEN_ID, DEMO_PASSWORD);
  const clerk = await staffLogin('clerk.chengguan'); // cg-mz
  const lhasa = await staffLogin('clerk.lhasa'); // ls-mz
  assert.equal((await clerk.get(`/api/v1/certificates/${id}`)).status, 404);

  const bad = await holder.submit(`/certificates/${id}/uses`, { application: 'A-1', department: 'no-such' }, { page: '/api/v1/account' });
  assert.equal(bad.status, 400);
  const ok = await holder.submit(`/certificates/${id}/uses`, { application: '20261126540102000001', department: 'cg-mz' }, { page: '/api/v1/account' });
  assert.equal(ok.status, 201, ok.text);

  const seen = await clerk.get(`/api/v1/certificates/${id}`);
  assert.equal(seen.status, 200, seen.text);
  assert.equal(seen.body.holder.name, '扎***', 'a department sees the holder masked');
  assert.equal(seen.body.uses, undefined, 'the use log is the holder\'s');
  assert.equal((await lhasa.get(`/api/v1/certificates/${id}`)).status, 404, 'other departments still see nothing');

  // Another citizen cannot authorise uses of someone else's certificate.
  const other = await newCitizen('拉姆');
  const steal = await other.c.submit(`/certificates/${id}/uses`, { application: 'X-1', department: 'ls-mz' }, { page: '/api/v1/account' });
  assert.equal(steal.status, 404);

  const mine = await holder.get(`/api/v1/certificates/${id}`);
  assert.equal(mine.body.uses.length, 1);
  assert.equal(mine.body.uses[0].application, '20261126540102000001');
  assert.equal(mine.body.uses[0].department, 'cg-mz');
  const page = await holder.get(`/certificates/${id}`, { json: false });
  assert.equal(page.status, 200);
  assert.match(page.text, /20261126540102000001/);
  assert.match(page.text, /<img src="data:image\/svg\+xml;base64,/);
});

// ---- independent checks ------------------------------------------------------------------------

test('sm-crypto verifies the seal signature of an issued certificate and its QR payload from the raw data and the public key', async () => {
  const id = issue('MARRIAGE_CERT', DEMO_CITIZEN_ID, 'cg-mz', MARRIAGE);
  const holder = await citizenLogin(DEMO_CITIZEN_ID, DEMO_PASSWORD);
  const v = (await holder.get(`/api/v1/certificates/${id}`)).body;
  const doc = b64u(v.document);
  assert.equal(JSON.parse(doc.toString('utf8')).identifier, id);
  // SM3 of the certificate's data is the hash that was sealed.
  assert.equal(sm3(Array.from(doc)), v.data_hash);
  assert.ok(v.to_sign.includes(v.data_hash), 'TBS_Sign carries the data hash');
  assert.match(v.public_key, /^04[0-9a-f]{128}$/);
  // The seal use: SM2 with SM3 and the default ID (userId '1234567812345678' is sm-crypto's default).
  // sm-crypto takes the message as a byte array (a string would be read as UTF-8 text).
  const bytes = (hex) => Array.from(Buffer.from(hex, 'hex'));
  assert.equal(sm2.doVerifySignature(bytes(v.to_sign), v.signature, v.public_key, { hash: true, der: true }), true);
  const flipped = v.to_sign.slice(0, 40) + (v.to_sign[40] === '0' ? '1' : '0') + v.to_sign.slice(41);
  assert.equal(sm2.doVerifySignature(bytes(flipped), v.signature, v.public_key, { hash: true, der: true }), false);

  // The SES_Signature as a whole: SEQUENCE { toSign, cert, algorithm, signature BIT STRING }.
  const ses = b64u(v.ses_signature);
  const outer = tlv(ses, 0);
  const toSign = tlv(ses, outer.start);
  assert.equal(ses.subarray(toSign.off, toSign.end).toString('hex'), v.to_sign);

  // The QR payload: SEQUENCE { tbs, signature OCTET STRING }, signed by the same seal key.
  const qr = b64u(v.qr);
  const q = tlv(qr, 0);
  const tbs = tlv(qr, q.start);
  const sig = tlv(qr, tbs.end);
  assert.equal(sig.tag, 0x04);
  const tbsHex = qr.subarray(tbs.off, tbs.end).toString('hex');
  const sigHex = qr.subarray(sig.start, sig.end).toString('hex');
  assert.equal(sm2.doVerifySignature(bytes(tbsHex), sigHex, v.public_key, { hash: true, der: true }), true);
  assert.ok(qr.includes(Buffer.from(id)), 'the payload names the identifier');
  assert.ok(v.qr.length < 600, `the payload is compact (${v.qr.length} characters)`);
});

// ---- verification by anyone -----------------------------------------------------------------------

test('verification by identifier and QR payload: valid, forged identifier, unknown; bad payloads get clear errors', async () => {
  const id = issue('MARRIAGE_CERT', DEMO_CITIZEN_ID, 'cg-mz', MARRIAGE);
  const anon = new Client();
  const ok = await anon.get(`/api/v1/verify?q=${encodeURIComponent(id)}`);
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.body.status, 'valid');
  assert.equal(ok.body.failed, null);
  assert.equal(ok.body.issuer.department, 'cg-mz');
  assert.equal(ok.body.issuer.name, '拉萨市城关区民政局');
  assert.equal(ok.body.holder.name, '扎***');
  assert.equal(ok.body.type.name.zh, '结婚证');

  // One character of the serial changed: the check character no longer fits.
  const parts = id.split('.');
  const serial = parts[parts.length - 3];
  parts[parts.length - 3] = serial.slice(0, -1) + (serial.endsWith('1') ? '2' : '1');
  const forged = await anon.get(`/api/v1/verify?q=${encodeURIComponent(parts.join('.'))}`);
  assert.equal(forged.body.status, 'forged');
  assert.equal(forged.body.failed, 'identifier');
  // A well-formed identifier never issued here.
  const body = `${parts.slice(5, 9).join('')}`;
  parts[parts.length - 1] = mod3736(body);
  const unknown = await anon.get(`/api/v1/verify?q=${encodeURIComponent(parts.join('.'))}`);
  assert.equal(unknown.body.status, 'not_found');

  const holder = await citizenLogin(DEMO_CITIZEN_ID, DEMO_PASSWORD);
  const qr = (await holder.get(`/api/v1/certificates/${id}`)).body.qr;
  const byQr = await anon.post('/api/v1/verify', { q: qr });
  assert.equal(byQr.status, 200, byQr.text);
  assert.equal(byQr.body.status, 'valid');
  assert.equal(byQr.body.identifier, id);

  const err = async (q, code) => {
    const r = await anon.post('/api/v1/verify', { q });
    assert.equal(r.status, 400, `${code}: ${r.text}`);
    assert.equal(r.body.code, code);
  };
  await err(qr.slice(0, qr.length - 7), 'certs.qr_truncated');
  await err(qr.slice(0, 41), 'certs.qr_truncated');
  await err('A'.repeat(2000), 'certs.qr_oversized');
  await err(`${qr.slice(0, 20)}!*${qr.slice(22)}`, 'certs.qr_not_base64');
  await err('', 'certs.verify_empty');
  // A payload whose signature byte changed is authentic no more.
  const raw = b64u(qr);
  raw[raw.length - 3] ^= 0x01;
  const bad = await anon.post('/api/v1/verify', { q: raw.toString('base64url') });
  assert.equal(bad.body.status, 'forged');
  assert.equal(bad.body.failed, 'signature');

  // The public page, in Chinese and Tibetan.
  const zh = await anon.get(`/verify?q=${encodeURIComponent(id)}&lang=zh`, { json: false });
  assert.equal(zh.status, 200);
  assert.match(zh.text, new RegExp(T.zh.certs.status.valid));
  const bo = await anon.get(`/verify?q=${encodeURIComponent(id)}&lang=bo`, { json: false });
  assert.match(bo.text, new RegExp(T.bo.certs.status.valid));
});

test('an exported certificate with one byte changed in its data, signature or seal is forged, naming the check', async () => {
  const id = issue('MARRIAGE_CERT', DEMO_CITIZEN_ID, 'cg-mz', MARRIAGE);
  const ex = cli('cert', 'export', id);
  assert.equal(ex.status, 0, ex.stderr);
  const file = JSON.parse(ex.stdout);
  const verify = async (f) => (await new Client().post('/api/v1/verify', { q: JSON.stringify(f) })).body;
  assert.equal((await verify(file)).status, 'valid');

  const doc = b64u(file.document);
  const d2 = Buffer.from(doc);
  const at = d2.indexOf(Buffer.from('卓玛'));
  d2[at + 2] ^= 0x01; // 卓 -> another character
  let r = await verify({ ...file, document: d2.toString('base64url') });
  assert.equal(r.status, 'forged');
  assert.equal(r.failed, 'data');

  const sig = b64u(file.signature);
  const s2 = Buffer.from(sig);
  s2[s2.length - 5] ^= 0x01; // inside the signer's SM2 signature
  r = await verify({ ...file, signature: s2.toString('base64url') });
  assert.equal(r.status, 'forged');
  assert.equal(r.failed, 'signature');

  const s3 = Buffer.from(sig);
  const png = s3.indexOf(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  assert.ok(png > 0, 'the seal picture is inside the signature');
  s3[png + 100] ^= 0x01; // a byte of the seal's picture
  r = await verify({ ...file, signature: s3.toString('base64url') });
  assert.equal(r.status, 'forged');
  assert.equal(r.failed, 'seal');

  // `onewindow cert verify FILE` says the same and exits 1.
  const f = join(tmp, 'forged.json');
  writeFileSync(f, JSON.stringify({ ...file, document: d2.toString('base64url') }));
  const c = cli('cert', 'verify', f);
  assert.equal(c.status, 1);
  assert.equal(JSON.parse(c.stdout).failed, 'data');
  writeFileSync(f, id);
  assert.equal(cli('cert', 'verify', f).status, 0);
});

// ---- seals: revocation ------------------------------------------------------------------------

test('revoking a seal: it issues nothing more, and what it sealed verifies as revoked', async () => {
  const id = issue('MARRIAGE_CERT', DEMO_CITIZEN_ID, 'ls-mz', MARRIAGE);
  const seals = cli('seal', 'list', 'ls-mz').stdout.trim().split('\n').map((l) => l.split('\t'));
  assert.equal(seals.length, 1);
  const sealId = seals[0][0];
  assert.equal(cli('seal', 'suspend', sealId).status, 0);
  let r = cli('cert', 'issue', 'MARRIAGE_CERT', DEMO_CITIZEN_ID, 'ls-mz', JSON.stringify(MARRIAGE));
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /no active certificate seal/);
  assert.equal(cli('seal', 'activate', sealId).status, 0);
  assert.equal(cli('seal', 'revoke', sealId).status, 0);
  r = cli('seal', 'activate', sealId);
  assert.notEqual(r.status, 0, 'revocation is final');
  assert.match(r.stderr, /revoked/);
  r = cli('cert', 'issue', 'MARRIAGE_CERT', DEMO_CITIZEN_ID, 'ls-mz', JSON.stringify(MARRIAGE));
  assert.notEqual(r.status, 0);
  const v = await new Client().get(`/api/v1/verify?q=${encodeURIComponent(id)}`);
  assert.equal(v.body.status, 'revoked');
  assert.equal(v.body.failed, 'seal_status');
});

test('a seal with an uploaded PNG picture; anything else is refused', async () => {
  const png = join(tmp, 'seal.png');
  writeFileSync(png, Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.alloc(300, 7)]));
  const ok = cli('seal', 'make', 'xz-sj', 'official', '西藏自治区市场监督管理局公章', '365', png);
  assert.equal(ok.status, 0, ok.stderr);
  const gif = join(tmp, 'seal.gif');
  writeFileSync(gif, 'GIF89a........');
  const bad = cli('seal', 'make', 'xz-sj', 'official', 'x', '365', gif);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /PNG/);
  assert.notEqual(cli('seal', 'make', 'no-such-dept', 'official', 'x').status, 0);
  assert.equal(cli('seal', 'make', 'xz-sj', 'emperor', 'x').status, 2);
});

// ---- mutual recognition ---------------------------------------------------------------------------

test('trust list: another platform\'s certificate is forged (chain) until its root is trusted', async () => {
  const other = mkdtempSync(join(tmpdir(), 'ow-certs-other-'));
  try {
    const o = ['--data', other, '--db', `sqlite:${other}/db`, ...FAST];
    assert.equal(run(['init', ...o]).status, 0);
    assert.equal(run(['demo', ...o]).status, 0);
    const iss = run(['cert', 'issue', 'MARRIAGE_CERT', DEMO_CITIZEN_ID, 'xz-mz', JSON.stringify(MARRIAGE), ...o]);
    assert.equal(iss.status, 0, iss.stderr);
    const ex = run(['cert', 'export', iss.stdout.trim(), ...o]);
    const f = join(tmp, 'other.json');
    writeFileSync(f, ex.stdout);
    let v = cli('cert', 'verify', f);
    assert.equal(v.status, 1);
    assert.equal(JSON.parse(v.stdout).failed, 'chain');
    const rootFile = join(tmp, 'other-root.pem');
    writeFileSync(rootFile, run(['seal', 'root', ...o]).stdout);
    const add = cli('seal', 'trust', 'Other platform', rootFile);
    assert.equal(add.status, 0, add.stderr);
    assert.notEqual(cli('seal', 'trust', 'Again', rootFile).status, 0, 'a root is listed once');
    v = cli('cert', 'verify', f);
    assert.equal(v.status, 0, v.stdout);
    const res = JSON.parse(v.stdout);
    assert.equal(res.status, 'valid');
    assert.equal(res.issuer.root, 'Other platform');
    // Something that is not a self-signed SM2 root is refused.
    const junk = join(tmp, 'junk.pem');
    writeFileSync(junk, readFileSync(join(tmp, 'root.pem'), 'utf8').replace(/[A-Za-z]{8}\n/, 'AAAAAAAA\n'));
    assert.notEqual(cli('seal', 'trust', 'Junk', junk).status, 0);
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
});

// ---- the PDF, the audit ------------------------------------------------------------------------------

test('the holder downloads a bilingual PDF with the seal and the QR code', async () => {
  const id = issue('MARRIAGE_CERT', DEMO_CITIZEN_ID, 'cg-mz', MARRIAGE);
  const holder = await citizenLogin(DEMO_CITIZEN_ID, DEMO_PASSWORD);
  const r = await holder.get(`/certificates/${id}/pdf`, { json: false });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/pdf');
  assert.equal(r.raw.subarray(0, 5).toString(), '%PDF-');
  const text = r.raw.toString('latin1');
  assert.match(text, /WenQuanYi/, 'Chinese text embedded with its font');
  assert.match(text, /Tibetan_?Machine_?Uni/, 'Tibetan text embedded with its font');
  assert.match(text, /\/Subtype\s*\/Image/, 'the seal picture');
  if (spawnSync('which', ['pdftotext']).status === 0) {
    const f = join(tmp, 'c.pdf');
    writeFileSync(f, r.raw);
    const t = spawnSync('pdftotext', [f, '-'], { encoding: 'utf8' }).stdout;
    assert.match(t, /结婚证/);
    assert.match(t, /གཉེན་སྒྲིག་ལག་ཁྱེར།/);
  }
});

test('every issuance, seal use and certificate use is in the audit chain, which verifies', async () => {
  const r = cli('audit', 'verify');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  if (backend() !== 'postgresql') {
    const q = spawnSync('sqlite3', [dbUrl.slice('sqlite:'.length), "SELECT action, COUNT(*) FROM audit_events WHERE action LIKE 'certs.%' OR action LIKE 'seals.%' GROUP BY action ORDER BY action"], { encoding: 'utf8' });
    const rows = Object.fromEntries(q.stdout.trim().split('\n').map((l) => l.split('|')));
    for (const a of ['certs.issue', 'certs.use', 'seals.make', 'seals.use', 'seals.root_create', 'seals.status', 'seals.trust_add']) assert.ok(Number(rows[a]) > 0, `${a}: ${q.stdout}`);
  }
});
