// Dataset validation throughput and memory, measured side by side in one run:
//   (a) bench/peers/openai_cookbook_checks.py (the OpenAI cookbook's format checks, Python stdlib) under python3;
//   (b) the floor: Node reading the lines with readline and JSON.parse-ing each, one thread;
//   ours: `chatwright validate` (dist/cli.js) with all structural checks (token counting off), 1 thread and all threads.
// Peak memory (max RSS) of ours on the full file and on its first half, to show the growth per row.
// Usage: node bench/datasets/throughput.bench.mjs [file=/tmp/chatwright-bench-chat.jsonl] [rows=1000000]
// (generates the file when missing; run `node scripts/build.mjs` first). Prints ratios; asserts nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const [file = '/tmp/chatwright-bench-chat.jsonl', rowsArg = '1000000'] = process.argv.slice(2);
const rows = Number(rowsArg);
if (!existsSync(file)) execFileSync(process.execPath, [join(root, 'bench', 'datasets', 'generateChatFile.mjs'), file, String(rows)], { stdio: 'inherit' });
const half = file.replace(/\.jsonl$/, '.half.jsonl');
if (!existsSync(half)) execFileSync('bash', ['-c', `head -n ${Math.floor(rows / 2)} ${JSON.stringify(file)} > ${JSON.stringify(half)}`]);

const floorScript = `
const rl = require('node:readline').createInterface({ input: require('node:fs').createReadStream(process.argv[1]), crlfDelay: Infinity });
let rows = 0, bad = 0;
rl.on('line', (line) => { if (line.length === 0) return; rows++; try { JSON.parse(line); } catch { bad++; } });
rl.on('close', () => console.error(rows + ' rows, ' + bad + ' invalid'));`;

/** Runs a command under /usr/bin/time; returns wall seconds and max RSS in MB. */
function measure(label, command, args) {
  const started = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const lines = result.stderr.trim().split('\n');
  const rssMb = Number(lines[lines.length - 1]) / 1024;
  if (result.status !== 0 && result.status !== 1) throw new Error(`${label} failed (${result.status}): ${result.stderr.slice(-500)}`);
  console.log(`  ${label.padEnd(44)} ${seconds.toFixed(2).padStart(7)} s   max RSS ${rssMb.toFixed(0).padStart(5)} MB   ${lines.slice(0, -1).join(' | ').slice(0, 120)}`);
  return { seconds, rssMb };
}

const cli = join(root, 'dist', 'cli.js');
const threads = Math.min(availableParallelism(), 8);
const size = statSync(file).size;
console.log(
  `file: ${file} (${(size / 1e6).toFixed(0)} MB, ${rows.toLocaleString()} rows); ${availableParallelism()} cores; load average before: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const python = measure('(a) python3 cookbook checks', 'python3', [join(root, 'bench', 'peers', 'openai_cookbook_checks.py'), file]);
const floor = measure('(b) node readline + JSON.parse, 1 thread', process.execPath, ['-e', floorScript, file]);
const one = measure('ours, 1 thread', process.execPath, [cli, 'validate', file, '--threads', '1', '--no-splits']);
const all = measure(`ours, ${threads} threads`, process.execPath, [cli, 'validate', file, '--threads', String(threads), '--no-splits']);
const halfRun = measure(`ours, ${threads} threads, first half of the file`, process.execPath, [cli, 'validate', half, '--threads', String(threads), '--no-splits']);
console.log(
  `load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log('');
console.log(
  `(a) vs the Python cookbook checker: ${(python.seconds / all.seconds).toFixed(2)}x faster with ${threads} threads (target >= 3x); ${(python.seconds / one.seconds).toFixed(2)}x with 1 thread`,
);
console.log(
  `(b) vs the readline + JSON.parse floor: 1 thread ${(floor.seconds / one.seconds).toFixed(2)}x of the floor; ${threads} threads ${(floor.seconds / all.seconds).toFixed(2)}x = ${(floor.seconds / all.seconds / threads).toFixed(2)}x per thread (target >= 0.6x per thread)`,
);
console.log(
  `memory: max RSS ${all.rssMb.toFixed(0)} MB on ${rows.toLocaleString()} rows (target < 150 MB); ${halfRun.rssMb.toFixed(0)} MB on half: ${(((all.rssMb - halfRun.rssMb) * 1024 * 1024) / (rows - Math.floor(rows / 2))).toFixed(1)} bytes per further row (target about 16)`,
);
