import { execFile } from 'node:child_process';
import { cpus, freemem, totalmem } from 'node:os';
import { splitLines } from '../text/lineIndex';
import { type Hardware } from './memoryEstimate';

/**
 * Parses `nvidia-smi --query-gpu=name,memory.total,memory.free --format=csv,noheader,nounits` (MiB values), one GPU per
 * line. Lines that do not parse (drivers print warnings there) are skipped.
 */
export function parseNvidiaSmi(output: string): Hardware['gpus'] {
  const gpus: Hardware['gpus'] = [];
  for (const line of splitLines(output)) {
    const parts = line.split(',').map((part) => part.trim());
    if (parts.length < 2) continue;
    const total = Number(parts[1]);
    if (!parts[0] || !Number.isFinite(total) || total <= 0) continue;
    const free = Number(parts[2]);
    gpus.push({ name: parts[0], memoryBytes: total * 2 ** 20, freeBytes: Number.isFinite(free) && parts[2] !== '' ? free * 2 ** 20 : undefined });
  }
  return gpus;
}

/** System RAM and NVIDIA GPUs (through nvidia-smi, when it is on the PATH; a missing or failing one means no GPU). */
export async function detectHardware(nvidiaSmi = 'nvidia-smi'): Promise<Hardware> {
  const output = await new Promise<string>((resolve) => {
    execFile(nvidiaSmi, ['--query-gpu=name,memory.total,memory.free', '--format=csv,noheader,nounits'], { timeout: 5000, windowsHide: true }, (error, stdout) => resolve(error ? '' : stdout));
  });
  return { ramBytes: totalmem(), freeRamBytes: freemem(), cpuCount: cpus().length, gpus: parseNvidiaSmi(output) };
}
