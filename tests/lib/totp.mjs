// totp.mjs - RFC 6238 codes (HMAC-SHA1, 6 digits, 30 s steps) for the tests' staff logins.
//
// The server accepts each step once per account (replay protection) and a window of one step
// either side. So a test that logs the same account in several times takes the next unused
// step, and when that step is more than one ahead of the clock it waits for the clock to catch
// up rather than send a code the server must refuse.
import { createHmac } from 'node:crypto';

export const DEMO_TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const STEP_MS = 30000;

function base32(secret) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, acc = 0;
  const key = [];
  for (const ch of secret.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${ch}`);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) { key.push((acc >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  return Buffer.from(key);
}

export function totp(step, secret = DEMO_TOTP_SECRET) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', base32(secret)).update(msg).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

export function totpNow(secret = DEMO_TOTP_SECRET) {
  return totp(Math.floor(Date.now() / STEP_MS), secret);
}

const used = new Map();
// A code for account that the server has not seen yet (resolves after a wait when needed).
export async function freshTotp(account, secret = DEMO_TOTP_SECRET) {
  const step = Math.max(Math.floor(Date.now() / STEP_MS), (used.get(account) ?? -Infinity) + 1);
  used.set(account, step);
  const wait = (step - 1) * STEP_MS - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait + 200));
  return totp(step, secret);
}
