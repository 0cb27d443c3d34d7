// tests/lib/hotline.mjs - shared by tests/api/hotline.test.mjs, open311.test.mjs and the
// hotline browser test: a server with the demo region on a database of its own (a fresh
// SQLite file, or a fresh PostgreSQL database in the PostgreSQL pass, tests/lib/db.mjs), the
// cookie-jar client of tests/lib/client.mjs, and staff login with the demo TOTP secret.
import assert from 'node:assert/strict';
import { Client, login, FAST, DEMO_PASSWORD, DEMO_TOTP } from './client.mjs';
import { demoServer } from './db.mjs';

export { Client, FAST, DEMO_PASSWORD, DEMO_TOTP };

// A server on its own database, `init` and `demo` run first (tests/lib/db.mjs). Returns
// {srv, db, data, sql, cli, stop, ...}.
export { demoServer };

// Staff login with the demo password and a fresh TOTP code (tests/lib/totp.mjs).
export const staff = (srv, username) => login(srv, username, { staff: true });

// An Open311 API key made with the command line.
export function apiKey(server, name = 'test') {
  const r = server.cli(['open311', 'key', 'create', name]);
  assert.equal(r.status, 0, r.stderr);
  return /\(shown once\): (\S+)/.exec(r.stdout)[1];
}
