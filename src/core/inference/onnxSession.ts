import { availableParallelism } from 'node:os';
import type * as Ort from 'onnxruntime-node';
import { requireRegularFileSync } from '../files/boundedRead';
import { ModelError } from './modelFolder';

/** The execution provider a user asks for. `auto` tries CUDA and falls back to the CPU. */
export type ExecutionProviderChoice = 'cpu' | 'cuda' | 'auto';

export interface SessionOptions {
  executionProvider?: ExecutionProviderChoice;
  /** Intra-op threads; defaults to the number of cores. */
  threads?: number;
  /**
   * Let onnxruntime's threads spin-wait for work within a run (its default; here only when asked, and stopped at the
   * end of each run). Off by default: next to an editor, a language server and other busy processes, spinning threads
   * burn the cores the model needs. Measured on the 2-core machine with the Qwen2.5-0.5B-shaped int8 decoder: under
   * heavy load from other processes 8-17 tokens/s with spinning vs 22-38 without; on a quiet machine ~1.3× faster.
   */
  spinWait?: boolean;
}

export interface OpenedSession {
  session: Ort.InferenceSession;
  /** The provider that actually runs the model. */
  provider: 'cpu' | 'cuda';
  /** Why the requested provider is not the one running, when it is not. */
  fallbackReason?: string;
}

let runtime: typeof Ort | undefined;

/** onnxruntime-node, loaded on first use only (it is a 40 MB native module). */
export async function loadOnnxRuntime(): Promise<typeof Ort> {
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  runtime ??= (await import('onnxruntime-node')) as typeof Ort;
  return runtime;
}

/**
 * Tries the providers in order and returns the first session that opens. onnxruntime-node throws (rather than
 * falling back) when CUDA is asked for and its provider library, CUDA 12 or cuDNN is missing; this turns that into
 * a CPU session plus the reason, so the user is told which provider runs.
 */
export async function openWithFallback<S>(
  choice: ExecutionProviderChoice,
  open: (providers: ('cuda' | 'cpu')[]) => Promise<S>,
): Promise<{ session: S; provider: 'cpu' | 'cuda'; fallbackReason?: string }> {
  if (choice === 'cpu') return { session: await open(['cpu']), provider: 'cpu' };
  try {
    return { session: await open(['cuda', 'cpu']), provider: 'cuda' };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (isModelProblem(reason)) throw error;
    const session = await open(['cpu']);
    return {
      session,
      provider: 'cpu',
      fallbackReason: `CUDA is not available (${firstLine(reason)}); running on the CPU. To use an NVIDIA GPU, install CUDA 12 and cuDNN 9 and reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12.`,
    };
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 300);
}

/** Errors that are about the model file, not the provider: retrying on the CPU would only repeat them. */
function isModelProblem(message: string): boolean {
  return /protobuf|INVALID_PROTOBUF|INVALID_GRAPH|Load model .* failed|doesn't exist|No such file/i.test(message) && !/cuda|provider/i.test(message);
}

/**
 * Opens an ONNX file with the chosen provider; a corrupt or unreadable file becomes a ModelError naming it.
 * onnxruntime opens the path itself and would wait forever on a named pipe, so the path must lead to a regular file.
 * Its external data needs no check here: onnxruntime (1.30) refuses `location`s that are absolute or resolve, links
 * followed, outside the model's folder, and data files that are not regular files (test/unit/inference/modelFiles.test.ts).
 */
export async function openOnnxSession(file: string, options: SessionOptions = {}): Promise<OpenedSession> {
  try {
    requireRegularFileSync(file, 'ONNX model');
  } catch (error) {
    throw new ModelError(error instanceof Error ? error.message : String(error), file);
  }
  const ort = await loadOnnxRuntime();
  const threads = options.threads ?? availableParallelism();
  try {
    return await openWithFallback(options.executionProvider ?? 'cpu', (providers) =>
      ort.InferenceSession.create(file, {
        executionProviders: providers,
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        logSeverityLevel: 3,
        // Spinning (when asked) stops at the end of each run, so the threads never spin between runs, where the
        // engine's event loop handles a cancel and streams text.
        // x64quantprecision: on x86 CPUs without VNNI (AVX2 only), onnxruntime's u8×s8 int8 kernels sum pairs in 16 bits,
        // which saturates for weights outside [-64, 63]; with it, onnxruntime moves such weights to its exact u8×u8
        // kernels there. On CPUs with VNNI (or ARM) it changes nothing.
        extra: {
          session: {
            intra_op: { allow_spinning: options.spinWait ? '1' : '0' },
            inter_op: { allow_spinning: options.spinWait ? '1' : '0' },
            force_spinning_stop: options.spinWait ? '1' : '0',
            x64quantprecision: '1',
          },
        },
      }),
    );
  } catch (error) {
    const reason = firstLine(error instanceof Error ? error.message : String(error));
    throw new ModelError(`${file}: cannot load this ONNX model: ${reason}. The file may be truncated or corrupt (download it again) or not an ONNX model.`, file);
  }
}

/** Checks that a session has the inputs and outputs a model family needs, naming the file and what is missing. */
export function requireSessionIO(session: Ort.InferenceSession, file: string, kind: string, inputs: string[], outputs: string[]): void {
  const missingInputs = inputs.filter((name) => !session.inputNames.includes(name));
  const missingOutputs = outputs.filter((name) => !session.outputNames.includes(name));
  if (missingInputs.length === 0 && missingOutputs.length === 0) return;
  const missing = [...missingInputs.map((name) => `input '${name}'`), ...missingOutputs.map((name) => `output '${name}'`)].join(', ');
  throw new ModelError(
    `${file} does not look like ${kind}: it lacks ${missing} (it has inputs ${session.inputNames.join(', ')}; outputs ${session.outputNames.slice(0, 6).join(', ')}${session.outputNames.length > 6 ? ', …' : ''}).`,
    file,
  );
}
