// tests/api/i18n.test.mjs - the translator's workflow and the run-time fallback (issue 11,
// items 1 and 5):
//   - `onewindow i18n coverage` prints, per language and module, the figures that an
//     independent count over web/i18n gives (computed here, never typed in);
//   - `onewindow i18n export` writes a PO file that msgfmt --check accepts, with the
//     standard header, every key once as msgctxt, and every unreviewed translation fuzzy;
//   - the round trip: export -> msgfmt --check -> edit an entry -> import -> the JSON
//     changed exactly there (byte for byte elsewhere), the entry recorded as reviewed;
//     the same after GNU msgcat rewrote the file (as PO editors do);
//   - an import that drops or invents a placeholder, or copies the Chinese, is refused with
//     the list of bad entries, and nothing is written;
//   - a key missing in bo is shown in zh marked lang="zh" and counted in /metrics;
//   - /admin/i18n (platform administrators) shows the same coverage and the strings to do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, ROOT } from '../lib/server.mjs';
import { Client, login } from '../lib/client.mjs';
import { demoServer } from '../lib/db.mjs';

const SRC = join(ROOT, 'web', 'i18n');
const work = mkdtempSync(join(tmpdir(), 'ow-i18n-'));
after(() => rmSync(work, { recursive: true, force: true }));

// A copy of the catalogs to work on (a checkout's web/i18n).
let copies = 0;
function copyCatalogs() {
  const dir = join(work, `i18n-${++copies}`);
  cpSync(SRC, dir, { recursive: true });
  return dir;
}
// Every file under a catalog directory, as {relative path: bytes}.
function snapshot(dir) {
  const out = {};
  for (const sub of readdirSync(dir)) {
    for (const f of readdirSync(join(dir, sub))) out[`${sub}/${f}`] = readFileSync(join(dir, sub, f));
  }
  return out;
}
const msgfmt = (file) => spawnSync('msgfmt', ['--check', '-o', '/dev/null', file], { encoding: 'utf8' });

// ---- an independent count over the files ------------------------------------------------

function flat(o, p = '', out = new Map()) {
  for (const [k, v] of Object.entries(o)) {
    const q = p ? `${p}.${k}` : k;
    if (v && typeof v === 'object') flat(v, q, out);
    else out.set(q, v);
  }
  return out;
}
const files = (dir, lang) => readdirSync(join(dir, lang)).filter((f) => f.endsWith('.json')).sort()
  .map((f) => [f.slice(0, -5), JSON.parse(readFileSync(join(dir, lang, f), 'utf8'))]);
function merged(dir, lang) {
  const m = new Map();
  for (const [, j] of files(dir, lang)) for (const [k, v] of flat(j)) m.set(k, v);
  return m;
}
const TIBETAN = /[\u0F00-\u0FFF]/;

// {module: {total, translated, missing, copied, unreviewed}} and the total under '(all)'.
function expectedCoverage(dir, lang) {
  const zh = new Map();
  for (const [module, j] of files(dir, 'zh')) for (const [k, v] of flat(j)) zh.set(k, { module, source: v });
  const t = merged(dir, lang), en = merged(dir, 'en');
  const status = JSON.parse(readFileSync(join(dir, 'status', `${lang}.json`), 'utf8'));
  const rows = {};
  for (const [key, { module, source }] of zh) {
    const text = t.get(key);
    let state;
    if (text === undefined) state = 'missing';
    else if (status.same[key]) state = 'translated';
    else if (text === '' && source !== '') state = 'missing';
    else if (text === source || (lang === 'bo' && (text === en.get(key) || !TIBETAN.test(text)))) state = 'copied';
    else state = 'translated';
    const r = status.reviewed[key];
    const reviewed = state === 'translated' && r && r.source === source && r.text === text;
    for (const m of [module, '(all)']) {
      rows[m] ??= { total: 0, translated: 0, missing: 0, copied: 0, unreviewed: 0 };
      rows[m].total++;
      rows[m][state]++;
      if (state === 'translated' && !reviewed) rows[m].unreviewed++;
    }
  }
  return rows;
}

function parseCoverage(stdout) {
  const rows = {};
  for (const line of stdout.split('\n')) {
    const m = /^(bo|en)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/.exec(line);
    if (!m) continue;
    (rows[m[1]] ??= {})[m[2]] = { total: +m[3], translated: +m[4], missing: +m[5], copied: +m[6], unreviewed: +m[7] };
  }
  return rows;
}

// The PO entries, {ctxt, id, str, fuzzy}, header left out (the test's own small reader:
// entries are separated by blank lines, as gettext writes them).
function poEntries(text) {
  const out = [];
  for (const block of text.split(/\n\n+/)) {
    const e = { fuzzy: false };
    let kw = null;
    for (const line of block.split('\n')) {
      let m;
      if (line.startsWith('#,')) e.fuzzy = /\bfuzzy\b/.test(line);
      else if ((m = /^(msgctxt|msgid|msgstr) (".*")$/.exec(line))) {
        kw = { msgctxt: 'ctxt', msgid: 'id', msgstr: 'str' }[m[1]];
        e[kw] = JSON.parse(m[2]);
      } else if (/^".*"$/.test(line) && kw) e[kw] += JSON.parse(line);
    }
    if (e.id !== undefined && e.id !== '') out.push(e);
  }
  return out;
}

// ---- the commands ------------------------------------------------------------------------

test('coverage: per language and module, the figures an independent count gives', () => {
  const r = run(['i18n', 'coverage']);
  assert.equal(r.status, 0, r.stderr);
  const got = parseCoverage(r.stdout);
  for (const lang of ['bo', 'en']) {
    const want = expectedCoverage(SRC, lang);
    assert.deepEqual(got[lang], want, `${lang} coverage`);
  }
  assert.match(r.stdout, /No string has had a native speaker's review/);
  // Every bo string of the catalogs on this branch is translated (the unit test enforces it).
  assert.equal(got.bo['(all)'].missing + got.bo['(all)'].copied, 0);
  const one = run(['i18n', 'coverage', 'en']);
  assert.equal(one.status, 0);
  assert.deepEqual(Object.keys(parseCoverage(one.stdout)), ['en']);
  assert.equal(run(['i18n', 'coverage', 'zh']).status, 2, 'zh is the source, not a translation');
  assert.equal(run(['i18n', 'frobnicate']).status, 2);
});

test('export: a PO file msgfmt --check accepts, every key once, unreviewed entries fuzzy', () => {
  for (const lang of ['bo', 'en']) {
    const file = join(work, `export-${lang}.po`);
    const r = run(['i18n', 'export', lang, file]);
    assert.equal(r.status, 0, r.stderr);
    const check = msgfmt(file);
    assert.equal(check.status, 0, `msgfmt --check ${lang}: ${check.stderr}`);
    const text = readFileSync(file, 'utf8');
    for (const h of [`Language: ${lang}\\n`, 'Content-Type: text/plain; charset=UTF-8\\n', 'MIME-Version: 1.0\\n',
      'Content-Transfer-Encoding: 8bit\\n', 'Plural-Forms: nplurals=', 'Project-Id-Version: onewindow', 'PO-Revision-Date: ']) {
      assert.ok(text.includes(h), `${lang}: header ${h}`);
    }
    assert.match(text, /# REVIEW: no string in this file has had a review by a native speaker of (Tibetan|English)\./);
    const entries = poEntries(text);
    const cov = expectedCoverage(SRC, lang)['(all)'];
    const zh = merged(SRC, 'zh'), t = merged(SRC, lang);
    const status = JSON.parse(readFileSync(join(SRC, 'status', `${lang}.json`), 'utf8'));
    // Every zh key with a source text, once (an empty source has nothing to translate).
    const withSource = [...zh].filter(([, v]) => v !== '').length;
    assert.equal(entries.length, withSource);
    assert.equal(new Set(entries.map((e) => e.ctxt)).size, entries.length, 'msgctxt unique');
    for (const e of entries) {
      assert.equal(e.id, zh.get(e.ctxt), `${e.ctxt}: msgid is the zh source`);
      if (e.str !== '') {
        assert.equal(e.str, t.get(e.ctxt), `${e.ctxt}: msgstr is the current text`);
        assert.equal(e.fuzzy, true, `${e.ctxt}: unreviewed, so fuzzy`);
      } else {
        assert.ok(status.same[e.ctxt] !== undefined || t.get(e.ctxt) === undefined || t.get(e.ctxt) === e.id ||
          !TIBETAN.test(t.get(e.ctxt)), `${e.ctxt}: an empty msgstr only for what has no translation`);
      }
    }
    // Fuzzy: exactly the translations without a review (an empty one has nothing to flag).
    const emptyOnPurpose = Object.keys(status.same).filter((k) => t.get(k) === '').length;
    assert.equal(entries.filter((e) => e.fuzzy).length, cov.unreviewed - emptyOnPurpose);
  }
  const stdout = run(['i18n', 'export', 'bo']);
  assert.equal(stdout.status, 0);
  assert.match(stdout.stdout, /^# onewindow's interface strings in Tibetan/);
  assert.equal(run(['i18n', 'export', 'zh', join(work, 'zh.po')]).status, 2);
});

test("Weblate's PO reader (translate-toolkit) opens the export: language, plural forms, every entry", () => {
  const file = join(work, 'weblate.po');
  assert.equal(run(['i18n', 'export', 'bo', file]).status, 0);
  const script = `
import json, sys
from translate.storage import po
f = po.pofile.parsefile(sys.argv[1])
units = [u for u in f.units if not u.isheader()]
print(json.dumps({"language": f.gettargetlanguage(), "plural": f.parseheader().get("Plural-Forms"),
  "units": [[u.getcontext(), u.source, u.target, u.isfuzzy()] for u in units]}))`;
  const r = spawnSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, `translate-toolkit (scripts/install-deps.sh installs it): ${r.stderr}`);
  const got = JSON.parse(r.stdout);
  assert.equal(got.language, 'bo');
  assert.equal(got.plural, 'nplurals=1; plural=0;');
  assert.deepEqual(got.units.map(([ctxt, source, target, fuzzy]) => ({ ctxt, id: source, str: target, fuzzy })),
    poEntries(readFileSync(file, 'utf8')));
});

test('round trip: export, msgfmt --check, edit one entry, import: the JSON changed exactly there', () => {
  const dir = copyCatalogs();
  const file = join(work, 'rt.po');
  assert.equal(run(['i18n', 'export', 'bo', file, '--i18n-dir', dir]).status, 0);
  assert.equal(msgfmt(file).status, 0);
  const before = snapshot(dir);
  // A translator improves nav.workbench and, as a native speaker, clears its fuzzy flag.
  const key = 'nav.workbench';
  const old = merged(dir, 'bo').get(key);
  const edited = 'ལས་ཀའི་སྟེགས་བུ།';
  assert.notEqual(old, edited);
  let po = readFileSync(file, 'utf8');
  const entry = `#, fuzzy\nmsgctxt "${key}"\nmsgid "${merged(dir, 'zh').get(key)}"\nmsgstr "${old}"\n`;
  assert.ok(po.includes(entry), 'the entry as exported');
  po = po.replace(entry, `msgctxt "${key}"\nmsgid "${merged(dir, 'zh').get(key)}"\nmsgstr "${edited}"\n`)
    .replace('"Last-Translator: \\n"', '"Last-Translator: A Reviewer <reviewer@example.org>\\n"');
  writeFileSync(file, po);
  assert.equal(msgfmt(file).status, 0);
  const r = run(['i18n', 'import', file, '--i18n-dir', dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /1 string\(s\) changed in 1 file\(s\); 1 marked reviewed/);
  const after = snapshot(dir);
  const changed = Object.keys(after).filter((f) => !before[f] || !before[f].equals(after[f]));
  assert.deepEqual(changed.sort(), ['bo/apply.json', 'status/bo.json']);
  // Byte for byte: the old file with that one value replaced.
  const was = before['bo/apply.json'].toString('utf8'), now = after['bo/apply.json'].toString('utf8');
  assert.equal(now, was.replace(`"workbench": ${JSON.stringify(old)}`, `"workbench": ${JSON.stringify(edited)}`));
  assert.notEqual(now, was);
  const status = JSON.parse(after['status/bo.json'].toString('utf8'));
  assert.deepEqual(Object.keys(status.reviewed), [key]);
  assert.equal(status.reviewed[key].text, edited);
  assert.equal(status.reviewed[key].by, 'A Reviewer <reviewer@example.org>');
  // Exported again: that entry is no longer fuzzy, and the header counts one review.
  const again = join(work, 'rt2.po');
  assert.equal(run(['i18n', 'export', 'bo', again, '--i18n-dir', dir]).status, 0);
  const text = readFileSync(again, 'utf8');
  assert.equal(poEntries(text).find((e) => e.ctxt === key).fuzzy, false);
  assert.match(text, /# REVIEW: 1 of the \d+ translated strings have had a review by a native speaker/);
  const cov = parseCoverage(run(['i18n', 'coverage', 'bo', '--i18n-dir', dir]).stdout);
  assert.equal(cov.bo['(all)'].unreviewed, expectedCoverage(dir, 'bo')['(all)'].unreviewed);
  assert.equal(cov.bo.apply.translated - cov.bo.apply.unreviewed, 1);
  // Marking it fuzzy again withdraws the review.
  writeFileSync(again, text.replace(`msgctxt "${key}"`, `#, fuzzy\nmsgctxt "${key}"`));
  const w = run(['i18n', 'import', again, '--i18n-dir', dir]);
  assert.equal(w.status, 0, w.stderr);
  assert.match(w.stdout, /0 string\(s\) changed in 0 file\(s\); 0 marked reviewed, 1 review\(s\) withdrawn/);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'status', 'bo.json'), 'utf8')).reviewed, {});
});

test('a PO file rewritten by GNU msgcat (wrapped lines, as editors write) imports unchanged', () => {
  const dir = copyCatalogs();
  const file = join(work, 'cat-in.po'), out = join(work, 'cat-out.po');
  assert.equal(run(['i18n', 'export', 'bo', file, '--i18n-dir', dir]).status, 0);
  const cat = spawnSync('msgcat', ['--width=40', file, '-o', out], { encoding: 'utf8' });
  assert.equal(cat.status, 0, cat.stderr);
  assert.ok(readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('"')).length >
    readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('"')).length, 'msgcat wrapped lines');
  const before = snapshot(dir);
  const r = run(['i18n', 'import', out, '--i18n-dir', dir]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /0 string\(s\) changed in 0 file\(s\); 0 marked reviewed/);
  assert.deepEqual(snapshot(dir), before);
});

test('import refuses dropped or invented placeholders and copies, lists them all, writes nothing', () => {
  const dir = copyCatalogs();
  const file = join(work, 'bad.po');
  assert.equal(run(['i18n', 'export', 'bo', file, '--i18n-dir', dir]).status, 0);
  const zh = merged(dir, 'zh'), bo = merged(dir, 'bo');
  let po = readFileSync(file, 'utf8');
  const swap = (key, str) => {
    const from = `msgctxt "${key}"\nmsgid ${JSON.stringify(zh.get(key))}\nmsgstr ${JSON.stringify(bo.get(key))}\n`;
    assert.ok(po.includes(from), key);
    po = po.replace(from, `msgctxt "${key}"\nmsgid ${JSON.stringify(zh.get(key))}\nmsgstr ${JSON.stringify(str)}\n`);
  };
  const dropped = 'apply.notice.accepted', invented = 'nav.home', copied = 'nav.workbench';
  assert.match(zh.get(dropped), /\{\{number\}\}/);
  swap(dropped, bo.get(dropped).replace('{{number}}', ''));
  swap(invented, `${bo.get(invented)} {{name}}`);
  swap(copied, zh.get(copied));
  swap('nav.messages', `${bo.get('nav.messages')}!`); // a good change, not written either
  writeFileSync(file, po);
  const before = snapshot(dir);
  const r = run(['i18n', 'import', file, '--i18n-dir', dir]);
  assert.equal(r.status, 1);
  const lines = r.stderr.trim().split('\n');
  const line = (key) => po.split('\n').findIndex((l) => l === `msgctxt "${key}"`) + 2; // msgid's line
  assert.ok(lines.includes(`${file}:${line(dropped)}: ${dropped}: drops {{number}}`), r.stderr);
  assert.ok(lines.includes(`${file}:${line(invented)}: ${invented}: invents {{name}}`), r.stderr);
  assert.ok(lines.includes(`${file}:${line(copied)}: ${copied}: a copy of the Chinese text, not a translation`), r.stderr);
  assert.match(r.stderr, /3 entries refused: nothing was written/);
  assert.deepEqual(snapshot(dir), before);
});

test('import refuses a file for zh, an unknown key, a changed source, and a file outside a checkout', () => {
  const dir = copyCatalogs();
  const file = join(work, 'odd.po');
  assert.equal(run(['i18n', 'export', 'bo', file, '--i18n-dir', dir]).status, 0);
  const po = readFileSync(file, 'utf8');
  writeFileSync(join(work, 'zh.po'), po.replace('"Language: bo\\n"', '"Language: zh\\n"'));
  let r = run(['i18n', 'import', join(work, 'zh.po'), '--i18n-dir', dir]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Language is "zh": it must be bo or en/);
  const zh = merged(dir, 'zh');
  writeFileSync(join(work, 'odd.po'), po.replace('msgctxt "nav.home"', 'msgctxt "nav.no_such_key"')
    .replace(`msgid ${JSON.stringify(zh.get('nav.messages'))}`, 'msgid "旧的原文"'));
  r = run(['i18n', 'import', join(work, 'odd.po'), '--i18n-dir', dir]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /nav\.no_such_key: no such key in the Chinese catalogs/);
  assert.match(r.stderr, /nav\.messages: the Chinese source changed since the export/);
  r = run(['i18n', 'import', file, '--i18n-dir', join(work, 'nowhere')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not a catalog directory/);
  writeFileSync(join(work, 'broken.po'), 'msgid "a\nmsgstr "b"\n');
  r = run(['i18n', 'import', join(work, 'broken.po'), '--i18n-dir', dir]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /broken\.po:1: a string is not closed/);
});

// ---- the server: fallback marked and counted, the administrators' page ------------------

let env, fallbackDir;
before(async () => {
  // A checkout whose bo catalogs lack two strings: one a template prints (nav.home, the
  // layout's {{t.nav.home}}), one a handler looks up (catalog.title, web_t).
  fallbackDir = copyCatalogs();
  for (const [file, drop] of [['core.json', ['nav', 'home']], ['catalog.json', ['catalog', 'title']]]) {
    const p = join(fallbackDir, 'bo', file);
    const j = JSON.parse(readFileSync(p, 'utf8'));
    delete j[drop[0]][drop[1]];
    writeFileSync(p, `${JSON.stringify(j, null, 2)}\n`);
  }
  env = await demoServer('i18n', { args: ['--insecure-fast-passwords', '1', '--i18n-dir', fallbackDir] });
});
after(async () => {
  if (env) {
    const r = await env.stop();
    assert.deepEqual(r, { code: 0, signal: null });
  }
});

async function fallbacks(lang) {
  const text = await (await fetch(`${env.srv.url}/metrics`)).text();
  const m = new RegExp(`^onewindow_i18n_fallback_total\\{lang="${lang}"\\} (\\d+)$`, 'm').exec(text);
  assert.ok(m, `no fallback counter for ${lang}:\n${text.slice(-600)}`);
  return Number(m[1]);
}

test('a key missing in bo shows the zh text marked lang="zh", and the fallback is counted', async () => {
  const zh = merged(SRC, 'zh');
  const bo0 = await fallbacks('bo'), en0 = await fallbacks('en');
  const page = await (await fetch(`${env.srv.url}/services?lang=bo`)).text();
  // The layout's nav (a template's {{t.nav.home}}) and the page's heading (web_t in a handler).
  assert.ok(page.includes(`<a href="/"><span lang="zh">${zh.get('nav.home')}</span></a>`), page.slice(0, 2000));
  assert.ok(page.includes(`<h1><span lang="zh">${zh.get('catalog.title')}</span></h1>`));
  // Inside <title> markup cannot go: the text is there as is.
  assert.match(page, new RegExp(`<title>${zh.get('catalog.title')} · `));
  // No other catalog text is marked: only what fell back (the page marks Chinese names of
  // its own, e.g. departments, which are no catalog strings).
  const zhTexts = new Set(zh.values());
  const marked = [...page.matchAll(/<span lang="zh">([^<]*)<\/span>/g)].map((x) => x[1]).filter((x) => zhTexts.has(x));
  assert.deepEqual(marked.sort(), [zh.get('catalog.title'), zh.get('nav.home')].sort());
  const bo1 = await fallbacks('bo');
  assert.ok(bo1 >= bo0 + 2, `counter ${bo0} -> ${bo1}`);
  // Each page rendered counts again (/services is kept in the response cache: counted once
  // per rendering; /search is rendered for every request).
  const search = await (await fetch(`${env.srv.url}/search?lang=bo`)).text();
  assert.ok(search.includes(`<span lang="zh">${zh.get('nav.home')}</span>`));
  const bo2 = await fallbacks('bo');
  assert.ok(bo2 >= bo1 + 1, `counter ${bo1} -> ${bo2}`);
  await fetch(`${env.srv.url}/search?lang=bo`);
  assert.ok(await fallbacks('bo') >= bo2 + 1, 'and again');
  // en and zh have the strings: nothing marked, nothing counted.
  for (const lang of ['en', 'zh']) {
    const p = await (await fetch(`${env.srv.url}/services?lang=${lang}`)).text();
    const t = merged(SRC, lang);
    assert.ok(p.includes(`<a href="/">${t.get('nav.home')}</a>`), lang);
    assert.ok(p.includes(`<h1>${t.get('catalog.title')}</h1>`), lang);
  }
  assert.equal(await fallbacks('en'), en0);
  // The JSON twin carries the text, without markup.
  const j = await (await fetch(`${env.srv.url}/api/v1/services?lang=bo`)).json();
  assert.equal(j.title, zh.get('catalog.title'));
});

test('/admin/i18n: coverage and the strings to do, for platform administrators only', async () => {
  const admin = await login(env.srv, 'catalog.xz', { staff: true });
  const r = await admin.get('/api/v1/admin/i18n');
  assert.equal(r.status, 200, r.text);
  const m = r.body;
  const want = expectedCoverage(fallbackDir, 'bo'), wantEn = expectedCoverage(fallbackDir, 'en');
  const bo = m.tables.find((t) => t.language === 'bo'), en = m.tables.find((t) => t.language === 'en');
  const strip = ({ module, ...rest }) => rest;
  assert.deepEqual(strip(bo.all), want['(all)']);
  assert.deepEqual(strip(en.all), wantEn['(all)']);
  for (const row of bo.rows) assert.deepEqual(strip(row), want[row.module], row.module);
  assert.equal(bo.all.missing, 2, 'the two strings this checkout lacks');
  assert.equal(m.no_review, true);
  assert.equal(m.reviewed, 0);
  // Still to do (the default): every string, since none is reviewed; 50 a page.
  assert.equal(m.count, want['(all)'].total);
  assert.equal(m.strings.length, 50);
  assert.equal(m.pages, Math.ceil(m.count / 50));
  assert.ok(m.next_url);
  // The missing ones, with their zh source and no text.
  const missing = await admin.get('/api/v1/admin/i18n?language=bo&state=missing');
  assert.deepEqual(missing.body.strings.map((s) => [s.key, s.state, s.text]).sort(),
    [['catalog.title', 'missing', undefined], ['nav.home', 'missing', undefined]]);
  assert.equal(missing.body.strings.find((s) => s.key === 'nav.home').source, merged(SRC, 'zh').get('nav.home'));
  const copied = await admin.get('/api/v1/admin/i18n?language=en&module=apply&state=copied');
  assert.equal(copied.status, 200);
  assert.equal(copied.body.count, 0);
  const last = await admin.get(`/api/v1/admin/i18n?page=${m.pages}`);
  assert.equal(last.body.strings.length, m.count - 50 * (m.pages - 1));
  assert.equal(last.body.next_url, undefined);
  for (const bad of ['language=zh', 'state=done', 'module=nosuch', 'page=0', 'page=x']) {
    assert.equal((await admin.get(`/api/v1/admin/i18n?${bad}`)).status, 400, bad);
  }
  // The page says plainly that no string has had a native speaker's review, in each language.
  for (const lang of ['zh', 'bo', 'en']) {
    const page = await admin.get(`/admin/i18n?lang=${lang}`, { json: false });
    assert.equal(page.status, 200);
    const no = merged(SRC, lang).get('translate.no_review');
    assert.ok(page.text.includes(no), `${lang}: ${no}`);
  }
  // The account menu leads there.
  const home = await admin.get('/', { json: false });
  assert.match(home.text, /<a href="\/admin\/i18n">/);
  // Others: a citizen is refused (403), an anonymous visitor sent to log in.
  const citizen = await login(env.srv, '540102199001011233');
  assert.equal((await citizen.get('/api/v1/admin/i18n')).status, 403);
  assert.doesNotMatch((await citizen.get('/', { json: false })).text, /\/admin\/i18n/);
  const anon = await new Client(env.srv).get('/admin/i18n', { json: false });
  assert.equal(anon.status, 303);
  assert.match(anon.location, /^\/login\?next=%2Fadmin%2Fi18n/);
});
