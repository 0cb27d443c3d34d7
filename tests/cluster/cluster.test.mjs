// tests/cluster/cluster.test.mjs - onewindow beyond one machine, on one machine (issue 17,
// docs/deploy.md): HAProxy in front of two nodes on a PostgreSQL primary with a streaming
// replica (scripts/pg-cluster.sh), all on 127.0.0.1, each process started and stopped
// here by its pid.
//   1. throughput: direct to a node, through HAProxy with one node, with two (figures);
//   2. under write load, SIGKILL one node: the other serves on, HAProxy's health check
//      (/readyz) drops the dead one, every acknowledged order is in the database;
//   3. stop the primary and promote the replica: the nodes reconnect through the libpq
//      multi-host URL (target_session_attrs=read-write); answers in the switch are 503 with
//      Retry-After, never a wrong one; writes resume; every acknowledged order is there;
//   4. the notification delivery job runs once across the nodes (its lease): every queued
//      message is delivered exactly once (run before the kill: a killed holder's lease
//      lasts its 30 s before the other node takes the job over, docs/deploy.md).
// Prints the figures the issue asks for (lost/wrong requests, time to recover, throughput).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, copyFileSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import net from 'node:net';
import { ROOT, run, startServer } from '../lib/server.mjs';
import { psql } from '../lib/db.mjs';

const PGC = join(ROOT, 'scripts', 'pg-cluster.sh');
const figures = [];
const figure = (line) => { figures.push(line); console.log(`# figure: ${line}`); };

let base, pgDir, url, nodes = [], haproxy, haPorts, nodePorts, dataDirs;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

const sql = (q) => {
  const r = psql(url, q);
  assert.equal(r.status, 0, `${q}: ${r.stderr}`);
  return r.stdout.trim();
};

// The node that answered, from the request id (ids carry the node number: src/base/id.h).
const nodeOf = (rid) => Number((BigInt(`0x${rid}`) >> 12n) & 1023n);

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function request(port, path, { method = 'GET', body, headers = {} } = {}) {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent, headers: { accept: 'application/json', ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
      res.on('error', (e) => resolve({ status: 0, error: e.code, headers: {} }));
    });
    req.on('error', (e) => resolve({ status: 0, error: e.code, headers: {} }));
    req.end(body);
  });
}

async function poll(what, fn, { capMs = 20000, everyMs = 100 } = {}) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return Date.now() - t0;
    if (Date.now() - t0 > capMs) assert.fail(`${what}: not within ${capMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// HAProxy's view of the servers (stats socket): { n1: 'UP' | 'DOWN' | ..., n2: ... }.
function haStatus() {
  return new Promise((resolve) => {
    const s = net.connect(join(base, 'haproxy.sock'));
    let out = '';
    s.on('connect', () => s.write('show stat\n'));
    s.on('data', (c) => { out += c; });
    s.on('error', () => resolve({}));
    s.on('end', () => {
      const st = {};
      for (const line of out.split('\n')) {
        const f = line.split(',');
        if (f[0] === 'nodes' && /^n\d$/.test(f[1])) st[f[1]] = f[17];
      }
      resolve(st);
    });
  });
}

async function startNode(i) {
  return startServer({
    init: false, data: dataDirs[i - 1], db: url,
    args: ['--node-id', String(i), '--threads', '4', '--trusted-proxy', '127.0.0.1', '--log-requests', '0',
      '--listen', `127.0.0.1:${nodePorts[i - 1]}`],
  });
}

function writeHaproxyConfig() {
  const [n1, n2] = nodes.map((n) => n.port);
  writeFileSync(join(base, 'haproxy.cfg'), `# written by tests/cluster/cluster.test.mjs (docs/deploy.md has the annotated one)
global
  maxconn 2000
  stats socket ${base}/haproxy.sock mode 600 level user
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  option forwardfor
  option redispatch
  retries 3
  retry-on conn-failure empty-response
  http-error status 503 content-type "text/plain; charset=utf-8" string "no node can serve now: try again" hdr Retry-After 2
backend nodes
  balance roundrobin
  option httpchk
  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host localhost
  default-server inter 300ms fall 2 rise 2
  server n1 127.0.0.1:${n1} check
  server n2 127.0.0.1:${n2} check
backend one
  option httpchk
  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host localhost
  server n1 127.0.0.1:${n1} check inter 300ms
frontend both
  bind 127.0.0.1:${haPorts.both}
  default_backend nodes
frontend single
  bind 127.0.0.1:${haPorts.single}
  default_backend one
`);
}

async function startHaproxy() {
  writeHaproxyConfig();
  const p = spawn('haproxy', ['-db', '-f', join(base, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  p.stderr.on('data', (c) => { log += c; });
  const exited = new Promise((r) => p.on('exit', (code, signal) => r({ code, signal })));
  haproxy = { proc: p, log: () => log, exited };
  await poll('HAProxy sees both nodes up', async () => {
    const st = await haStatus();
    return st.n1 === 'UP' && st.n2 === 'UP';
  });
}

before(async () => {
  base = mkdtempSync(join(tmpdir(), 'ow-cluster-'));
  chmodSync(base, 0o755);
  pgDir = join(base, 'pg');
  const [p1, p2, both, single] = [await freePort(), await freePort(), await freePort(), await freePort()];
  haPorts = { both, single };
  nodePorts = [await freePort(), await freePort()];
  const r = spawnSync(PGC, ['start', pgDir, String(p1), String(p2)], { encoding: 'utf8', timeout: 90000 });
  assert.equal(r.status, 0, `pg-cluster start: ${r.stderr}`);
  url = r.stdout.trim();
  dataDirs = [join(base, 'n1'), join(base, 'n2')];
  const init = run(['init', '--data', dataDirs[0], '--db', url], { timeout: 60000 });
  assert.equal(init.status, 0, init.stderr);
  // The same key file on every node (docs/deploy.md).
  mkdirSync(join(dataDirs[1], 'keys'), { recursive: true, mode: 0o700 });
  copyFileSync(join(dataDirs[0], 'keys', 'master.key'), join(dataDirs[1], 'keys', 'master.key'));
  chmodSync(join(dataDirs[1], 'keys', 'master.key'), 0o600);
  nodes = [await startNode(1), await startNode(2)];
  await startHaproxy();
});

after(async () => {
  agent.destroy();
  if (haproxy && haproxy.proc.exitCode === null) { haproxy.proc.kill('SIGTERM'); await haproxy.exited; }
  for (const n of nodes) if (n) await n.stop({ keepData: true });
  spawnSync(PGC, ['stop', pgDir], { encoding: 'utf8' });
  rmSync(base, { recursive: true, force: true });
  console.log(`# cluster figures:\n${figures.map((f) => `#   ${f}`).join('\n')}`);
});

// ---- load ------------------------------------------------------------------------------

// One anonymous hotline order through `port` (the CSRF token of the form page first, with
// its cookie): {ack: number|null, status, retryAfter, node}.
async function order(port, n) {
  const page = await request(port, '/hotline/submit');
  if (page.status !== 200 || !page.json?.csrf) return { ack: null, status: page.status, retryAfter: page.headers['retry-after'], step: 'page' };
  const cookie = (page.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
  const body = new URLSearchParams({
    description: `集群测试工单 ${n}：路灯不亮，请尽快修理。`, division: '540102005000', address: '扎细街道',
    phone: '13922224444', channel: 'mobile', _csrf: page.json.csrf,
  }).toString();
  const r = await request(port, '/hotline/submit', {
    method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
  });
  const number = r.status === 201 ? r.json?.number : null;
  return { ack: number ?? null, status: r.status, retryAfter: r.headers['retry-after'], node: r.headers['x-request-id'] ? nodeOf(r.headers['x-request-id']) : 0, text: r.text };
}

// `workers` loops of orders until stop() is called; returns what each answer was.
function load(port, workers) {
  let running = true;
  const results = [];
  let n = 0;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const t = Date.now();
      const r = await order(port, n++);
      results.push({ ...r, t });
      if (r.status !== 201) await new Promise((res) => setTimeout(res, 20));
    }
  });
  return { results, async stop() { running = false; await Promise.all(loops); return results; } };
}

function ackedPresent(results) {
  const acked = results.filter((r) => r.ack).map((r) => r.ack);
  if (acked.length === 0) return { acked, missing: [] };
  const have = new Set(sql(`SELECT number FROM hotline_orders WHERE number IN (${acked.map((a) => `'${a}'`).join(',')})`).split('\n'));
  return { acked, missing: acked.filter((a) => !have.has(a)) };
}

// Time to recover: the longest stretch after `from` with no acknowledged write (ms),
// measured from `from` to the first acknowledgement and between acknowledgements.
function recovery(results, from) {
  const ok = results.filter((r) => r.ack && r.t >= from).map((r) => r.t).sort((a, b) => a - b);
  if (!ok.length) return Infinity;
  let gap = ok[0] - from;
  for (let i = 1; i < ok.length; i++) gap = Math.max(gap, ok[i] - ok[i - 1]);
  return gap;
}

async function throughput(port, path, total, concurrency) {
  let done = 0, bad = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (done < total) {
      done++;
      const r = await request(port, path);
      if (r.status !== 200) bad++;
    }
  }));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { rps: total / s, bad };
}

// ---- the test --------------------------------------------------------------------------

test('cluster: throughput, a node killed under load, primary failover, jobs once', async (t) => {
  await t.test('throughput: direct, through HAProxy with one node and with two', async () => {
    const path = '/divisions';
    await throughput(nodes[0].port, path, 200, 8); // warm up
    const direct = await throughput(nodes[0].port, path, 2000, 16);
    const one = await throughput(haPorts.single, path, 2000, 16);
    const two = await throughput(haPorts.both, path, 2000, 16);
    for (const x of [direct, one, two]) assert.equal(x.bad, 0);
    figure(`GET ${path}, 16 clients: direct ${direct.rps.toFixed(0)}/s; HAProxy 1 node ${one.rps.toFixed(0)}/s (${(one.rps / direct.rps).toFixed(2)}x); 2 nodes ${two.rps.toFixed(0)}/s (${(two.rps / direct.rps).toFixed(2)}x)`);
  });

  await t.test('the delivery job runs once across the nodes (lease): each message delivered exactly once', async () => {
    const N = 20;
    for (let i = 0; i < N; i++) {
      const r = run(['notify', 'send', String(900000 + i), 'hotline.notice.answered', '{"number":"H1"}', '13800000001', '--data', dataDirs[0], '--db', url]);
      assert.equal(r.status, 0, r.stderr);
    }
    await poll('every message delivered', () => sql("SELECT count(*) FROM notify_outbox WHERE status = 'sent'") === String(N), { capMs: 30000 });
    assert.equal(sql('SELECT count(*) FROM notify_sandbox_sms'), String(N), 'one SMS per message');
    assert.equal(sql('SELECT count(*) FROM notify_outbox WHERE attempts <> 1'), '0', 'no message attempted twice');
    const holder = sql("SELECT holder FROM notify_leases WHERE name = 'notify.delivery'");
    assert.match(holder, /:\d+:/, 'a node holds the lease');
    const pids = nodes.map((n) => String(n.proc.pid));
    assert.ok(pids.some((p) => holder.includes(`:${p}:`)), `the lease holder ${holder} is one of the nodes ${pids}`);
    figure(`jobs: ${N} notifications, ${N} delivered once across 2 nodes (lease holder pid ${holder.split(':')[1]})`);
  });

  await t.test('SIGKILL one node under load: the other serves on, no acknowledged write lost', async () => {
    const l = load(haPorts.both, 8);
    await poll('orders acknowledged by both nodes', () => {
      const nodesSeen = new Set(l.results.filter((r) => r.ack).map((r) => r.node));
      return nodesSeen.has(1) && nodesSeen.has(2);
    });
    const killedAt = Date.now();
    await nodes[0].kill();
    const downAfter = await poll('HAProxy marks the killed node DOWN', async () => (await haStatus()).n1?.startsWith('DOWN'));
    await poll('orders acknowledged after the kill', () => l.results.filter((r) => r.ack && r.t > killedAt + downAfter).length >= 20);
    const results = await l.stop();
    const { acked, missing } = ackedPresent(results);
    const failed = results.filter((r) => !r.ack);
    const wrong = results.filter((r) => (r.status >= 200 && r.status < 300 && !r.ack) || (r.status && ![201, 502, 503].includes(r.status)));
    assert.deepEqual(missing, [], 'every acknowledged order is in the database');
    assert.deepEqual(wrong.map((r) => `${r.status} ${r.text?.slice(0, 80)}`), [], 'no wrong answer');
    assert.ok(results.filter((r) => r.ack && r.t > killedAt + downAfter).every((r) => r.node === 2), 'after the kill, node 2 answers');
    figure(`node kill: ${results.length} requests, ${acked.length} acknowledged (all present), ${failed.length} not acknowledged (${[...new Set(failed.map((r) => r.status || r.error))].join(', ') || '-'}), 0 wrong; HAProxy dropped the node after ${downAfter} ms; longest time without an acknowledged write after the kill ${recovery(results, killedAt)} ms`);
    // Node 1 comes back on the same data directory and port; HAProxy takes it in again.
    nodes[0] = await startNode(1);
    const upAfter = await poll('HAProxy takes the node in again', async () => (await haStatus()).n1 === 'UP');
    figure(`node restart: HAProxy sends it requests again ${upAfter} ms after it listens`);
  });

  await t.test('primary stopped, replica promoted: 503 with Retry-After in the switch, then writes resume', async () => {
    const l = load(haPorts.both, 8);
    await poll('orders acknowledged before the switch', () => l.results.filter((r) => r.ack).length >= 20);
    const switchAt = Date.now();
    const stop = spawnSync(PGC, ['stop-primary', pgDir], { encoding: 'utf8', timeout: 30000 });
    assert.equal(stop.status, 0, stop.stderr);
    const promote = spawnSync(PGC, ['promote', pgDir], { encoding: 'utf8', timeout: 30000 });
    assert.equal(promote.status, 0, promote.stderr);
    const promotedAt = Date.now();
    await poll('orders acknowledged after the promotion', () => l.results.filter((r) => r.ack && r.t > promotedAt).length >= 20, { capMs: 30000 });
    const results = await l.stop();
    const { acked, missing } = ackedPresent(results);
    assert.equal(sql('SELECT pg_is_in_recovery()'), 'f', 'the promoted replica takes writes');
    assert.deepEqual(missing, [], 'every acknowledged order is on the promoted replica');
    const failed = results.filter((r) => !r.ack);
    // In the switch an answer is an acknowledged order or a 503 with Retry-After: nothing else.
    const wrong = results.filter((r) => !r.ack && !(r.status === 503 && r.retryAfter));
    assert.deepEqual(wrong.map((r) => `${r.status || r.error} ${r.step ?? ''} ${r.text?.slice(0, 100)}`), [], 'never a wrong answer');
    for (const n of nodes) assert.match(n.log(), /reconnected to PostgreSQL/);
    figure(`failover: ${results.length} requests, ${acked.length} acknowledged (all present on the promoted replica), ${failed.length} answered 503 + Retry-After, 0 wrong; longest time without an acknowledged write ${recovery(results, switchAt)} ms from the moment the primary began to stop (${promotedAt - switchAt} ms of it stopping and promoting)`);
  });

});
