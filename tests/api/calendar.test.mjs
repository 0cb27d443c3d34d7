// tests/api/calendar.test.mjs - the working-day calendar over HTTP and the command line:
// the three checks of shared/data/README.md through /api/v1/calendar/deadline, the year
// pages in zh and bo (labels from the catalogs, special days from data/calendar-xizang.csv),
// bad input, and `onewindow calendar ...` once it is wired into the binary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, run, ROOT, catalog } from '../lib/server.mjs';

// The calendar file has no quoted line breaks: a small quote-aware split is enough.
function readCsv(path) {
  const [header, ...lines] = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l);
  const split = (line) => {
    const out = []; let field = '', quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
      } else if (c === '"') quoted = true;
      else if (c === ',') { out.push(field); field = ''; } else field += c;
    }
    out.push(field);
    return out;
  };
  const cols = split(header);
  return lines.map((l) => Object.fromEntries(split(l).map((v, i) => [cols[i], v])));
}

const ROWS = readCsv(join(ROOT, 'data', 'calendar-xizang.csv'));
const T = { zh: catalog('zh'), bo: catalog('bo'), en: catalog('en') };

let srv;
before(async () => { srv = await startServer(); });
after(async () => {
  const r = await srv.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
});

async function get(path) {
  const res = await fetch(srv.url + path);
  const text = await res.text();
  let body = text;
  try { body = JSON.parse(text); } catch { /* an HTML page */ }
  return { status: res.status, type: res.headers.get('content-type'), body };
}

const deadline = (from, days) => get(`/api/v1/calendar/deadline?from=${from}&days=${days}`);

test('five working days after Friday 2025-09-26 end on 2025-10-10', async () => {
  const r = await deadline('2025-09-26', 5);
  assert.equal(r.status, 200);
  assert.equal(r.body.end, '2025-10-10');
  // 23:59:59.999 Asia/Shanghai on the end day.
  assert.equal(r.body.deadline_ms, Date.parse('2025-10-10T23:59:59.999+08:00'));
  // Day by day: 09-28 (a worked Sunday) is the first, 10-01..08 do not count.
  assert.equal((await deadline('2025-09-26', 1)).body.end, '2025-09-28');
  assert.equal((await deadline('2025-09-26', 3)).body.end, '2025-09-30');
  assert.equal((await deadline('2025-09-26', 4)).body.end, '2025-10-09');
  assert.equal((await deadline('2025-09-26', 0)).body.end, '2025-09-26');
});

test('2026-02-14 (Saturday) is a working day', async () => {
  assert.equal((await deadline('2026-02-13', 1)).body.end, '2026-02-14');
  const r = await get('/api/v1/calendar/2026');
  const cell = r.body.months[1].weeks.flatMap((w) => w.days).find((d) => d.date === '2026-02-14');
  assert.equal(cell.working, true);
  assert.equal(cell.class, 'workday');
});

test('2026-02-24 is a holiday in Xizang (national days alone would make it a working day)', async () => {
  const r = await get('/api/v1/calendar/2026');
  const feb = r.body.months[1].weeks.flatMap((w) => w.days);
  assert.equal(feb.find((d) => d.date === '2026-02-24').working, false);
  const sp = r.body.specials.find((s) => s.date === '2026-02-24');
  assert.equal(sp.scope, 'xizang');
  // After the make-up Saturday 02-14, the next working day is 02-27 in Xizang.
  assert.equal((await deadline('2026-02-14', 1)).body.end, '2026-02-27');
});

test('the year page lists every special day of the data', async () => {
  for (const year of [2025, 2026]) {
    const r = await get(`/api/v1/calendar/${year}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.has_data, true);
    const want = ROWS.filter((row) => row.date.startsWith(`${year}-`)).map((row) => row.date);
    assert.deepEqual(r.body.specials.map((s) => s.date), want);
    assert.equal(r.body.months.length, 12);
  }
});

test('a year without data is computed from weekends and says so', async () => {
  const r = await get('/api/v1/calendar/2024');
  assert.equal(r.status, 200);
  assert.equal(r.body.has_data, false);
  assert.equal(r.body.working_days, 262); // 2024: 366 days, 104 weekend days
  const page = await get('/calendar/2024?lang=en');
  assert.ok(page.body.includes(T.en.calendar.no_data));
});

for (const lang of ['zh', 'bo']) {
  test(`the year page in ${lang}: months, weekdays, marks`, async () => {
    const r = await get(`/calendar/2026?lang=${lang}`);
    assert.equal(r.status, 200);
    assert.match(r.type, /text\/html/);
    const html = r.body;
    const t = T[lang].calendar;
    assert.ok(html.includes(`<h1>${t.title} · 2026</h1>`));
    assert.equal((html.match(/<table class="calendar-month">/g) || []).length, 12);
    for (let m = 1; m <= 12; m++) assert.ok(html.includes(`<caption>${t.months[m]} 2026</caption>`));
    assert.ok(html.includes(`<th scope="col" abbr="${t.weekdays[1].long}">${t.weekdays[1].short}</th>`));
    assert.ok(html.includes(`<abbr title="${t.holiday_names['藏历新年(与春节连休)']} · ${t.kinds.holiday}">${t.mark.holiday}</abbr>`));
    assert.ok(html.includes(`<abbr title="${t.holiday_names["春节调休上班"]} · ${t.kinds.workday}">${t.mark.workday}</abbr>`));
    assert.ok(!html.includes(t.no_data));
  });
}

test('bad input: malformed dates and day counts are 400, years outside the range 404', async () => {
  for (const from of ['2025-9-26', '2025-02-30', 'yesterday', '']) {
    const r = await deadline(from, 5);
    assert.equal(r.status, 400, from);
    assert.equal(r.body.code, 'calendar.bad_date');
  }
  const missing = await get('/api/v1/calendar/deadline?from=2025-09-26');
  assert.equal(missing.status, 400);
  assert.equal(missing.body.code, 'calendar.bad_days');
  for (const days of ['-1', 'x', '10001', '1.5']) {
    const r = await deadline('2025-09-26', days);
    assert.equal(r.status, 400, days);
    assert.equal(r.body.code, 'calendar.bad_days');
  }
  assert.equal((await get('/api/v1/calendar/1969')).status, 404);
  assert.equal((await get('/calendar/3000')).status, 404);
});

// ---- the command line ------------------------------------------------------------------

const wired = () => {
  const r = run(['calendar', 'list', '2026', '--data', srv.data, '--db', srv.db]);
  return !/unknown command/.test(r.stderr);
};

test('onewindow calendar deadline / list / set / remove', async (t) => {
  if (!wired()) {
    t.skip('`onewindow calendar` is not wired into the binary yet (unknown command)');
    return;
  }
  const common = ['--data', srv.data, '--db', srv.db];
  let r = run(['calendar', 'deadline', '2025-09-26', '5', ...common]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '2025-10-10');
  r = run(['calendar', 'list', '2026', ...common]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, ROWS.filter((x) => x.date.startsWith('2026-')).length);
  r = run(['calendar', 'set', '2026-08-11', 'holiday', '雪顿节', 'xizang', ...common]);
  assert.equal(r.status, 0, r.stderr);
  // The server sees the change (the calendar version moved).
  assert.equal((await deadline('2026-08-10', 1)).body.end, '2026-08-12');
  r = run(['calendar', 'remove', '2026-08-11', 'xizang', ...common]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((await deadline('2026-08-10', 1)).body.end, '2026-08-11');
  r = run(['calendar', 'set', '2026-08-11', 'rest', 'x', ...common]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /holiday or workday/);
  r = run(['calendar', 'deadline', '2026-13-01', '5', ...common]);
  assert.equal(r.status, 2);
  r = run(['calendar', 'frobnicate', ...common]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /usage: calendar/);
});

test('/calendar answers 303 to the page of the current year in Asia/Shanghai', async () => {
  const res = await fetch(`${srv.url}/calendar`, { redirect: 'manual' });
  assert.equal(res.status, 303);
  // The year of "now" at UTC+8 (Asia/Shanghai has no daylight saving).
  const year = new Date(Date.now() + 8 * 3600 * 1000).getUTCFullYear();
  assert.equal(res.headers.get('location'), `/calendar/${year}`);
  const page = await fetch(srv.url + res.headers.get('location'));
  assert.equal(page.status, 200);
});

test('holiday names are shown in Tibetan and English where the catalogs have them', async () => {
  const names = [...new Set(ROWS.map((r) => r.name_zh))];
  for (const n of names) {
    assert.ok(T.bo.calendar.holiday_names[n], `a Tibetan name for ${n}`);
    assert.match(T.bo.calendar.holiday_names[n], /[\u0f00-\u0fff]/, `${n} in Tibetan script`);
    assert.ok(T.en.calendar.holiday_names[n], `an English name for ${n}`);
  }
  const bo = await get('/calendar/2026?lang=bo');
  assert.equal(bo.status, 200);
  assert.ok(bo.body.includes(`<td lang="bo">${T.bo.calendar.holiday_names['藏历新年(与春节连休)']}</td>`));
  for (const n of names) assert.ok(!bo.body.includes(`>${n}</td>`), `${n} is not shown in Chinese`);
  const json = await (await fetch(`${srv.url}/api/v1/calendar/2026?lang=en`)).json();
  const oct = json.specials.find((s) => s.date === '2026-10-01');
  assert.equal(oct.name, T.en.calendar.holiday_names[oct.name_zh]);
  assert.equal(oct.name_lang, 'en');
});
