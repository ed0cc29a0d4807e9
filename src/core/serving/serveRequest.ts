/**
 * What the user asked to serve, as a serving run's config.json keeps it, the command line of the built-in engine's
 * server (`chatwright serve`: dist/cli.js under the editor's own Node; the GPU server's is `gpuServerCommand`), and
 * which engine the GPU server will run. The API key is never on a command line: it travels in the server's
 * environment (`serveApiKeyVariable`).
 */
import { type ServerLaunch } from '../jobs/jobRunner';
import { serveApiKeyVariable } from './servedModels';

/** The built-in ONNX engine's server. */
export interface BuiltinServeRequest {
  engine: 'builtin';
  /** Chat models: hub ids or folders. */
  models: string[];
  embeddingModel?: string;
  /** `.prompty` files served as models of their own. */
  templates?: string[];
  host: string;
  port: number;
}

/** The Python server on the GPU: a base model and adapters of finished runs. */
export interface GpuServeRequest {
  engine: 'gpu';
  model: string;
  /** Adapter ids (`ServableAdapter.id`) and folders. */
  adapters: { id: string; path: string }[];
  /** Which engine the Python server runs (`auto`: vLLM when importable, else transformers). */
  gpuEngine: 'auto' | 'transformers' | 'vllm' | 'standin';
  host: string;
  port: number;
}

export type ServeRequest = BuiltinServeRequest | GpuServeRequest;

/**
 * How `chatwright serve` is run: `node` is the Node to run dist/cli.js with. In desktop VS Code the extension host's
 * `process.execPath` is Electron, which runs as plain Node with `ELECTRON_RUN_AS_NODE=1` (what `child_process.fork`
 * does for the engine worker and the language server).
 */
export function builtinServeLaunch(request: BuiltinServeRequest, runtime: { node: string; cliPath: string; electron: boolean; apiKey?: string }): ServerLaunch {
  if (request.models.length === 0) throw new Error('Serve at least one chat model.');
  const args = [runtime.cliPath, 'serve', ...request.models.flatMap((model) => ['--model', model])];
  if (request.embeddingModel !== undefined) args.push('--embedding-model', request.embeddingModel);
  for (const template of request.templates ?? []) args.push('--template', template);
  args.push('--host', request.host, '--port', String(request.port));
  // Set even when undefined: a key in the editor's own environment must not make a loopback server ask for one that
  // no client of it was given (an undefined variable is left out of the child's environment).
  const env: NodeJS.ProcessEnv = { ...(runtime.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}), [serveApiKeyVariable]: runtime.apiKey };
  return { command: runtime.node, args, env };
}

/** Serve on GPU's test hook: the Python server runs this engine instead of the probed one (`standin` needs no torch). */
export const gpuServeEngineVariable = 'CHATWRIGHT_SERVE_GPU_ENGINE';

/** What a probe of the jobs' interpreter says the Python server will run, or why it cannot. */
export type GpuEngineChoice = { engine: 'vllm' | 'transformers' | 'standin'; reason: string } | { engine: undefined; reason: string; installCommand?: string };

/**
 * vLLM when the interpreter has it (it scales to many GPUs and batches continuously), else transformers with PEFT;
 * the engine is then passed explicitly, so what the user is told is what runs.
 */
export function chooseGpuEngine(packages: Readonly<Record<string, { ok: boolean; version: string | null } | undefined>>, python: string, override?: string): GpuEngineChoice {
  if (override === 'standin' || override === 'transformers' || override === 'vllm') return { engine: override, reason: `${gpuServeEngineVariable}=${override} (a test hook) chose it` };
  const vllm = packages['vllm'];
  if (vllm?.ok) return { engine: 'vllm', reason: `${python} has vLLM ${vllm.version ?? ''}`.trim() };
  const missing = ['torch', 'transformers', 'peft'].filter((name) => !packages[name]?.ok);
  if (missing.length === 0) return { engine: 'transformers', reason: `${python} has transformers and PEFT but not vLLM` };
  return { engine: undefined, reason: `${python} lacks ${missing.join(', ')}`, installCommand: `"${python}" -m pip install ${missing.map((name) => `"${name}"`).join(' ')}` };
}
