import { settingDefaults } from '../settings/settingDefaults';
import { readFileSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { type ChatTurn } from '../text/chatTurn';
import { type EmbeddingRole } from './embedding';
import { ModelError, onnxWeightBytes, openModelFolder, selectOnnxFile, type ModelDtype } from './modelFolder';
import { type ExecutionProviderChoice } from './onnxSession';
import { OnnxTextEmbedder } from './textEmbedder';
import { OnnxTextGenerator, type GenerateOptions, type GenerationResult } from './textGenerator';
import { type EngineModelInfo } from '../../shared/engineProtocol';

/** The engine's settings before the host sends the user's: `settingDefaults`, in the engine's units. */
export const defaultEngineSettings: InferenceEngineSettings = {
  executionProvider: settingDefaults['engine.executionProvider'],
  threads: settingDefaults['engine.threads'],
  idleUnloadMs: settingDefaults['engine.idleUnloadMinutes'] * 60_000,
};

export interface InferenceEngineSettings {
  executionProvider: ExecutionProviderChoice;
  /** 0 = one per core. */
  threads: number;
  /** 0 keeps models loaded until unloaded explicitly. */
  idleUnloadMs: number;
  /**
   * Whether onnxruntime's threads spin between operators while a chat model generates (default false): about 1.3×
   * the tokens per second on a quiet machine (a step is over a thousand short operators), but several times slower
   * when other processes want the cores. Spinning stops between tokens. Embedding (background indexing) never spins.
   */
  spinWhileGenerating?: boolean;
}

/** A model the engine holds: the same record the engine worker reports in its status. */
export type LoadedModelInfo = EngineModelInfo;

interface Entry {
  kind: 'embedder' | 'generator';
  instance: Promise<OnnxTextEmbedder | OnnxTextGenerator>;
  info?: LoadedModelInfo;
  weightBytes: number;
  lastUsed: number;
  busy: number;
}

/** Free memory a model's weights need beyond their file size: activations, the KV cache, the runtime's arenas. */
const memoryOverhead = 1.3;

/**
 * Loads models on demand, shares them between requests, releases idle ones and refuses, with a clear message, a
 * model that would not fit in memory. Used in-process by the CLI and inside the engine worker by the extension.
 */
export class InferenceEngine {
  private readonly entries = new Map<string, Entry>();
  private readonly idleTimer: NodeJS.Timeout;

  constructor(
    private settings: InferenceEngineSettings = defaultEngineSettings,
    private readonly events: { onLoaded?(info: LoadedModelInfo, loadMs: number): void; onUnloaded?(model: string): void } = {},
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly availableMemory: () => number = availableMemoryBytes,
  ) {
    this.idleTimer = setInterval(() => void this.releaseIdle(), 15_000);
    this.idleTimer.unref();
  }

  configure(settings: InferenceEngineSettings): void {
    const providerChanged =
      settings.executionProvider !== this.settings.executionProvider ||
      settings.threads !== this.settings.threads ||
      (settings.spinWhileGenerating ?? false) !== (this.settings.spinWhileGenerating ?? false);
    this.settings = settings;
    if (providerChanged) void this.unload();
  }

  async embedder(model: string, dtype: ModelDtype = 'auto'): Promise<OnnxTextEmbedder> {
    return (await this.acquire(model, dtype, 'embedder')) as OnnxTextEmbedder;
  }

  async generator(model: string, dtype: ModelDtype = 'auto'): Promise<OnnxTextGenerator> {
    return (await this.acquire(model, dtype, 'generator')) as OnnxTextGenerator;
  }

  async embed(model: string, texts: readonly string[], role: EmbeddingRole, signal?: AbortSignal, dtype?: ModelDtype): Promise<{ vectors: Float32Array[]; dimensions: number; modelKey: string }> {
    const embedder = await this.embedder(model, dtype);
    return this.using(model, dtype, 'embedder', async () => {
      const vectors = await embedder.embed(texts, role, signal);
      return { vectors, dimensions: vectors[0]?.length ?? embedder.dimensions, modelKey: embedder.modelKey };
    });
  }

  async countTokens(model: string, texts: readonly string[], dtype?: ModelDtype): Promise<number[]> {
    const embedder = await this.embedder(model, dtype);
    return texts.map((text) => embedder.countTokens(text));
  }

  async generate(model: string, messages: readonly ChatTurn[], options: GenerateOptions, onText?: (delta: string) => void, signal?: AbortSignal, dtype?: ModelDtype): Promise<GenerationResult> {
    const generator = await this.generator(model, dtype);
    return this.using(model, dtype, 'generator', () => generator.generate(messages, options, onText, signal));
  }

  async complete(model: string, prompt: string, options: GenerateOptions, onText?: (delta: string) => void, signal?: AbortSignal, dtype?: ModelDtype): Promise<GenerationResult> {
    const generator = await this.generator(model, dtype);
    return this.using(model, dtype, 'generator', () => generator.complete(prompt, options, onText, signal));
  }

  async info(model: string, kind: 'embedder' | 'generator', dtype: ModelDtype = 'auto'): Promise<LoadedModelInfo> {
    await this.acquire(model, dtype, kind);
    return this.entries.get(this.key(model, dtype, kind))!.info!;
  }

  loaded(): LoadedModelInfo[] {
    return [...this.entries.values()].flatMap((entry) => (entry.info ? [entry.info] : []));
  }

  /** Releases one model (by what the user named) or all; returns how many were released. */
  async unload(model?: string): Promise<number> {
    const keys = [...this.entries.keys()].filter((key) => model === undefined || key.startsWith(`${model}\u0000`));
    await Promise.all(keys.map((key) => this.release(key)));
    return keys.length;
  }

  async dispose(): Promise<void> {
    clearInterval(this.idleTimer);
    await this.unload();
  }

  private key(model: string, dtype: ModelDtype = 'auto', kind: string): string {
    return `${model}\u0000${dtype}\u0000${kind}`;
  }

  private async using<T>(model: string, dtype: ModelDtype | undefined, kind: string, work: () => Promise<T>): Promise<T> {
    const entry = this.entries.get(this.key(model, dtype, kind));
    if (entry) entry.busy++;
    try {
      return await work();
    } finally {
      if (entry) {
        entry.busy--;
        entry.lastUsed = Date.now();
      }
    }
  }

  private acquire(model: string, dtype: ModelDtype = 'auto', kind: 'embedder' | 'generator'): Promise<OnnxTextEmbedder | OnnxTextGenerator> {
    const key = this.key(model, dtype, kind);
    const existing = this.entries.get(key);
    if (existing) {
      existing.lastUsed = Date.now();
      return existing.instance;
    }
    // The entry exists from the first call on, so concurrent requests for the same model share one load.
    const entry: Entry = { kind, instance: Promise.resolve(undefined as never), weightBytes: 0, lastUsed: Date.now(), busy: 0 };
    entry.instance = this.load(model, dtype, kind, entry, key);
    this.entries.set(key, entry);
    entry.instance.catch(() => this.entries.delete(key));
    return entry.instance;
  }

  private async load(model: string, dtype: ModelDtype, kind: 'embedder' | 'generator', entry: Entry, key: string): Promise<OnnxTextEmbedder | OnnxTextGenerator> {
    const folder = openModelFolder(model, this.env);
    const { file } = selectOnnxFile(folder, dtype);
    const weightBytes = onnxWeightBytes(file);
    entry.weightBytes = weightBytes;
    await this.makeRoom(weightBytes, file, key);
    const started = Date.now();
    const sessionOptions = {
      executionProvider: this.settings.executionProvider,
      ...(this.settings.threads > 0 ? { threads: this.settings.threads } : {}),
      dtype,
      spinWait: kind === 'generator' && (this.settings.spinWhileGenerating ?? false),
    };
    const loaded = kind === 'embedder' ? await OnnxTextEmbedder.load(model, sessionOptions, this.env) : await OnnxTextGenerator.load(model, sessionOptions, this.env);
    entry.info = {
      model,
      kind,
      modelKey: loaded.modelKey,
      dtype: loaded.dtype,
      provider: loaded.provider,
      ...(loaded.fallbackReason ? { fallbackReason: loaded.fallbackReason } : {}),
      ...(loaded instanceof OnnxTextEmbedder ? { dimensions: loaded.dimensions, maxTokens: loaded.maxTokens } : { maxTokens: loaded.contextLength }),
      weightBytes,
    };
    this.events.onLoaded?.(entry.info, Date.now() - started);
    return loaded;
  }

  /** Unloads idle models, least recently used first, until the new one fits; refuses when it cannot. */
  private async makeRoom(weightBytes: number, file: string, forKey: string): Promise<void> {
    const needed = weightBytes * memoryOverhead;
    const idle = [...this.entries.entries()].filter(([key, entry]) => key !== forKey && entry.busy === 0 && entry.info).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    while (needed > this.availableMemory() && idle.length > 0) await this.release(idle.shift()![0]);
    const available = this.availableMemory();
    if (needed > available) {
      const gb = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GB`;
      throw new ModelError(
        `${file} needs about ${gb(needed)} of memory to run but only ${gb(available)} is free (of ${gb(totalmem())}). Close other programs, or pick a smaller or more quantized variant (q8, q4).`,
        file,
      );
    }
  }

  private async release(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    try {
      await (await entry.instance).dispose();
    } catch {
      // It failed to load; there is nothing to release.
    }
    if (entry.info) this.events.onUnloaded?.(entry.info.model);
  }

  /** Releases models unused for longer than idleUnloadMs (checked every 15 s); returns how many were released. */
  async releaseIdle(now = Date.now()): Promise<number> {
    if (this.settings.idleUnloadMs <= 0) return 0;
    let released = 0;
    for (const [key, entry] of this.entries) {
      if (entry.busy === 0 && entry.info && now - entry.lastUsed > this.settings.idleUnloadMs) {
        await this.release(key);
        released++;
      }
    }
    return released;
  }
}

/**
 * Memory a new model can use: Linux's MemAvailable (free memory plus the page cache it can reclaim; os.freemem()
 * leaves the cache out and would refuse models that fit), else os.freemem().
 */
export function availableMemoryBytes(): number {
  try {
    const match = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // Not Linux.
  }
  return freemem();
}
