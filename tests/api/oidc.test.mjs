// tests/api/oidc.test.mjs - the OpenID Connect provider as department systems use it,
// driven by a certified relying-party library (npm openid-client v6) over plain http on
// 127.0.0.1, with ID-token signatures checked at the token endpoint too
// (enableNonRepudiationChecks, FACTS.md). A citizen registers and consents through the
// HTML forms in a cookie-keeping "browser"; a second department system then logs them in
// without a password (single sign-on). Then the attacks of issue 3: a reused code, a
// wrong PKCE verifier, an unregistered redirect URI, a stolen refresh token reused after
// rotation, a wrong client secret, tampered and alg=none tokens, CSRF on consent.
//
// Clients are registered with the CLI:
//   onewindow client add NAME redirect=URI post-logout=URI scopes="..." grants="..."
//             [auth=private_key_jwt jwks=FILE] --data DIR --db URL
// which prints client_id=... and client_secret=... lines. Without that command in the
// binary the whole file is skipped, saying so.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as client from 'openid-client';
import * as jose from 'jose';
import { startServer, run, catalog } from '../lib/server.mjs';
import { FormBrowser, unescapeHtml as unescape, csrfOf, hiddenFields } from '../lib/client.mjs';
import { totpNow } from '../lib/totp.mjs';
import { withIdCheck } from '../lib/ids.mjs';

const srv = await startServer({ args: ['--insecure-fast-passwords', '1'] });
after(async () => {
  const r = await srv.stop();
  assert.deepEqual(r, { code: 0, signal: null }, `SIGTERM must drain and exit 0:\n${srv.log()}`);
});

const probe = run(['client', 'list', '--data', srv.data, '--db', srv.db], { timeout: 20000 });
const skip = probe.status === 0 ? false
  : `\`onewindow client\` is not in this binary yet (${(probe.stderr || '').trim().split('\n').pop()})`;

const ISSUER = srv.url;
const EXECUTE = [client.allowInsecureRequests, client.enableNonRepudiationChecks];
const PASSWORD = 'zhaxi-delek-2024';
const CB_A = 'http://127.0.0.1:9/land-registry/cb';
const CB_B = 'http://127.0.0.1:9/social-security/cb';
const BYE_A = 'http://127.0.0.1:9/land-registry/bye';

// ---- helpers ------------------------------------------------------------------------------

function addClient(name, words) {
  const r = run(['client', 'add', name, ...words, '--data', srv.data, '--db', srv.db], { timeout: 20000 });
  assert.equal(r.status, 0, `client add failed: ${r.stderr}`);
  const id = /^client_id=(\S+)$/m.exec(r.stdout)?.[1];
  const secret = /^client_secret=(\S+)$/m.exec(r.stdout)?.[1];
  assert.ok(id, `no client_id in: ${r.stdout}`);
  return { id, secret };
}

// A valid GB 11643 ID number with a random birth date and sequence (the PostgreSQL pass
// shares one database between runs, and ID numbers are unique).
function idNumber() {
  const birth = new Date(Date.UTC(1950, 0, 1) + Math.floor(Math.random() * 50 * 365.25) * 86400000);
  const ymd = birth.toISOString().slice(0, 10).replaceAll('-', '');
  const seq = String(Math.floor(Math.random() * 1000)).padStart(3, '0');
  return withIdCheck(`540102${ymd}${seq}`);
}
const phone = () => `139${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

// A browser: keeps cookies, follows redirects on the server's own origin and stops at the
// first one that leaves it (the relying party's callback).
class Browser extends FormBrowser {
  constructor() { super(srv); }
}

async function register(browser, next) {
  const form = await browser.req(`/register?next=${encodeURIComponent(next)}`);
  assert.equal(form.status, 200);
  const person = { name: '次仁卓玛', id_number: idNumber(), phone: phone() };
  const res = await browser.req('/register', {
    method: 'POST',
    form: { _csrf: csrfOf(await form.text()), next, ...person, password: PASSWORD, password_again: PASSWORD },
  });
  assert.equal(res.status, 303, `registration failed: ${res.status}`);
  return person;
}

// An authorization request for `config` with fresh PKCE, state and nonce.
async function authRequest(config, redirect_uri, scope, extra = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const params = {
    redirect_uri, scope, state: client.randomState(), nonce: client.randomNonce(),
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
  };
  return { url: client.buildAuthorizationUrl(config, params), verifier, state: params.state, nonce: params.nonce };
}

// Answer a consent page (the current page of `walked`); returns where we were sent.
async function consent(browser, page, decision = 'allow') {
  const html = await page.text();
  const res = await browser.req('/oauth2/consent', {
    method: 'POST', form: { ...hiddenFields(html), _csrf: csrfOf(html), decision },
  });
  assert.equal(res.status, 303);
  return new URL(res.headers.get('location'));
}

async function tokenRequest(id, secret, form) {
  return fetch(`${srv.url}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form).toString(),
  });
}

async function userinfoStatus(token) {
  const r = await fetch(`${srv.url}/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, challenge: r.headers.get('www-authenticate'), body: await r.json() };
}

// ---- shared state of the journey ------------------------------------------------------

const s = {};

test('discovery and JWKS are served as standard documents', { skip }, async () => {
  const r = await fetch(`${srv.url}/.well-known/openid-configuration`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.match(r.headers.get('cache-control'), /public, max-age=\d+/);
  const etag = r.headers.get('etag');
  const meta = await r.json();
  assert.equal(meta.issuer, ISSUER);
  assert.equal(meta.authorization_endpoint, `${ISSUER}/oauth2/authorize`);
  assert.equal(meta.token_endpoint, `${ISSUER}/oauth2/token`);
  assert.deepEqual(meta.response_types_supported, ['code']);
  assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
  assert.deepEqual(meta.id_token_signing_alg_values_supported, ['ES256']);
  assert.deepEqual(meta.token_endpoint_auth_methods_supported, ['client_secret_basic', 'private_key_jwt']);
  assert.ok(meta.scopes_supported.includes('id_number'));
  assert.equal(meta.authorization_response_iss_parameter_supported, true);
  if (etag) {
    const again = await fetch(`${srv.url}/.well-known/openid-configuration`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
  }
  const jwks = await (await fetch(meta.jwks_uri)).json();
  assert.ok(jwks.keys.length >= 1);
  for (const k of jwks.keys) {
    assert.equal(k.kty, 'EC');
    assert.equal(k.crv, 'P-256');
    assert.equal(k.alg, 'ES256');
    assert.equal(k.use, 'sig');
    assert.ok(k.kid);
    assert.equal(k.d, undefined, 'never a private key');
  }
});

test('a citizen registers, consents, and system A logs them in (code + PKCE)', { skip }, async () => {
  s.a = addClient('不动产登记系统', [`redirect=${CB_A}`, `post-logout=${BYE_A}`,
    'scopes=openid profile phone id_number exchange:read',
    'grants=authorization_code refresh_token client_credentials']);
  assert.ok(s.a.secret);
  s.configA = await client.discovery(new URL(ISSUER), s.a.id, undefined,
    client.ClientSecretBasic(s.a.secret), { execute: EXECUTE });
  s.browser = new Browser();
  const req = await authRequest(s.configA, CB_A, 'openid profile phone id_number');

  // Not logged in: the provider sends the person to log in and come back.
  const first = await s.browser.req(req.url);
  assert.equal(first.status, 303);
  const login = new URL(first.headers.get('location'), srv.url);
  assert.equal(login.pathname, '/login');
  const next = login.searchParams.get('next');
  assert.ok(next.startsWith('/oauth2/authorize?'));

  s.person = await register(s.browser, next);
  const page = await s.browser.walk(next);
  assert.equal(page.res.status, 200, 'the consent page');
  const html = await page.res.clone().text();
  assert.match(html, /不动产登记系统/);
  const T = catalog('zh');
  for (const scope of ['openid', 'profile', 'phone', 'id_number'])
    assert.ok(html.includes(T.oidc.scopes[scope].label), `the consent page names ${scope}`);
  assert.match(page.res.headers.get('x-frame-options') ?? '', /DENY/);

  const back = await consent(s.browser, page.res);
  assert.equal(`${back.origin}${back.pathname}`, CB_A);
  assert.equal(back.searchParams.get('iss'), ISSUER);
  s.tokens = await client.authorizationCodeGrant(s.configA, back, {
    pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce, idTokenExpected: true,
  });
  const c = s.tokens.claims();
  assert.equal(c.iss, ISSUER);
  assert.equal(c.aud, s.a.id);
  assert.equal(c.nonce, req.nonce);
  assert.equal(c.acr, 'aal1');
  assert.deepEqual(c.amr, ['pwd']);
  assert.ok(Math.abs(c.auth_time - Date.now() / 1000) < 60);
  assert.match(c.sub, /^[A-Za-z0-9_-]{43}$/, 'a pairwise subject');
  assert.ok(s.tokens.refresh_token);
  assert.equal(s.tokens.token_type, 'bearer');
  assert.equal(s.tokens.expires_in, 600);
  s.subA = c.sub;
});

test('userinfo releases the granted claims, the ID number only with its scope', { skip }, async () => {
  const info = await client.fetchUserInfo(s.configA, s.tokens.access_token, s.subA);
  assert.equal(info.sub, s.subA);
  assert.equal(info.name, s.person.name);
  assert.equal(info.locale, 'zh-CN');
  assert.equal(info.phone_number, `+86${s.person.phone}`);
  assert.equal(info.id_number, s.person.id_number);
  // POST with the token in the body works too (RFC 6750 §2.2).
  const r = await fetch(`${srv.url}/oauth2/userinfo`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `access_token=${s.tokens.access_token}`,
  });
  assert.equal(r.status, 200);
  assert.equal((await r.json()).sub, s.subA);
});

test('access tokens are JWTs that verify against the published JWKS (jose)', { skip }, async () => {
  const jwks = jose.createRemoteJWKSet(new URL(`${ISSUER}/oauth2/jwks`));
  const { payload, protectedHeader } = await jose.jwtVerify(s.tokens.access_token, jwks, {
    issuer: ISSUER, audience: s.a.id, algorithms: ['ES256'],
  });
  assert.equal(protectedHeader.alg, 'ES256');
  assert.ok(protectedHeader.kid);
  assert.equal(payload.client_id, s.a.id);
  assert.equal(payload.sub, s.subA);
  assert.equal(payload.scope, 'id_number openid phone profile');
  assert.ok(payload.jti);
  assert.equal(payload.exp - payload.iat, 600);
});

test('single sign-on: system B logs the same citizen in without a password', { skip }, async () => {
  s.b = addClient('社会保障系统', [`redirect=${CB_B}`, 'scopes=openid profile']);
  s.configB = await client.discovery(new URL(ISSUER), s.b.id, undefined,
    client.ClientSecretBasic(s.b.secret), { execute: EXECUTE });
  const req = await authRequest(s.configB, CB_B, 'openid profile');
  const page = await s.browser.walk(req.url);
  assert.equal(page.res.status, 200, 'straight to the consent page: no login form');
  const html = await page.res.clone().text();
  assert.match(html, /社会保障系统/);
  assert.doesNotMatch(html, /name="password"/);
  const back = await consent(s.browser, page.res);
  const tokens = await client.authorizationCodeGrant(s.configB, back, {
    pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce,
  });
  const sub = tokens.claims().sub;
  assert.notEqual(sub, s.subA, 'subjects are pairwise: systems cannot correlate people by sub');
  const info = await client.fetchUserInfo(s.configB, tokens.access_token, sub);
  assert.equal(info.name, s.person.name);
  assert.equal(info.phone_number, undefined, 'no phone scope, no phone number');
  assert.equal(info.id_number, undefined, 'no id_number scope, no ID number');

  // Back at A: consent is remembered, so prompt=none gets a code without any page.
  const again = await authRequest(s.configA, CB_A, 'openid profile', { prompt: 'none' });
  const walked = await s.browser.walk(again.url);
  assert.ok(walked.away, 'sent straight back to the system');
  assert.ok(walked.away.searchParams.get('code'));
  const t2 = await client.authorizationCodeGrant(s.configA, walked.away, {
    pkceCodeVerifier: again.verifier, expectedState: again.state, expectedNonce: again.nonce,
  });
  assert.equal(t2.claims().sub, s.subA);

  // prompt=none cannot be combined with anything else (OIDC Core §3.1.2.1).
  const mixed = await authRequest(s.configB, CB_B, 'openid profile', { prompt: 'none consent' });
  const bad = await s.browser.walk(mixed.url);
  assert.equal(bad.away.searchParams.get('error'), 'invalid_request');
});

test('refresh tokens rotate, and reusing a spent one revokes the whole family', { skip }, async () => {
  const r1 = await client.refreshTokenGrant(s.configA, s.tokens.refresh_token);
  assert.ok(r1.refresh_token);
  assert.notEqual(r1.refresh_token, s.tokens.refresh_token);
  assert.equal(r1.claims().sub, s.subA);
  const r2 = await client.refreshTokenGrant(s.configA, r1.refresh_token);
  assert.equal((await userinfoStatus(r2.access_token)).status, 200);

  // The first token, stolen and replayed after rotation:
  await assert.rejects(client.refreshTokenGrant(s.configA, s.tokens.refresh_token),
    (e) => e.error === 'invalid_grant');
  // ... revokes the family: the latest refresh token and access token are dead too.
  await assert.rejects(client.refreshTokenGrant(s.configA, r2.refresh_token),
    (e) => e.error === 'invalid_grant');
  const u = await userinfoStatus(r2.access_token);
  assert.equal(u.status, 401);
  assert.match(u.challenge, /^Bearer .*error="invalid_token"/);
});

test('a code is single-use: a replay is refused and revokes what it issued', { skip }, async () => {
  const req = await authRequest(s.configA, CB_A, 'openid', { prompt: 'none' });
  const { away } = await s.browser.walk(req.url);
  const code = away.searchParams.get('code');
  const tokens = await client.authorizationCodeGrant(s.configA, away, {
    pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce,
  });
  assert.equal((await userinfoStatus(tokens.access_token)).status, 200);
  const replay = await tokenRequest(s.a.id, s.a.secret, {
    grant_type: 'authorization_code', code, redirect_uri: CB_A, code_verifier: req.verifier,
  });
  assert.equal(replay.status, 400);
  assert.equal((await replay.json()).error, 'invalid_grant');
  assert.equal((await userinfoStatus(tokens.access_token)).status, 401);
  await assert.rejects(client.refreshTokenGrant(s.configA, tokens.refresh_token), (e) => e.error === 'invalid_grant');
});

// Issue 19: the code is spent and read in one UPDATE ... RETURNING, and the answer is
// written as text. Another system's request leaves the code alone; of requests at once,
// exactly one gets tokens, and the others, being replays, revoke them.
test('a code exchanged by several requests at once gives tokens once, then revokes them', { skip }, async () => {
  const req = await authRequest(s.configA, CB_A, 'openid', { prompt: 'none' });
  const { away } = await s.browser.walk(req.url);
  const form = { grant_type: 'authorization_code', code: away.searchParams.get('code'),
    redirect_uri: CB_A, code_verifier: req.verifier };
  const other = await tokenRequest(s.b.id, s.b.secret, { ...form, redirect_uri: CB_B });
  assert.equal(other.status, 400);
  assert.match((await other.json()).error_description, /another client/);
  const answers = await Promise.all(Array.from({ length: 6 }, () => tokenRequest(s.a.id, s.a.secret, form)));
  const ok = answers.filter((r) => r.status === 200);
  assert.equal(ok.length, 1, `statuses: ${answers.map((r) => r.status)}`);
  assert.match(ok[0].headers.get('content-type'), /^application\/json/);
  assert.equal(ok[0].headers.get('cache-control'), 'no-store');
  const body = JSON.parse(await ok[0].text());
  assert.deepEqual(Object.keys(body).sort(),
    ['access_token', 'expires_in', 'id_token', 'refresh_token', 'scope', 'token_type']);
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, 600);
  assert.equal(body.scope, 'openid');
  for (const r of answers.filter((x) => x.status !== 200)) {
    assert.equal(r.status, 400);
    assert.equal((await r.json()).error, 'invalid_grant');
  }
  assert.equal((await userinfoStatus(body.access_token)).status, 401);
  const refresh = await tokenRequest(s.a.id, s.a.secret, { grant_type: 'refresh_token', refresh_token: body.refresh_token });
  assert.equal(refresh.status, 400);
});

test('PKCE: S256 is required, plain is refused, a wrong verifier gets nothing', { skip }, async () => {
  const base = { client_id: s.a.id, redirect_uri: CB_A, response_type: 'code', scope: 'openid', state: 'st-1' };
  for (const extra of [{}, { code_challenge: 'abc', code_challenge_method: 'plain' },
    { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' }]) {
    const { away } = await s.browser.walk(`/oauth2/authorize?${new URLSearchParams({ ...base, ...extra })}`);
    assert.equal(away.searchParams.get('error'), 'invalid_request');
    assert.equal(away.searchParams.get('state'), 'st-1');
    assert.equal(away.searchParams.get('iss'), ISSUER);
    assert.equal(away.searchParams.get('code'), null);
  }
  const req = await authRequest(s.configA, CB_A, 'openid', { prompt: 'none' });
  const { away } = await s.browser.walk(req.url);
  const wrong = await tokenRequest(s.a.id, s.a.secret, {
    grant_type: 'authorization_code', code: away.searchParams.get('code'), redirect_uri: CB_A,
    code_verifier: client.randomPKCECodeVerifier(),
  });
  assert.equal(wrong.status, 400);
  assert.equal((await wrong.json()).error, 'invalid_grant');
  // The code is spent by the failed attempt: the right verifier is too late.
  await assert.rejects(client.authorizationCodeGrant(s.configA, away, {
    pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce,
  }), (e) => e.error === 'invalid_grant');
});

test('an unregistered redirect URI gets an error page, never a redirect', { skip }, async () => {
  for (const uri of [`${CB_A}/`, `${CB_A}?x=1`, 'http://127.0.0.1:9/evil', CB_A.toUpperCase(), `${CB_B}`]) {
    const r = await s.browser.req(`/oauth2/authorize?${new URLSearchParams({
      client_id: s.a.id, redirect_uri: uri, response_type: 'code', scope: 'openid', state: 'x',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    })}`);
    assert.equal(r.status, 400, uri);
    assert.equal(r.headers.get('location'), null);
    assert.match(r.headers.get('content-type'), /text\/html/);
    assert.match(await r.text(), /未在平台登记/);
  }
  const unknown = await s.browser.req(`/oauth2/authorize?client_id=nobody&redirect_uri=${encodeURIComponent(CB_A)}`);
  assert.equal(unknown.status, 400);
  assert.equal(unknown.headers.get('location'), null);
});

test('a wrong client secret is 401 invalid_client with a Basic challenge', { skip }, async () => {
  const r = await tokenRequest(s.a.id, 'not-the-secret', { grant_type: 'client_credentials' });
  assert.equal(r.status, 401);
  assert.match(r.headers.get('www-authenticate'), /^Basic /);
  const body = await r.json();
  assert.equal(body.error, 'invalid_client');
  assert.ok(body.error_description);
  const post = await fetch(`${srv.url}/oauth2/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: s.a.id, client_secret: s.a.secret }),
  });
  assert.equal(post.status, 401, 'client_secret_post is not offered');
  const json = await tokenRequest(s.a.id, s.a.secret, { grant_type: 'password', username: 'u', password: 'p' });
  assert.equal((await json.json()).error, 'unsupported_grant_type');
});

test('tampered and alg=none tokens are refused at userinfo', { skip }, async () => {
  const [h, p] = s.tokens.access_token.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url'));
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
  const tampered = [h, Buffer.from(JSON.stringify({ ...payload, exp: payload.exp + 86400 })).toString('base64url'),
    s.tokens.access_token.split('.')[2]].join('.');
  const hs256 = `${Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')}.${p}.${
    Buffer.alloc(32).toString('base64url')}`;
  for (const t of [none, tampered, hs256, s.tokens.id_token, 'garbage']) {
    const u = await userinfoStatus(t);
    assert.equal(u.status, 401);
    assert.match(u.challenge, /^Bearer realm="onewindow", error="invalid_token"/);
    assert.equal(u.body.error, 'invalid_token');
  }
  const anon = await fetch(`${srv.url}/oauth2/userinfo`);
  assert.equal(anon.status, 401);
  assert.match(anon.headers.get('www-authenticate'), /^Bearer realm="onewindow"$/);
});

test('client credentials: system-to-system tokens carry API scopes only', { skip }, async () => {
  const t = await client.clientCredentialsGrant(s.configA, { scope: 'exchange:read' });
  assert.equal(t.scope, 'exchange:read');
  assert.equal(t.refresh_token, undefined);
  const { payload } = await jose.jwtVerify(t.access_token, jose.createRemoteJWKSet(new URL(`${ISSUER}/oauth2/jwks`)),
    { issuer: ISSUER });
  assert.equal(payload.sub, s.a.id);
  assert.equal((await userinfoStatus(t.access_token)).status, 401, 'no person behind it');
  await assert.rejects(client.clientCredentialsGrant(s.configA, { scope: 'openid id_number' }),
    (e) => e.error === 'invalid_scope');
});

test('private_key_jwt: a client authenticates with a signed assertion', { skip }, async () => {
  const { publicKey, privateKey } = await crypto.subtle.generateKey(
    { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const jwk = { ...(await crypto.subtle.exportKey('jwk', publicKey)), kid: 'gw-2024', alg: 'ES256', use: 'sig' };
  delete jwk.key_ops;
  delete jwk.ext;
  const dir = mkdtempSync(join(tmpdir(), 'ow-jwks-'));
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
  const gw = addClient('数据共享交换网关', [`redirect=${CB_B}`, 'scopes=openid exchange:read',
    'grants=authorization_code client_credentials', 'auth=private_key_jwt', `jwks=${join(dir, 'jwks.json')}`]);
  rmSync(dir, { recursive: true, force: true });
  assert.equal(gw.secret, undefined, 'no secret for private_key_jwt');
  const config = await client.discovery(new URL(ISSUER), gw.id, undefined,
    client.PrivateKeyJwt({ key: privateKey, kid: 'gw-2024' }), { execute: EXECUTE });
  const cc = await client.clientCredentialsGrant(config, { scope: 'exchange:read' });
  assert.equal(cc.scope, 'exchange:read');

  // The same client logs the citizen in: silently impossible before consent ...
  const silent = await authRequest(config, CB_B, 'openid', { prompt: 'none' });
  assert.equal((await s.browser.walk(silent.url)).away.searchParams.get('error'), 'consent_required');
  // ... so through the consent page.
  const req = await authRequest(config, CB_B, 'openid');
  const page = await s.browser.walk(req.url);
  assert.equal(page.res.status, 200);
  const back = await consent(s.browser, page.res);
  const tokens = await client.authorizationCodeGrant(config, back, {
    pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce,
  });
  assert.equal(tokens.claims().aud, gw.id);

  // An assertion signed by another key is refused.
  const other = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const impostor = await client.discovery(new URL(ISSUER), gw.id, undefined,
    client.PrivateKeyJwt({ key: other.privateKey, kid: 'gw-2024' }), { execute: EXECUTE });
  await assert.rejects(client.clientCredentialsGrant(impostor), (e) => e.error === 'invalid_client');
});

test('consent: its form needs the CSRF token; refusing sends access_denied back', { skip }, async () => {
  const req = await authRequest(s.configA, CB_A, 'openid', { prompt: 'consent' });
  const page = await s.browser.walk(req.url);
  assert.equal(page.res.status, 200);
  const html = await page.res.text();
  const { _csrf, ...fields } = hiddenFields(html);
  assert.ok(_csrf);
  const forged = await s.browser.req('/oauth2/consent', { method: 'POST', form: { ...fields, decision: 'allow' } });
  assert.equal(forged.status, 403);
  assert.equal(forged.headers.get('location'), null);
  const res = await s.browser.req('/oauth2/consent', {
    method: 'POST', form: { ...hiddenFields(html), _csrf: csrfOf(html), decision: 'deny' },
  });
  const back = new URL(res.headers.get('location'));
  assert.equal(back.searchParams.get('error'), 'access_denied');
  assert.equal(back.searchParams.get('state'), req.state);
});

test('RP-initiated logout ends the session and returns to a registered URI only', { skip }, async () => {
  const bad = await s.browser.req(client.buildEndSessionUrl(s.configA, {
    id_token_hint: s.tokens.id_token, post_logout_redirect_uri: 'http://127.0.0.1:9/evil',
  }));
  assert.equal(bad.status, 400);
  assert.equal(bad.headers.get('location'), null);

  const url = client.buildEndSessionUrl(s.configA, {
    id_token_hint: s.tokens.id_token, post_logout_redirect_uri: BYE_A, state: 'bye-1',
  });
  const res = await s.browser.req(url);
  assert.equal(res.status, 303);
  const back = new URL(res.headers.get('location'));
  assert.equal(`${back.origin}${back.pathname}`, BYE_A);
  assert.equal(back.searchParams.get('state'), 'bye-1');
  // Logged out: a silent login attempt now says so.
  const req = await authRequest(s.configA, CB_A, 'openid', { prompt: 'none' });
  const { away } = await s.browser.walk(req.url);
  assert.equal(away.searchParams.get('error'), 'login_required');
});

test('the client administration pages are for administrators only', { skip }, async () => {
  const anon = await new Browser().req('/admin/clients');
  assert.equal(anon.status, 303);
  assert.match(anon.headers.get('location'), /^\/login/);
  const citizen = new Browser();
  await register(citizen, '/account');
  const denied = await citizen.req('/admin/clients');
  assert.equal(denied.status, 403);
});

test('staff log in with two factors (acr aal2) and administrators manage systems', { skip }, async () => {
  const username = `oidc-admin-${process.pid}-${Date.now() % 100000}`;
  const password = 'Staff-Passw0rd-2024';
  const common = ['--data', srv.data, '--db', srv.db];
  let r = run(['user', 'staff', 'add', username, '管理员', ...common], { env: { ONEWINDOW_NEW_PASSWORD: password }, timeout: 20000 });
  assert.equal(r.status, 0, r.stderr);
  r = run(['user', 'grant', username, 'platform', 'admin', ...common], { timeout: 20000 });
  assert.equal(r.status, 0, r.stderr);

  // A staff member with only a password is not logged in as far as OIDC is concerned.
  const b = new Browser();
  const req = await authRequest(s.configA, CB_A, 'openid profile');
  const first = await b.req(req.url);
  const next = new URL(first.headers.get('location'), srv.url).searchParams.get('next');
  const form = await b.req(`/login?next=${encodeURIComponent(next)}`);
  let res = await b.req('/login', { method: 'POST', form: { _csrf: csrfOf(await form.text()), login: username, password, next } });
  assert.equal(res.status, 303);
  const half = await b.req(req.url); // aal 0: sent to log in again, no code
  assert.equal(new URL(half.headers.get('location'), srv.url).pathname, '/login');
  // Enrol TOTP (staff must), which completes the login at level 2.
  const enrol = await b.walk(res.headers.get('location'));
  assert.equal(enrol.url.pathname, '/account/totp');
  const page = await enrol.res.text();
  const secret = unescape(/name="secret" value="([^"]+)"/.exec(page)[1]);
  res = await b.req('/account/totp', {
    method: 'POST', form: { _csrf: csrfOf(page), secret, code: totpNow(secret), next: enrol.url.searchParams.get('next') ?? next },
  });
  assert.ok([200, 303].includes(res.status), `TOTP enrolment: ${res.status}`);

  const page2 = await b.walk(req.url);
  const back = page2.away ?? await consent(b, page2.res);
  const tokens = await client.authorizationCodeGrant(s.configA, back, {
    pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce,
  });
  assert.equal(tokens.claims().acr, 'aal2');
  assert.deepEqual(tokens.claims().amr, ['pwd', 'otp']);

  // The administration pages: list, register (errors all at once, then the secret once), remove.
  const list = await b.req('/admin/clients');
  assert.equal(list.status, 200);
  assert.match(await list.text(), /不动产登记系统/);
  const blank = await b.req('/admin/clients/new');
  assert.equal(blank.status, 200);
  const csrf = csrfOf(await blank.text());
  const bad = await b.req('/admin/clients/new', {
    method: 'POST', form: { _csrf: csrf, name: '', redirect_uris: 'ftp://x', grant_types: 'authorization_code', scopes: 'openid' },
  });
  assert.equal(bad.status, 422);
  const badHtml = await bad.text();
  assert.match(badHtml, /请填写系统名称/);
  assert.match(badHtml, /必须是完整的 https 地址/);
  const body = new URLSearchParams({ _csrf: csrf, name: '公积金系统', redirect_uris: 'https://gjj.example.cn/cb\nhttps://gjj.example.cn/cb2', auth_method: 'client_secret_basic' });
  for (const v of ['openid', 'profile']) body.append('scopes', v);
  for (const v of ['authorization_code', 'refresh_token']) body.append('grant_types', v);
  const made = await fetch(`${srv.url}/admin/clients/new`, {
    method: 'POST', redirect: 'manual', body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
  });
  assert.equal(made.status, 201);
  const created = await made.json();
  assert.match(created.client_id, /^[0-9a-f]{32}$/);
  assert.match(created.client_secret, /^[A-Za-z0-9_-]{43}$/);
  const listed = await (await fetch(`${srv.url}/admin/clients`, {
    headers: { accept: 'application/json', cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
  })).json();
  const row = listed.clients.find((c) => c.client_id === created.client_id);
  assert.deepEqual(row.redirect_uris, ['https://gjj.example.cn/cb', 'https://gjj.example.cn/cb2']);
  assert.equal(row.scopes, 'openid profile');
  assert.equal(JSON.stringify(listed).includes(created.client_secret), false, 'the secret is never shown again');
  // Removing asks first (issue 10 item 8): the list links to a question with a red button;
  // a POST without confirm=1 removes nothing and asks again.
  const listHtml = await (await b.req('/admin/clients')).text();
  assert.match(listHtml, new RegExp(`<a class="button danger" href="${row.remove_url}"`));
  const question = await b.req(row.remove_url);
  assert.equal(question.status, 200);
  const qHtml = await question.text();
  assert.match(qHtml, /class="confirm"/);
  assert.match(qHtml, /公积金系统/);
  assert.match(qHtml, /<button type="submit" class="danger">确认移除<\/button>/);
  assert.match(qHtml, /name="confirm" value="1"/);
  const unconfirmed = await b.req(row.remove_url, { method: 'POST', form: { _csrf: csrf } });
  assert.equal(unconfirmed.status, 200, 'no confirm: the question again');
  assert.match(await (await b.req('/admin/clients')).text(), /公积金系统/, 'still there');
  const removed = await b.req(row.remove_url, { method: 'POST', form: { _csrf: csrf, confirm: '1' } });
  assert.equal(removed.status, 303);
  assert.equal(removed.headers.get('location'), '/admin/clients?done=oidc_client_removed');
  const after = await (await b.req('/admin/clients?done=oidc_client_removed')).text();
  assert.match(after, /已移除该对接系统/);
  assert.doesNotMatch(after, /公积金系统/);
  const gone = await b.req(`/oauth2/authorize?client_id=${created.client_id}&redirect_uri=${encodeURIComponent('https://gjj.example.cn/cb')}`);
  assert.equal(gone.status, 400);
});

test('logging out everywhere also revokes what department systems hold (refresh and access tokens)', { skip }, async () => {
  const b = new Browser();
  const req = await authRequest(s.configA, CB_A, 'openid profile');
  const first = await b.req(req.url);
  const next = new URL(first.headers.get('location'), srv.url).searchParams.get('next');
  await register(b, next);
  const page = await b.walk(next);
  assert.equal(page.res.status, 200, 'the consent page');
  const back = await consent(b, page.res);
  const tokens = await client.authorizationCodeGrant(s.configA, back, {
    pkceCodeVerifier: req.verifier, expectedState: req.state, expectedNonce: req.nonce,
  });
  const sub = tokens.claims().sub;
  assert.equal((await client.fetchUserInfo(s.configA, tokens.access_token, sub)).sub, sub);

  // The person logs out on every device from their account page.
  const account = await b.req('/account');
  const out = await b.req('/account/logout-all', { method: 'POST', form: { _csrf: csrfOf(await account.text()) } });
  assert.equal(out.status, 303);

  await assert.rejects(client.refreshTokenGrant(s.configA, tokens.refresh_token),
    (e) => e.error === 'invalid_grant', 'the refresh token is revoked');
  const info = await userinfoStatus(tokens.access_token);
  assert.equal(info.status, 401, 'the access token no longer opens userinfo');
  assert.match(info.challenge ?? '', /invalid_token/);
});
