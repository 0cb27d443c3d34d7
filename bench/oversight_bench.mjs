// bench/oversight_bench.mjs URL N YEAR - sequential latencies (one client, keep-alive) of the
// dashboard for the region and one year (and a period with days at both edges), the regional
// supervisor's subtree queue, the drill-down of the received figure, and the static
// stylesheet as the baseline, N requests each after 10 of warm-up; prints p50/p99.
import { login } from '../tests/lib/client.mjs';

const [url, n = '200', year] = process.argv.slice(2);
const srv = { url, port: Number(new URL(url).port) };
const c = await login(srv, 'supervisor.xz', { staff: true });
async function measure(path) {
  const t = [];
  for (let i = 0; i < Number(n) + 10; i++) {
    const t0 = process.hrtime.bigint();
    const r = await c.get(path, { json: false });
    const t1 = process.hrtime.bigint();
    if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
    if (i >= 10) t.push(Number(t1 - t0) / 1e6);
  }
  t.sort((a, b) => a - b);
  const q = (p) => t[Math.min(t.length - 1, Math.ceil(p * t.length) - 1)].toFixed(2);
  return { p50: q(0.5), p99: q(0.99) };
}
const base = await measure('/static/site.css');
const dash = await measure(`/dashboard?from=${year}-01-01&to=${year}-12-31`);
const edge = await measure(`/dashboard?from=${year}-01-04&to=${year}-12-26`);
const queue = await measure('/oversight');
const drill = await measure(`/oversight/figures?figure=received&from=${year}-01-01&to=${year}-12-31`);
const ratio = (a) => (Number(a) / Number(base.p99)).toFixed(1);
console.log(`baseline GET /static/site.css: p50 ${base.p50} ms, p99 ${base.p99} ms`);
console.log(`GET /dashboard (region, one year): p50 ${dash.p50} ms, p99 ${dash.p99} ms (${ratio(dash.p99)}x baseline p99); target p99 < 100 ms`);
console.log(`GET /dashboard (region, ${year}-01-04 to ${year}-12-26: days at both edges): p50 ${edge.p50} ms, p99 ${edge.p99} ms (${ratio(edge.p99)}x baseline p99)`);
console.log(`GET /oversight (region's subtree queue): p50 ${queue.p50} ms, p99 ${queue.p99} ms (${ratio(queue.p99)}x baseline p99); target p99 < 50 ms`);
console.log(`GET /oversight/figures (the received cases behind the region's year, first 200): p50 ${drill.p50} ms, p99 ${drill.p99} ms (${ratio(drill.p99)}x baseline p99)`);
console.log(`oversight_dashboard_p99_ms=${dash.p99}`);
console.log(`oversight_queue_p99_ms=${queue.p99}`);
