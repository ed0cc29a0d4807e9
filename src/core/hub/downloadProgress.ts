import { type DownloadProgress } from '../../shared/downloadProtocol';

/** Sums progress over the parallel transfers and reports it at most every 100 ms, with a rate over the last seconds. */
export class ProgressMeter {
  private done = 0;
  private transferred = 0;
  private filesDone = 0;
  private readonly active = new Set<string>();
  private lastReport = 0;
  private readonly samples: { time: number; bytes: number }[] = [];

  constructor(
    private readonly total: number,
    private readonly filesTotal: number,
    private readonly report: ((progress: DownloadProgress) => void) | undefined,
  ) {}

  add(doneDelta: number, transferredDelta: number): void {
    this.done += doneDelta;
    this.transferred += transferredDelta;
    this.maybeReport();
  }

  start(path: string): void {
    this.active.add(path);
  }

  stop(path: string): void {
    this.active.delete(path);
  }

  fileDone(): void {
    this.filesDone++;
    this.maybeReport(true);
  }

  flush(): void {
    this.maybeReport(true);
  }

  private maybeReport(force = false): void {
    if (!this.report) return;
    const now = Date.now();
    if (!force && now - this.lastReport < 100) return;
    this.lastReport = now;
    this.samples.push({ time: now, bytes: this.transferred });
    while (this.samples.length > 2 && now - (this.samples[0]?.time ?? now) > 5000) this.samples.shift();
    const first = this.samples[0];
    const elapsed = first ? (now - first.time) / 1000 : 0;
    const rate = first && elapsed > 0.2 ? (this.transferred - first.bytes) / elapsed : 0;
    const left = Math.max(0, this.total - this.done);
    this.report({
      totalBytes: this.total,
      doneBytes: this.done,
      transferredBytes: this.transferred,
      bytesPerSecond: rate,
      etaSeconds: rate > 0 ? left / rate : undefined,
      filesDone: this.filesDone,
      filesTotal: this.filesTotal,
      active: [...this.active],
    });
  }
}
