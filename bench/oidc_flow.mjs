// bench/oidc_flow.mjs - drives the OpenID Connect flow against a running onewindow for
// `make bench`: registers a citizen, consents once, then measures
//   - authorize: codes issued per second (each a durable insert), CONC requests at once;
//   - token: authorization codes exchanged per second (durable: the code is spent and a
//     grant and refresh token written before the answer), CONC requests at once;
// and prints an access token for the userinfo load test. Output: key=value lines.
// With SERVER_PID, also the server's CPU time per request of each phase.
// With OIDC_CODES_FILE=PATH, only mints the codes and writes "CODE VERIFIER" lines to PATH
// for bench/oidc_token.lua (wrk drives the exchange: bench/oidc_token.sh).
//   node bench/oidc_flow.mjs BASE_URL CLIENT_ID CLIENT_SECRET CODES CONC [SERVER_PID]
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const [base, clientId, secret, nArg, concArg, pidArg] = process.argv.slice(2);
const TICK_US = 1e6 / 100; // USER_HZ
function cpuTicks() {
  if (!pidArg) return 0;
  const f = readFileSync(`/proc/${pidArg}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
}
const N = Number(nArg || 2000), CONC = Number(concArg || 8);
const REDIRECT = 'http://127.0.0.1:9/cb';
const cookies = new Map();

async function req(path, { method = 'GET', form, headers = {} } = {}) {
  const h = { ...headers, cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  let body;
  if (form) { h['content-type'] = 'application/x-www-form-urlencoded'; body = new URLSearchParams(form).toString(); }
  const res = await fetch(new URL(path, base), { method, headers: h, body, redirect: 'manual' });
  for (const c of res.headers.getSetCookie()) {
    const [kv] = c.split(';');
    const i = kv.indexOf('=');
    cookies.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return res;
}
const csrfOf = (html) => /name="_csrf" value="([^"]+)"/.exec(html)[1];
const b64url = (b) => b.toString('base64url');

function idNumber() {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const body = `540102198${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`.slice(0, 17);
  const birth = `5401021990${String(1 + Math.floor(Math.random() * 9)).padStart(2, '0')}15`;
  const first17 = birth + body.slice(14, 17);
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * w[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

async function register() {
  const form = await req('/register');
  const pw = b64url(randomBytes(12));
  const r = await req('/register', {
    method: 'POST',
    form: { _csrf: csrfOf(await form.text()), name: '压测', id_number: idNumber(),
      phone: `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`, password: pw, password_again: pw },
  });
  if (r.status !== 303) throw new Error(`register: ${r.status} ${await r.text()}`);
}

function pkce() {
  const verifier = b64url(randomBytes(32));
  return { verifier, challenge: b64url(createHash('sha256').update(verifier).digest()) };
}

function authorizeUrl(challenge) {
  const q = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT,
    scope: 'openid profile', state: b64url(randomBytes(8)), nonce: b64url(randomBytes(8)),
    code_challenge: challenge, code_challenge_method: 'S256' });
  return `/oauth2/authorize?${q}`;
}

async function getCode() {
  const p = pkce();
  let r = await req(authorizeUrl(p.challenge));
  if (r.status === 200) { // the consent page, the first time
    const html = await r.text();
    const hidden = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)]
      .map((m) => [m[1], m[2].replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<').replace(/&gt;/g, '>')]));
    r = await req('/oauth2/consent', { method: 'POST', form: { ...hidden, decision: 'allow' } });
  }
  const loc = r.headers.get('location');
  const code = loc && new URL(loc).searchParams.get('code');
  if (!code) throw new Error(`authorize: ${r.status} ${loc}`);
  return { code, verifier: p.verifier };
}

const basic = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
async function exchange({ code, verifier }) {
  const r = await fetch(new URL('/oauth2/token', base), {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier,
      redirect_uri: REDIRECT }).toString(),
  });
  const j = await r.json();
  if (r.status !== 200) throw new Error(`token: ${r.status} ${JSON.stringify(j)}`);
  return j;
}

// Run `n` tasks with `conc` in flight; returns [results, seconds].
async function pool(n, conc, task) {
  const out = new Array(n);
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: conc }, async () => {
    while (next < n) { const i = next++; out[i] = await task(i); }
  }));
  return [out, Number(process.hrtime.bigint() - t0) / 1e9];
}

await register();
await getCode(); // consent once
const c0 = cpuTicks();
const [codes, tAuth] = await pool(N, CONC, () => getCode());
const c1 = cpuTicks();
if (process.env.OIDC_CODES_FILE) {
  writeFileSync(process.env.OIDC_CODES_FILE, codes.map((c) => `${c.code} ${c.verifier}\n`).join(''));
  console.log(`authorize_per_s=${Math.round(N / tAuth)}`);
  if (pidArg) console.log(`authorize_cpu_us=${Math.round((c1 - c0) * TICK_US / N)}`);
  process.exit(0);
}
const [tokens, tTok] = await pool(N, CONC, (i) => exchange(codes[i]));
const c2 = cpuTicks();
console.log(`authorize_per_s=${Math.round(N / tAuth)}`);
console.log(`token_per_s=${Math.round(N / tTok)}`);
if (pidArg) {
  console.log(`authorize_cpu_us=${Math.round((c1 - c0) * TICK_US / N)}`);
  console.log(`token_cpu_us=${Math.round((c2 - c1) * TICK_US / N)}`);
}
console.log(`access_token=${tokens[0].access_token}`);
