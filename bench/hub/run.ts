/**
 * Models benchmark. Prints, for the same run on the same machine:
 *  1. download throughput of Chatwright's downloader (parallel, hashing, cache layout) against `curl` fetching the same
 *     files from the same local Hub server (same parallelism, `curl --parallel`), as a ratio (goal ≥ 0.8×);
 *  2. Hub search latency (`GET /api/models` with 500 models on the server, through @huggingface/hub's listModels);
 *  3. cache listing latency with 500 cached models: Chatwright's scanHubCache against @huggingface/hub's scanCacheDir.
 * Usage: npx tsx bench/hub/run.ts [megabytes=256] [rounds=3]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanCacheDir } from '@huggingface/hub';
import { scanHubCache } from '../../src/core/hub/cacheScan';
import { downloadToCache } from '../../src/core/hub/downloader';
import { selectFiles } from '../../src/core/hub/fileSelection';
import { getModelDetails, hubConnection, searchModels } from '../../src/core/hub/hubClient';
import { writeCachedModel } from '../../test/support/hubServer';

const megabytes = Number(process.argv[2] ?? 256);
const rounds = Number(process.argv[3] ?? 3);
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function main(): Promise<void> {
  console.log(
    `load before: ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')} (${cpus().length} cores)`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'serveFixtures.ts'), String(megabytes), '500'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
  const scratch = mkdtempSync(join(tmpdir(), 'chatwright-bench-hub-'));
  try {
    const connection = hubConnection({ HF_ENDPOINT: url });
    const details = await getModelDetails(connection, 'bench/onnx-model');
    const { files, totalBytes } = selectFiles(details.repoFiles, 'onnx', 'q4');
    console.log(`\n1. download: ${files.length} files, ${(totalBytes / 1e6).toFixed(0)} MB from ${url}, ${rounds} rounds each, alternating`);
    const ours: number[] = [];
    const curl: number[] = [];
    const ourCpu: number[] = [];
    const curlCpu: number[] = [];
    const curlVerified: number[] = [];
    const timing = join(scratch, 'curl-time.txt');
    for (let round = 0; round < rounds; round++) {
      const cache = join(scratch, `cache-${round}`);
      const cpuBefore = process.cpuUsage();
      let started = process.hrtime.bigint();
      await downloadToCache({ connection, repoId: details.id, revision: 'main', commit: details.commit, files, env: { HF_HUB_CACHE: cache }, concurrency: 4 });
      ours.push(Number(process.hrtime.bigint() - started) / 1e9);
      const cpu = process.cpuUsage(cpuBefore);
      ourCpu.push((cpu.user + cpu.system) / 1e6);
      rmSync(cache, { recursive: true, force: true });
      const target = join(scratch, `curl-${round}`);
      const args = ['-f', '%U %S', '-o', timing, 'curl', '-sS', '-L', '--fail', '--parallel', '--parallel-max', '4', '--create-dirs'];
      for (const file of files) args.push('-o', join(target, file.path), `${url}/${details.id}/resolve/${details.commit}/${file.path}`);
      started = process.hrtime.bigint();
      execFileSync('/usr/bin/time', args, { stdio: ['ignore', 'ignore', 'ignore'] });
      curl.push(Number(process.hrtime.bigint() - started) / 1e9);
      curlCpu.push(
        readFileSync(timing, 'utf8')
          .trim()
          .split(/\s+/)
          .reduce((sum, value) => sum + Number(value), 0),
      );
      // What it takes to get the same guarantee with curl: sha256sum the files afterwards.
      started = process.hrtime.bigint();
      execFileSync(
        'sha256sum',
        files.map((file) => join(target, file.path)),
        { stdio: ['ignore', 'ignore', 'ignore'] },
      );
      curlVerified.push((curl[curl.length - 1] ?? 0) + Number(process.hrtime.bigint() - started) / 1e9);
      rmSync(target, { recursive: true, force: true });
    }
    const oursRate = totalBytes / median(ours) / 1e6;
    const curlRate = totalBytes / median(curl) / 1e6;
    const paired = ours.map((time, index) => (curl[index] ?? NaN) / time);
    console.log(`   chatwright (sha256 verify + cache layout): median ${median(ours).toFixed(2)} s = ${oursRate.toFixed(0)} MB/s   [${ours.map((t) => t.toFixed(2)).join(', ')}]`);
    console.log(`   curl --parallel (no hashing):              median ${median(curl).toFixed(2)} s = ${curlRate.toFixed(0)} MB/s   [${curl.map((t) => t.toFixed(2)).join(', ')}]`);
    console.log(
      `   throughput ratio chatwright / curl: ${(oursRate / curlRate).toFixed(2)}× of the medians; median of paired rounds ${median(paired).toFixed(2)}× [${paired.map((r) => r.toFixed(2)).join(', ')}] (goal ≥ 0.80×)`,
    );
    const pairedVerified = ours.map((time, index) => (curlVerified[index] ?? NaN) / time);
    console.log(
      `   curl, then sha256sum (same guarantee):     median ${median(curlVerified).toFixed(2)} s = ${(totalBytes / median(curlVerified) / 1e6).toFixed(0)} MB/s; paired ratio chatwright / (curl + sha256sum) ${median(pairedVerified).toFixed(2)}×`,
    );
    console.log(
      `   CPU seconds per GB: chatwright ${((median(ourCpu) * 1e9) / totalBytes).toFixed(2)} (incl. hashing thread; the server runs in its own process), curl ${((median(curlCpu) * 1e9) / totalBytes).toFixed(2)}`,
    );

    console.log('\n2. Hub search with 500 models on the server (listModels, expand fields, parse, describe):');
    const queries: { text?: string; task?: string; format?: 'onnx' }[] = [{}, { text: 'model-1' }, { task: 'text-generation' }, { task: 'feature-extraction', format: 'onnx' }, { text: 'org3' }];
    const searchTimes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const query = queries[i % queries.length] ?? {};
      const started = process.hrtime.bigint();
      await searchModels(connection, { ...query, limit: 50 });
      searchTimes.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    console.log(`   median ${median(searchTimes).toFixed(1)} ms, max ${Math.max(...searchTimes).toFixed(1)} ms over 20 searches (limit 50)`);

    console.log('\n3. cache listing with 500 cached models (6 files each, one with a sub-folder):');
    const cache = join(scratch, 'listing');
    for (let i = 0; i < 500; i++) {
      writeCachedModel(cache, `org${i % 37}/cached-${i}`, {
        'config.json': `{"i":${i}}`,
        'tokenizer.json': `{"t":${i}}`,
        'tokenizer_config.json': '{}',
        'model.safetensors': Buffer.alloc(1024 + i),
        'onnx/model_q4.onnx': Buffer.alloc(512 + i),
        'README.md': `# ${i}`,
      });
    }
    const oursScan: number[] = [];
    const theirsScan: number[] = [];
    for (let i = 0; i < 5; i++) {
      let started = process.hrtime.bigint();
      const models = await scanHubCache({ HF_HUB_CACHE: cache });
      oursScan.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (models.length !== 500) throw new Error(`listed ${models.length}`);
      started = process.hrtime.bigint();
      await scanCacheDir(cache);
      theirsScan.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    console.log(`   chatwright scanHubCache:        median ${median(oursScan).toFixed(0)} ms [${oursScan.map((t) => t.toFixed(0)).join(', ')}]`);
    console.log(`   @huggingface/hub scanCacheDir:  median ${median(theirsScan).toFixed(0)} ms [${theirsScan.map((t) => t.toFixed(0)).join(', ')}] (does not descend into sub-folders)`);
    console.log(`   ratio (theirs / ours time): ${(median(theirsScan) / median(oursScan)).toFixed(2)}×`);
  } finally {
    child.kill();
    rmSync(scratch, { recursive: true, force: true });
    console.log(
      `\nload after: ${loadavg()
        .map((v) => v.toFixed(2))
        .join(' ')}`,
    );
  }
}

void main();
