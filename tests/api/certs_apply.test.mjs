// tests/api/certs_apply.test.mjs - e-certificates in the application workflow (issue 5 parts 4
// and 6, wired in src/app/wiring.c through apply's hooks): the marriage registration form
// offers the citizen's resident ID card e-certificate for the ID card material (免提交); the
// submission authorises its use for the application and the competent department, which then
// sees it and the holder sees the use; approving the application issues a sealed marriage
// certificate into the citizen's wallet that verifies as valid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client, login as loginAs, DEMO_CITIZEN_ID } from '../lib/client.mjs';
import { demoServer } from '../lib/db.mjs';
import { idCheck } from '../lib/ids.mjs';

const ITEM = 'XZ-MZ-001';
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(200)]);
const PNG = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), randomBytes(200)]);

// A client of this file's server; upload() sends the token of the marriage application form.
const client = () => new Client(srv, { uploadPage: `/api/v1/services/${ITEM}/apply` });
const login = (who, { staff = false } = {}) => loginAs(srv, who, { staff, client: client() });

let srv, db;

before(async () => {
  db = await demoServer('certs-apply');
  srv = db.srv;
});

after(async () => {
  if (srv) {
    const r = await db.stop();
    assert.deepEqual(r, { code: 0, signal: null }, srv.log());
  }
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
  const forged = await citizen.upload(`/api/v1/services/${ITEM}/apply`, { ...fields, _idem: `k-${randomBytes(8).toString('hex')}`, cert_id_card: idCard.identifier.slice(0, -1) + (idCard.identifier.endsWith('Z') ? 'Y' : 'Z') }, files);
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
  const check = await client().get(`/api/v1/verify?q=${encodeURIComponent(marriage[0].identifier)}`);
  assert.equal(check.body.status, 'valid');
  const pdf = await citizen.get(`/certificates/${marriage[0].identifier}/pdf`, { json: false });
  assert.equal(pdf.status, 200);
  assert.equal(pdf.raw.subarray(0, 5).toString(), '%PDF-');
});
