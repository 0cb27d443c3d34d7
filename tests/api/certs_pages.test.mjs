// tests/api/certs_pages.test.mjs - what a person sees of a certificate (issue 10, items 10 and
// 11): the holder's PDF read back with poppler (pdftotext, pdftoppm) and the public
// verification page read as text.
//  - The holder's own PDF shows both ID numbers of a marriage certificate in full; the
//    public page and the public JSON show them masked.
//  - The issuing office is named in Chinese and Tibetan.
//  - The seal (its red ink, found in the rendered page) covers no text but the issuer's
//    names: not the identifier, the dates or the fields.
//  - Tibetan labels stand on the line the Chinese labels stand on (the lowest ink of each,
//    measured in the rendered page), not lifted like superscripts.
//  - /verify in zh and bo says everything in the page's language: no English words on the
//    result beyond the identifiers, whatever the outcome.
// poppler-utils is installed by scripts/install-deps.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, catalog } from '../lib/server.mjs';
import { Client as BaseClient, login, DEMO_PASSWORD, DEMO_CITIZEN_ID } from '../lib/client.mjs';
import { demoServer } from '../lib/db.mjs';

const T = { zh: catalog('zh'), bo: catalog('bo') };
const WIFE_ID = '540102199202021238';
const MARRIAGE = { male_name: '扎西多吉', male_id: DEMO_CITIZEN_ID, female_name: '卓玛', female_id: WIFE_ID, appointment_date: '2026-11-26' };
const TYPES = JSON.parse(readFileSync(new URL('../../data/certs/types.json', import.meta.url), 'utf8'));
const MARRIAGE_FIELDS = TYPES.types.find((t) => t.code === 'MARRIAGE_CERT').fields;

let db, srv, tmp, id, pdfFile;
class Client extends BaseClient {
  constructor() { super(srv); }
}
const cli = (...args) => run([...args, ...db.common]);

before(async () => {
  db = await demoServer('certs-pages');
  ({ srv, data: tmp } = db);
  const r = cli('cert', 'issue', 'MARRIAGE_CERT', DEMO_CITIZEN_ID, 'cg-mz', JSON.stringify(MARRIAGE));
  assert.equal(r.status, 0, r.stderr);
  id = r.stdout.trim();
  const holder = await login(srv, DEMO_CITIZEN_ID, { password: DEMO_PASSWORD });
  const pdf = await holder.get(`/certificates/${id}/pdf`, { json: false });
  assert.equal(pdf.status, 200);
  assert.equal(pdf.headers['content-type'], 'application/pdf');
  pdfFile = join(tmp, 'marriage.pdf');
  writeFileSync(pdfFile, pdf.raw);
});

after(async () => {
  if (srv) {
    const r = await db.stop();
    assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
  }
});

function poppler(cmd, args) {
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// The words of the PDF's only page with their boxes, in points from the top left.
function words() {
  const html = poppler('pdftotext', ['-bbox-layout', pdfFile, '-']).toString('utf8');
  return [...html.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)]
    .map((m) => ({ x0: +m[1], y0: +m[2], x1: +m[3], y1: +m[4], text: m[5].replace(/&amp;/g, '&') }));
}

// The page as pixels: pdftoppm's PPM (P6, colour) or PGM (P5, -gray) at `dpi`.
function raster(dpi, gray) {
  const buf = poppler('pdftoppm', [...(gray ? ['-gray'] : []), '-r', String(dpi), '-singlefile', pdfFile]);
  let off = 0;
  const token = () => {
    while (/\s/.test(String.fromCharCode(buf[off]))) off++;
    const s = off;
    while (!/\s/.test(String.fromCharCode(buf[off]))) off++;
    return buf.toString('latin1', s, off);
  };
  const magic = token(), w = +token(), h = +token();
  token();
  off++;
  const ch = magic === 'P6' ? 3 : 1;
  return { w, h, ch, scale: dpi / 72, px: (x, y) => buf.subarray(off + (y * w + x) * ch, off + (y * w + x + 1) * ch) };
}

test('the holder\'s PDF shows both ID numbers in full; the public page and JSON mask them', async () => {
  const text = poppler('pdftotext', [pdfFile, '-']).toString('utf8');
  assert.match(text, new RegExp(DEMO_CITIZEN_ID), 'the husband\'s (and holder\'s) ID number in full');
  assert.match(text, new RegExp(WIFE_ID), 'the wife\'s ID number in full');
  assert.doesNotMatch(text, /\*{4}/, 'nothing masked on the holder\'s own document');
  // The office that issued it, in Chinese and in Tibetan.
  assert.match(text, /拉萨市城关区民政局/);
  assert.match(text, /ལྷ་ས་གྲོང་ཁྱེར་ཁྲིན་ཀོན་ཆུས་དམངས་སྲིད་ཅུས།/);
  assert.match(text, new RegExp(T.bo.certs.pdf.identifier));

  const anon = new Client();
  for (const lang of ['zh', 'bo']) {
    const page = await anon.get(`/verify?q=${encodeURIComponent(id)}&lang=${lang}`, { json: false });
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.text, new RegExp(`${DEMO_CITIZEN_ID}|${WIFE_ID}`));
    assert.match(page.text, /5401\*{10}1233/);
  }
  for (const r of [await anon.get(`/api/v1/verify?q=${encodeURIComponent(id)}`), await anon.get(`/verify?q=${encodeURIComponent(id)}`)]) {
    assert.equal(r.status, 200);
    assert.doesNotMatch(r.text, new RegExp(`${DEMO_CITIZEN_ID}|${WIFE_ID}`), 'public JSON');
  }
  // The holder's page masks too (the PDF is the document); the JSON twin's fields as well.
  const holder = await login(srv, DEMO_CITIZEN_ID, { password: DEMO_PASSWORD });
  const own = await holder.get(`/api/v1/certificates/${id}`);
  assert.equal(own.body.fields.find((f) => f.key === 'wife_id_number').value, '5401**********1238');
  assert.equal(own.body.issuer.bo, 'ལྷ་ས་གྲོང་ཁྱེར་ཁྲིན་ཀོན་ཆུས་དམངས་སྲིད་ཅུས།');
  const html = await holder.get(`/certificates/${id}?lang=bo`, { json: false });
  assert.doesNotMatch(html.text, new RegExp(WIFE_ID));
  assert.match(html.text, /ལྷ་ས་གྲོང་ཁྱེར་ཁྲིན་ཀོན་ཆུས་དམངས་སྲིད་ཅུས།/, 'the issuer in Tibetan on a Tibetan page');
  // Nobody else gets the PDF: a visitor goes to the login and comes back (next encoded).
  const other = await new Client().get(`/certificates/${id}/pdf?x=1&y=2`, { json: false });
  assert.equal(other.status, 303);
  assert.equal(other.location ?? other.headers.location, `/login?next=${encodeURIComponent(`/certificates/${id}/pdf?x=1&y=2`)}`);
});

test('the seal covers no text but the issuer\'s names', () => {
  const img = raster(72, false);
  // The seal's red (cairo 0.85, 0.1, 0.1 at 85 % over white); the frame's darker red is
  // outside the search area.
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let y = 30; y < img.h - 30; y++) {
    for (let x = 30; x < img.w - 30; x++) {
      const [r, g, b] = img.px(x, y);
      if (r > 180 && g < 110 && b < 110) {
        x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
      }
    }
  }
  assert.ok(x1 - x0 > 80 && y1 - y0 > 80, `a seal was drawn: ${x0},${y0} ${x1},${y1}`);
  const issuer = /^(拉萨市城关区民政局|ལྷ་ས་གྲོང་ཁྱེར་ཁྲིན་ཀོན་ཆུས་དམངས་སྲིད་ཅུས།)$/;
  const all = words();
  const identifier = all.filter((w) => w.text.startsWith('1.2.156.3005.2.'));
  assert.ok(identifier.length > 0, 'the identifier is printed');
  assert.equal(identifier.map((w) => w.text).join(''), id, 'the identifier whole, on one line');
  const covered = all.filter((w) => w.x0 < x1 && w.x1 > x0 && w.y0 < y1 && w.y1 > y0 && !issuer.test(w.text));
  assert.deepEqual(covered.map((w) => w.text), [], `words under the seal (${x0},${y0})-(${x1},${y1})`);
});

test('Tibetan labels stand on the Chinese labels\' line', () => {
  const img = raster(288, true);
  const all = words();
  // Where a word's ink ends below, in points: rows of the band that carry dark pixels in
  // the word's columns form blocks (split by a point of blank rows); the block with the most
  // ink is the word itself (a neighbouring row's vowel signs are a smaller block); its last
  // row. -1 if there is no ink.
  const inkBottom = (x0, x1, top, bottom) => {
    const s = img.scale, rows = [];
    for (let y = Math.ceil(top * s); y <= Math.floor(bottom * s); y++) {
      let n = 0;
      for (let x = Math.ceil(x0 * s); x < Math.floor(x1 * s); x++) if (img.px(x, y)[0] < 140) n++;
      rows.push([y, n]);
    }
    let best = null, cur = null, blank = 0;
    for (const [y, n] of rows) {
      if (n > 0) {
        if (cur === null || blank >= s) cur = { ink: 0, last: y };
        cur.ink += n;
        cur.last = y;
        blank = 0;
        if (best === null || cur.ink > best.ink) best = cur;
      } else {
        blank++;
      }
    }
    return best ? best.last / s : -1;
  };
  const labels = [[T.zh.certs.pdf.holder, T.bo.certs.pdf.holder], ...MARRIAGE_FIELDS.map((f) => [f.label.zh, f.label.bo])];
  for (const [zh, bo] of labels) {
    const cn = all.find((w) => w.text === zh);
    assert.ok(cn, `the label ${zh} is printed`);
    const tib = all.find((w) => w.text === bo && Math.abs(w.y1 - cn.y1) < 30 && w.x0 > cn.x1);
    assert.ok(tib, `the label ${bo} is printed beside ${zh}`);
    const h = cn.y1 - cn.y0; // about 1.56 em of the Chinese font
    const top = cn.y0 - h, bottom = cn.y1 + h / 2; // the line's band, and some of its neighbours
    const cnInk = inkBottom(cn.x0, cn.x1, top, bottom), boInk = inkBottom(tib.x0, tib.x1, top, bottom);
    assert.ok(cnInk > 0 && boInk > 0, `${zh} ${bo}: ink found`);
    const em = h / 1.56;
    assert.ok(Math.abs(boInk - cnInk) <= 0.2 * em,
      `${zh} / ${bo}: the Tibetan ink ends ${(boInk - cnInk).toFixed(1)} pt from the Chinese (em ${em.toFixed(1)} pt)`);
  }
});

// The words of the verification page's <main> that are in Latin letters, once the
// identifiers (the certificate's, the seal's, the prefix in the hint) are taken out.
async function englishOnVerify(client, lang, q) {
  const r = await client.get(`/verify?q=${encodeURIComponent(q)}&lang=${lang}`, { json: false });
  const main = /<main[^>]*>([\s\S]*)<\/main>/.exec(r.text)[1]
    .replace(/<textarea[\s\S]*?<\/textarea>/g, ' ') // what the person typed
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;|&quot;|&amp;/g, ' ');
  const rest = main.split(q).join(' ')
    .replace(/1\.2\.156\.3005\.2\.[0-9A-Z.]*/g, ' ')
    .replace(/\bOW\d+\b/g, ' ');
  return { status: r.status, text: main, english: rest.match(/[A-Za-z]{2,}/g) ?? [] };
}

test('/verify speaks only the page\'s language, whatever the outcome', async () => {
  const anon = new Client();
  const holder = await login(srv, DEMO_CITIZEN_ID, { password: DEMO_PASSWORD });
  const qr = (await holder.get(`/api/v1/certificates/${id}`)).body.qr;
  const forged = id.slice(0, -1) + (id.endsWith('A') ? 'B' : 'A');
  const parts = id.split('.');
  parts[parts.length - 3] = '1';
  parts[parts.length - 1] = '';
  const body = parts.slice(5, -1).join('');
  const cs = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let p = 36;
  for (const ch of body) { let t = (p + cs.indexOf(ch)) % 36; if (t === 0) t = 36; p = (t * 2) % 37; }
  parts[parts.length - 1] = cs[(37 - p) % 36];
  const unknown = parts.join('.');
  // a revoked certificate
  const r2 = cli('cert', 'issue', 'MARRIAGE_CERT', DEMO_CITIZEN_ID, 'cg-mz', JSON.stringify(MARRIAGE));
  const revoked = r2.stdout.trim();
  assert.equal(cli('cert', 'revoke', revoked).status, 0);
  const cases = [
    ['valid', id, 200], ['valid', qr, 200], ['forged', forged, 200], ['not_found', unknown, 200],
    ['revoked', revoked, 200], [null, qr.slice(0, 40), 400],
  ];
  for (const lang of ['zh', 'bo']) {
    const t = T[lang].certs;
    for (const [status, q, code] of cases) {
      const v = await englishOnVerify(anon, lang, q);
      assert.equal(v.status, code, `${lang} ${status}: ${v.text}`);
      assert.deepEqual(v.english, [], `${lang} ${status ?? 'bad input'}: English on the page:\n${v.text}`);
      if (status) assert.match(v.text, new RegExp(t.status[status]), `${lang} ${status}`);
      if (status === 'forged') assert.match(v.text, new RegExp(t.checks.identifier));
      if (status === 'valid') {
        assert.match(v.text, new RegExp(t.verify.root_platform));
        assert.match(v.text, new RegExp(t.seal_types.certificate));
        assert.match(v.text, new RegExp(lang === 'bo' ? 'ལྷ་ས་གྲོང་ཁྱེར་ཁྲིན་ཀོན་ཆུས་དམངས་སྲིད་ཅུས།' : '拉萨市城关区民政局'));
      }
      if (lang === 'bo') {
        // Chinese only where it is data: the holder's masked name
        const han = v.text.replace(/扎\*+/g, '').match(/[\u4e00-\u9fff]+/g) ?? [];
        assert.deepEqual(han, [], `bo ${status}: Chinese on a Tibetan page`);
      }
    }
  }
});
