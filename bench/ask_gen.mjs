// bench/ask_gen.mjs - passages for the Q&A benchmark (bench/ask.sh).
//
//   node bench/ask_gen.mjs N POLICIES.json KB.jsonl
//
// N passages made from bench/search_gen.mjs's documents (the same deterministic text: zh,
// bo, en and mixed): its work orders become the clauses of policies of 2,000 clauses each
// (imported with `onewindow policy import`, so every clause is a stored, citable passage),
// its knowledge-base articles and policies public knowledge-base documents (`onewindow
// search index-file`). With the demo's guides and policies the index then holds N + ~500
// passages that Q&A answers from.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const [N = '100000', POLICIES = 'policies.json', KB = 'kb.jsonl'] = process.argv.slice(2);
const tmp = mkdtempSync(join(tmpdir(), 'ask-gen-'));
const docsFile = join(tmp, 'docs.jsonl');
const r = spawnSync(process.execPath, [join(ROOT, 'bench', 'search_gen.mjs'), N, docsFile, '/dev/null'], { stdio: 'inherit' });
if (r.status !== 0) process.exit(1);
const policies = [];
const kb = [];
for (const line of readFileSync(docsFile, 'utf8').split('\n')) {
  if (!line) continue;
  const d = JSON.parse(line);
  if (d.kind === 'order') {
    if (!policies.length || policies.at(-1).clauses.length === 2000) {
      const n = policies.length + 1;
      policies.push({
        key: `BENCH-${n}`, number: '', status: 'in_force', issued_on: '2025-01-01', effective_on: '2025-01-01',
        title: { zh: `基准测试政策 ${n}`, bo: `ཚད་ལྟའི་སྲིད་ཇུས། ${n}`, en: `Benchmark policy ${n}` },
        issuer: { zh: '基准测试', bo: 'ཚད་ལྟ།', en: 'Benchmark' },
        summary: { zh: '基准测试用的政策。', bo: 'ཚད་ལྟའི་ཆེད་དུ།', en: 'For the benchmark.' },
        clauses: [],
      });
    }
    policies.at(-1).clauses.push({ label: '', text: `${d.title}。${d.body}`, lang: d.lang });
  } else {
    kb.push(JSON.stringify({ ...d, kind: 'kb', id: 1e9 + d.id, visibility: 0 }));
  }
}
writeFileSync(POLICIES, JSON.stringify({ policies }));
writeFileSync(KB, kb.join('\n') + '\n');
rmSync(tmp, { recursive: true, force: true });
console.error(`ask_gen: ${policies.reduce((n, p) => n + p.clauses.length, 0)} clauses in ${policies.length} policies, ${kb.length} knowledge-base passages`);
