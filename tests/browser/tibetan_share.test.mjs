// tests/browser/tibetan_share.test.mjs - the Tibetan share of the visible text on the pages
// where the business happens (issue 11, "Figures"): the application form, the receipt, the
// progress page, the workbench and the hotline pages, each in bo on a 390 px phone, as the
// person who sees it. tibetanShare (tests/lib/tibetan.mjs) counts letters outside names
// and numbers marked as such; the figure of every page is printed, and each must reach its
// threshold in FLOOR below.
//
// Every page must reach the issue's 90%. Measured on 2026-12-07 with the demo catalog in
// Tibetan and Chinese data marked lang="zh" where it stands (names of people, departments and
// places without a Tibetan name): 98.4% on the application form (an enterprise's Chinese name
// in a <select> option, which cannot carry markup), 100% on every other page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../lib/browser.mjs';
import { demoServer } from '../lib/db.mjs';
import { Client, login, DEMO_CITIZEN_ID } from '../lib/client.mjs';
import { idNumbers } from '../lib/ids.mjs';
import { tibetanShare } from '../lib/tibetan.mjs';

const FLOOR = {
  'application form': 0.90,
  receipt: 0.90,
  progress: 0.90,
  workbench: 0.90,
  'case (clerk)': 0.90,
  'hotline form': 0.90,
  'hotline status': 0.90,
  'hotline desk': 0.90,
  'hotline order': 0.90,
};

let env, browser, number, order;
const sessions = {};
before(async () => {
  env = await demoServer('share', { sqlite: true, timeout: 60000 });
  browser = await launch();
  // An application with names in Tibetan script, as a Tibetan-reading citizen would type them.
  const item = 'XZ-MZ-001';
  const c = new Client(env.srv, { uploadPage: `/api/v1/services/${item}/apply` });
  await login(env.srv, DEMO_CITIZEN_ID, { client: c });
  const day = new Date(Date.now() + 10 * 86400000).toISOString().slice(0, 10);
  const r = await c.upload(`/api/v1/services/${item}/apply`, {
    _division: '540102000000', f_male_name: 'བཀྲ་ཤིས་རྡོ་རྗེ།', f_male_id: DEMO_CITIZEN_ID,
    f_female_name: 'སྒྲོལ་མ།', f_female_id: idNumbers({ birth: '19960405', seed: 78 })(),
    f_appointment_date: day, f_phone: '13800000001', f_declaration: 'on', _action: 'submit',
  }, [
    { name: 'm_id_card', filename: 'id.pdf', type: 'application/pdf', data: Buffer.from('%PDF-1.4\n% share\n') },
    { name: 'm_household_register', filename: 'hukou.jpg', type: 'image/jpeg', data: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]) },
    { name: 'm_photo', filename: 'photo.png', type: 'image/png', data: Buffer.from('\x89PNG\r\n\x1a\nxx', 'latin1') },
  ]);
  assert.equal(r.status, 201, r.text.slice(0, 300));
  number = r.body.number;
  sessions.citizen = c;
  const anon = new Client(env.srv);
  const o = await anon.submit('/hotline/submit', {
    description: 'ཁང་པའི་ནང་དྲོད་མི་འདང་། ཆུ་ཁོལ་མི་འབབ།', division: '540102005000', address: 'བར་སྐོར།',
    phone: '13922224445', channel: 'mobile',
  }, { page: '/hotline/submit' });
  assert.equal(o.status, 201, o.text.slice(0, 300));
  order = o.body.number;
  sessions.anon = anon;
  sessions['clerk.chengguan'] = await login(env.srv, 'clerk.chengguan', { staff: true });
  sessions['hotline.xz'] = await login(env.srv, 'hotline.xz', { staff: true });
});
after(async () => {
  await browser?.close();
  await env?.stop();
});

// A phone-sized page in bo with the session of `who`.
async function open(who) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const cookies = [...sessions[who].jar].filter(([k]) => k !== 'lang').map(([name, value]) => ({ name, value, url: env.srv.url }));
  cookies.push({ name: 'lang', value: 'bo', url: env.srv.url });
  await context.addCookies(cookies);
  return { context, page: await context.newPage() };
}

const PAGES = [
  ['application form', 'citizen', () => '/services/XZ-MZ-001/apply'],
  ['receipt', 'citizen', () => `/applications/${number}/receipt`],
  ['progress', 'citizen', () => `/applications/${number}`],
  ['workbench', 'clerk.chengguan', () => '/workbench'],
  ['case (clerk)', 'clerk.chengguan', () => `/applications/${number}`],
  ['hotline form', 'anon', () => '/hotline/submit'],
  ['hotline status', 'anon', () => '/hotline/status', async (page) => {
    await page.fill('input[name="number"]', order);
    await page.fill('input[name="phone"]', '13922224445');
    await Promise.all([page.waitForLoadState('load'), page.locator('main form button[type="submit"]').first().click()]);
  }],
  ['hotline desk', 'hotline.xz', () => '/hotline'],
  ['hotline order', 'hotline.xz', () => `/hotline/orders/${order}`],
];

test('the Tibetan share of the visible text on the bo pages where the business happens', async () => {
  const rows = [], low = [];
  for (const [label, who, path, act] of PAGES) {
    const { context, page } = await open(who);
    try {
      const res = await page.goto(`${env.srv.url}${path()}`);
      assert.equal(res.status(), 200, `${label}: ${res.status()}`);
      if (act) await act(page);
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'bo', label);
      const s = await tibetanShare(page);
      rows.push({ label, ...s });
      if (s.share < FLOOR[label]) low.push(`${label}: ${(100 * s.share).toFixed(1)}% < ${100 * FLOOR[label]}%`);
    } finally {
      await context.close();
    }
  }
  const table = rows.map((r) => `  ${r.label.padEnd(18)} ${(100 * r.share).toFixed(1).padStart(5)}%  ` +
    `(${r.tibetan}/${r.letters} letters)  not Tibetan: ${r.other.slice(0, 8).map(([w, n]) => `${w}×${n}`).join(' ')}`);
  console.log(`Tibetan share of the visible text (bo, 390 px):\n${table.join('\n')}`);
  assert.deepEqual(low, [], `below the floor:\n${low.join('\n')}\n${table.join('\n')}`);
});

test('tibetanShare counts what it should', async () => {
  const { context, page } = await open('anon');
  try {
    await page.setContent(`<html lang="bo"><body>
      <p>བོད་ཡིག 中文 English</p>
      <p lang="zh">拉萨市城关区</p><p lang="en">Ignored words</p><span translate="no">Name</span>
      <code>apply.form.title</code><p hidden>隐藏</p><p style="display:none">隐藏</p>
      <p>XZ-MZ-001 2026-01-01 PDF JPEG/PNG B a@b.cn https://x.cn hukou.jpg 12345</p>
      <input placeholder="ཁ་པར།"><select><option>རྫོང་།</option></select></body></html>`);
    const s = await tibetanShare(page);
    // བོད་ཡིག: བ ད ཡ ག (4), ཁ་པར: ཁ པ ར (3), རྫོང: ར ང (2; ྫ is a mark); 中文: 2; English: 7.
    assert.equal(s.tibetan, 9);
    assert.equal(s.letters, 18);
  } finally {
    await context.close();
  }
});
