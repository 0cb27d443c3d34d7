// bench/ask_http.mjs - /api/v1/ask over HTTP (bench/ask.sh): every question of the
// evaluation set ROUNDS times, one request at a time (keep-alive), against a running server;
// prints p50/p99 of the request time in ms as key=value lines.
//
//   node bench/ask_http.mjs URL ROUNDS
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const [url, rounds = '3'] = process.argv.slice(2);
const { questions } = JSON.parse(readFileSync(join(ROOT, 'data', 'ask', 'questions.json'), 'utf8'));
const times = [];
for (let r = 0; r < Number(rounds); r++) {
  for (const q of questions) {
    const t0 = performance.now();
    const res = await fetch(`${url}/api/v1/ask?${new URLSearchParams({ q: q.q, lang: q.lang })}`);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${q.q}: ${res.status}`);
    times.push(performance.now() - t0);
  }
}
times.sort((a, b) => a - b);
const at = (p) => times[Math.min(times.length - 1, Math.ceil(times.length * p) - 1)];
console.log(`ask_http_requests=${times.length}`);
console.log(`ask_http_p50_ms=${at(0.5).toFixed(2)}`);
console.log(`ask_http_p99_ms=${at(0.99).toFixed(2)}`);
