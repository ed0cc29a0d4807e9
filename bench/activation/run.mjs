// Activation time of the packaged (production) extension in a real VS Code (code-server), from a cold extension host,
// and the VSIX size. Each run starts a fresh code-server, so every activation is a first one.
import { spawnSync } from 'node:child_process';
import * as esbuild from 'esbuild';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../test/support/codeServer.mjs';

const runs = Number(process.env.RUNS ?? 5);
const pack = spawnSync(process.execPath, ['scripts/package.mjs'], { cwd: repoRoot, encoding: 'utf8' });
if (pack.status !== 0) throw new Error(`packaging failed:\n${pack.stdout}\n${pack.stderr}`);
const version = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version;
const vsix = join(repoRoot, 'dist', `chatwright-linux-x64-${version}.vsix`);

const probe = join(repoRoot, 'out', 'bench', 'activationProbe.js');
await esbuild.build({
  entryPoints: [join(repoRoot, 'bench', 'activation', 'activationProbe.ts')],
  outfile: probe,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  external: ['vscode'],
  logLevel: 'warning',
});

const scratch = mkdtempSync(join(tmpdir(), 'chatwright-bench-activation-'));
const emptyFolder = mkdtempSync(join(tmpdir(), 'chatwright-bench-workspace-'));
const samples = [];
for (let i = 0; i < runs; i++) {
  const out = join(scratch, `run-${i}.json`);
  const result = spawnSync(process.execPath, [join(repoRoot, 'test', 'host', 'vscode-shim.mjs'), emptyFolder, `--extensionDevelopmentPath=${repoRoot}`, `--extensionTestsPath=${probe}`], {
    env: { ...process.env, CHATWRIGHT_BENCH_OUT: out },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`run ${i} failed:\n${result.stdout}\n${result.stderr}`);
  samples.push(JSON.parse(readFileSync(out, 'utf8')));
}
const times = samples.map((s) => s.activationMs).sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(`activation (production bundle, cold extension host, ${runs} fresh code-server runs):`);
console.log(`  median ${median.toFixed(1)} ms, min ${times[0].toFixed(1)} ms, max ${times.at(-1).toFixed(1)} ms`);
console.log(`  modules loaded by activation: ${samples[0].modulesLoaded}; native modules loaded: ${samples.flatMap((s) => s.nativeModulesLoaded).length}`);
console.log(`  extension bundle dist/extension.js: ${(statSync(join(repoRoot, 'dist', 'extension.js')).size / 1024).toFixed(0)} KiB`);
console.log(`VSIX ${vsix.replace(`${repoRoot}/`, '')}: ${(statSync(vsix).size / 1024 / 1024).toFixed(2)} MiB`);
