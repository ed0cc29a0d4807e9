/**
 * A local server that speaks the parts of the Hugging Face Hub's HTTP API Chatwright uses, so tests and benchmarks run
 * without the network (point Chatwright at it with HF_ENDPOINT):
 *
 *   GET /api/models?search=&author=&pipeline_tag=&filter=&library=&sort=&direction=&limit=&cursor=   search (Link: next)
 *   GET /api/models/{id}   GET /api/models/{id}/revision/{rev}                                      info + siblings
 *   GET /api/models/{id}/tree/{rev}[/{path}]?recursive=                  file tree with LFS sha256/size (paginated)
 *   GET|HEAD /{id}/resolve/{rev}/{path}     ETag, X-Repo-Commit; LFS files: X-Linked-Etag/X-Linked-Size + 302 to /cdn/
 *   GET|HEAD /cdn/{sha256}                  the LFS content, with Range (206 / 416)
 *
 * Gated models: info is public, files answer 401 without a token and 403 with one that has no access (X-Error-Code:
 * GatedRepo). Private models answer 401 everywhere without a granted token. Unknown repositories and files: 404.
 * Faults for tests: cut a transfer after N bytes, serve corrupt bytes once, ignore Range, throttle. A hostile Hub for
 * tests: extra raw entries in a listing (`..` paths, absolute paths, NUL…), a false commit id, redirects to any
 * Location, LFS redirects and pagination links that point at another server.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { generateDecoderModel, generateEncoderModel } from './modelGenerator';

export interface FixtureFile {
  path: string;
  content: Buffer;
}

export interface FixtureModel {
  id: string;
  files: FixtureFile[];
  pipelineTag?: string;
  libraryName?: string;
  tags?: string[];
  license?: string;
  languages?: string[];
  downloads?: number;
  likes?: number;
  lastModified?: string;
  createdAt?: string;
  gated?: false | 'auto' | 'manual';
  private?: boolean;
  /** Hub-side safetensors metadata (parameters per dtype); computed from the safetensors files when omitted. */
  safetensorsParameters?: Record<string, number>;
}

interface ServedFile {
  path: string;
  content: Buffer;
  size: number;
  gitSha1: string;
  sha256: string | undefined;
}

interface ServedModel {
  fixture: FixtureModel;
  commit: string;
  files: ServedFile[];
}

export interface RecordedRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  range: string | undefined;
}

/** What a hostile (or broken) Hub answers for one model instead of the truth. */
export interface HostileAnswers {
  /** Raw entries added to every page-set of the model's /tree listing, served verbatim. */
  extraTreeEntries?: Record<string, unknown>[];
  /** The commit id the info endpoints give (`sha`), also accepted as a revision. */
  sha?: string;
}

export interface HubServerOptions {
  models: FixtureModel[];
  /** token → model ids it may read when gated or private. */
  tokens?: Record<string, string[]>;
  /** Entries per page of /tree and /api/models before a Link: next header (default 50). */
  pageSize?: number;
}

export interface HubServer {
  url: string;
  requests: RecordedRequest[];
  /** Per content path (`{id}/{file}`): cut the connection after this many body bytes, once. */
  cutAfterBytes: Map<string, number>;
  /** Per content path: serve one flipped byte in the next transfer. */
  corruptOnce: Set<string>;
  ignoreRange: boolean;
  /** Send file bodies chunked (no Content-Length), as some proxies and CDNs do. */
  chunkedBodies: boolean;
  /** Bytes per second per transfer (0 = unlimited). */
  throttleBytesPerSecond: number;
  /** Per model id: hostile answers (see HostileAnswers). */
  hostile: Map<string, HostileAnswers>;
  /** Request path (as sent, without the query) → a Location to answer 302 with, before any other routing. */
  redirects: Map<string, string>;
  /** Origin LFS redirects point to (absolute) instead of this server's relative /cdn/ (a CDN on another host). */
  cdnOrigin: string | undefined;
  /** Origin `Link: next` headers point to instead of this server's. */
  nextPageOrigin: string | undefined;
  commitOf(id: string): string;
  fileOf(id: string, path: string): ServedFile;
  close(): Promise<void>;
}

const lfsPattern = /\.(onnx|onnx_data|safetensors|bin|gguf|pt|h5|msgpack)$|_data(_\d+)?$/;

export function gitBlobSha1(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

function serve(fixture: FixtureModel): ServedModel {
  const files = fixture.files.map((file): ServedFile => {
    const lfs = lfsPattern.test(file.path) || file.content.length > 10 * 1024 * 1024;
    return { path: file.path, content: file.content, size: file.content.length, gitSha1: gitBlobSha1(file.content), sha256: lfs ? createHash('sha256').update(file.content).digest('hex') : undefined };
  });
  const commit = createHash('sha1')
    .update(fixture.id)
    .update(files.map((file) => `${file.path}:${file.gitSha1}`).join('\n'))
    .digest('hex');
  return { fixture, commit, files };
}

export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const models = new Map(options.models.map((fixture) => [fixture.id, serve(fixture)]));
  const byBlob = new Map<string, { model: ServedModel; file: ServedFile }>();
  for (const model of models.values()) for (const file of model.files) if (file.sha256) byBlob.set(file.sha256, { model, file });
  const pageSize = options.pageSize ?? 50;
  const tokens = options.tokens ?? {};
  const server: Server = createServer((req, res) => {
    hub.requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', authorization: req.headers.authorization, range: req.headers.range });
    try {
      route(req, res);
    } catch (error) {
      json(res, 500, { error: error instanceof Error ? error.message : String(error) });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const hub: HubServer = {
    url,
    requests: [],
    cutAfterBytes: new Map(),
    corruptOnce: new Set(),
    ignoreRange: false,
    chunkedBodies: false,
    throttleBytesPerSecond: 0,
    hostile: new Map(),
    redirects: new Map(),
    cdnOrigin: undefined,
    nextPageOrigin: undefined,
    commitOf: (id) => {
      const model = models.get(id);
      if (!model) throw new Error(`no fixture ${id}`);
      return model.commit;
    },
    fileOf: (id, path) => {
      const file = models.get(id)?.files.find((candidate) => candidate.path === path);
      if (!file) throw new Error(`no fixture file ${id}/${path}`);
      return file;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  function grantedTo(req: IncomingMessage, id: string): 'none' | 'denied' | 'granted' {
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) return 'none';
    return tokens[header.slice('Bearer '.length)]?.includes(id) ? 'granted' : 'denied';
  }

  /** Splits `/org/name/rest…` where the id may be one or two segments; known ids win. */
  function splitId(segments: string[]): { model: ServedModel; rest: string[] } | undefined {
    for (const length of [2, 1]) {
      const model = models.get(segments.slice(0, length).join('/'));
      if (model) return { model, rest: segments.slice(length) };
    }
    return undefined;
  }

  function resolveRevision(model: ServedModel, revision: string): boolean {
    return revision === 'main' || revision === 'HEAD' || revision === model.commit || (revision !== '' && revision === hub.hostile.get(model.fixture.id)?.sha);
  }

  function route(req: IncomingMessage, res: ServerResponse): void {
    const parsed = new URL(req.url ?? '/', url);
    const redirect = hub.redirects.get(parsed.pathname);
    if (redirect !== undefined) {
      res.writeHead(302, { location: redirect, 'content-length': '0' });
      res.end();
      return;
    }
    const segments = parsed.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (segments[0] === 'api' && segments[1] === 'models') {
      if (segments.length === 2) return search(parsed, res);
      const found = splitId(segments.slice(2));
      if (!found || (found.model.fixture.private && grantedTo(req, found.model.fixture.id) !== 'granted')) {
        // The Hub does not reveal private repositories: 401 without a token, 404 with one.
        return json(res, found && grantedTo(req, found.model.fixture.id) === 'none' ? 401 : 404, { error: 'Repository not found' });
      }
      const { model, rest } = found;
      if (rest.length === 0) return json(res, 200, info(model));
      if (rest[0] === 'revision' && rest[1] !== undefined) {
        if (!resolveRevision(model, rest.slice(1).join('/'))) return json(res, 404, { error: 'Invalid rev id' });
        return json(res, 200, info(model));
      }
      if (rest[0] === 'tree' && rest[1] !== undefined) {
        if (!resolveRevision(model, rest[1])) return json(res, 404, { error: 'Invalid rev id' });
        return tree(model, rest.slice(2).join('/'), parsed, res);
      }
      return json(res, 404, { error: 'Not found' });
    }
    if (segments[0] === 'cdn' && segments[1]) {
      const entry = byBlob.get(segments[1]);
      if (!entry) return json(res, 404, { error: 'Not found' });
      return sendContent(req, res, entry.model, entry.file, {});
    }
    const found = splitId(segments);
    if (!found || found.rest[0] !== 'resolve' || found.rest[1] === undefined) return json(res, 404, { error: 'Repository not found' }, { 'x-error-code': 'RepoNotFound' });
    const { model, rest } = found;
    const access = grantedTo(req, model.fixture.id);
    if ((model.fixture.private || model.fixture.gated) && access !== 'granted') {
      if (model.fixture.private) return json(res, access === 'none' ? 401 : 404, { error: 'Repository not found' }, { 'x-error-code': 'RepoNotFound' });
      const message = `Access to model ${model.fixture.id} is restricted. You must have access to it and be authenticated to access it.`;
      return json(res, access === 'none' ? 401 : 403, { error: message }, { 'x-error-code': 'GatedRepo', 'x-error-message': message });
    }
    if (!resolveRevision(model, rest[1] ?? '')) return json(res, 404, { error: 'Invalid rev id' }, { 'x-error-code': 'RevisionNotFound' });
    const path = rest.slice(2).join('/');
    const file = model.files.find((candidate) => candidate.path === path);
    if (!file) return json(res, 404, { error: 'Entry not found' }, { 'x-error-code': 'EntryNotFound' });
    const headers: Record<string, string> = { 'x-repo-commit': model.commit, etag: `"${file.sha256 ?? file.gitSha1}"` };
    if (file.sha256) {
      res.writeHead(302, {
        ...headers,
        'x-linked-etag': `"${file.sha256}"`,
        'x-linked-size': String(file.size),
        location: `${hub.cdnOrigin ?? ''}/cdn/${file.sha256}?expires=${Date.now() + 3_600_000}`,
      });
      res.end();
      return;
    }
    sendContent(req, res, model, file, headers);
  }

  function summary(model: ServedModel): Record<string, unknown> {
    const fixture = model.fixture;
    const parameters = fixture.safetensorsParameters ?? safetensorsParameters(model.files);
    const total = Object.values(parameters).reduce((sum, count) => sum + count, 0);
    const config = model.files.find((file) => file.path === 'config.json');
    return {
      _id: createHash('md5').update(fixture.id).digest('hex').slice(0, 24),
      id: fixture.id,
      modelId: fixture.id,
      author: fixture.id.split('/')[0],
      sha: hub.hostile.get(fixture.id)?.sha ?? model.commit,
      lastModified: fixture.lastModified ?? '2025-01-01T00:00:00.000Z',
      createdAt: fixture.createdAt ?? fixture.lastModified ?? '2024-06-01T00:00:00.000Z',
      private: fixture.private ?? false,
      gated: fixture.gated ?? false,
      disabled: false,
      downloads: fixture.downloads ?? 0,
      likes: fixture.likes ?? 0,
      library_name: fixture.libraryName,
      pipeline_tag: fixture.pipelineTag,
      tags: [...(fixture.tags ?? []), ...(fixture.license ? [`license:${fixture.license}`] : []), ...(fixture.languages ?? [])],
      cardData: { license: fixture.license, language: fixture.languages },
      siblings: model.files.map((file) => ({ rfilename: file.path })),
      ...(total > 0 ? { safetensors: { parameters, total } } : {}),
      ...(config ? { config: JSON.parse(config.content.toString('utf8')) as unknown } : {}),
    };
  }

  function info(model: ServedModel): Record<string, unknown> {
    return summary(model);
  }

  function search(parsed: URL, res: ServerResponse): void {
    const query = parsed.searchParams;
    const text = query.get('search')?.toLowerCase();
    const author = query.get('author');
    const task = query.get('pipeline_tag');
    const filters = [...query.getAll('filter'), ...(query.get('library') ? [query.get('library') ?? ''] : [])];
    const sort = query.get('sort') ?? 'downloads';
    const direction = query.get('direction') === '1' ? 1 : -1;
    const limit = Math.min(Number(query.get('limit') ?? 1000) || 1000, 1000);
    const cursor = Number(query.get('cursor') ?? 0) || 0;
    let list = [...models.values()].filter((model) => !model.fixture.private);
    if (text) list = list.filter((model) => model.fixture.id.toLowerCase().includes(text));
    if (author) list = list.filter((model) => model.fixture.id.split('/')[0] === author);
    if (task) list = list.filter((model) => model.fixture.pipelineTag === task);
    for (const filter of filters) {
      list = list.filter((model) => {
        const entry = summary(model);
        return (entry.tags as string[]).includes(filter) || entry.library_name === filter || entry.pipeline_tag === filter;
      });
    }
    const key = (model: ServedModel): number | string => {
      const fixture = model.fixture;
      if (sort === 'likes') return fixture.likes ?? 0;
      if (sort === 'lastModified') return Date.parse(fixture.lastModified ?? '2025-01-01');
      if (sort === 'createdAt') return Date.parse(fixture.createdAt ?? fixture.lastModified ?? '2024-06-01');
      if (sort === 'id') return fixture.id;
      return fixture.downloads ?? 0;
    };
    list.sort((a, b) => {
      const [ka, kb] = [key(a), key(b)];
      return (ka < kb ? -1 : ka > kb ? 1 : a.fixture.id.localeCompare(b.fixture.id)) * direction;
    });
    const pageLimit = Math.min(limit, pageSize);
    const page = list.slice(cursor, cursor + pageLimit);
    const headers: Record<string, string> = {};
    if (cursor + pageLimit < list.length && pageLimit < limit) {
      const next = new URL(parsed.toString());
      next.searchParams.set('cursor', String(cursor + pageLimit));
      next.searchParams.set('limit', String(limit - pageLimit));
      headers.link = `<${hub.nextPageOrigin ?? url}${next.pathname}${next.search}>; rel="next"`;
    }
    json(res, 200, page.map(summary), headers);
  }

  function tree(model: ServedModel, folder: string, parsed: URL, res: ServerResponse): void {
    const recursive = parsed.searchParams.get('recursive') === 'true';
    const prefix = folder ? `${folder}/` : '';
    const entries: Record<string, unknown>[] = [];
    const directories = new Set<string>();
    for (const file of model.files) {
      if (!file.path.startsWith(prefix)) continue;
      const rest = file.path.slice(prefix.length);
      const parts = rest.split('/');
      for (let depth = 1; depth < parts.length && (recursive || depth === 1); depth++) directories.add(prefix + parts.slice(0, depth).join('/'));
      if (!recursive && parts.length > 1) continue;
      entries.push({
        type: 'file',
        oid: file.gitSha1,
        size: file.size,
        path: file.path,
        ...(file.sha256 ? { lfs: { oid: file.sha256, size: file.size, pointerSize: 134 } } : {}),
      });
    }
    if (folder && entries.length === 0 && directories.size === 0) return json(res, 404, { error: `Path ${folder} not found` });
    const all = [
      ...[...directories].sort().map((path) => ({ type: 'directory', oid: createHash('sha1').update(path).digest('hex'), size: 0, path })),
      ...entries,
      ...(hub.hostile.get(model.fixture.id)?.extraTreeEntries ?? []),
    ];
    const cursor = Number(parsed.searchParams.get('cursor') ?? 0) || 0;
    const page = all.slice(cursor, cursor + pageSize);
    const headers: Record<string, string> = {};
    if (cursor + pageSize < all.length) {
      const next = new URL(parsed.toString());
      next.searchParams.set('cursor', String(cursor + pageSize));
      headers.link = `<${hub.nextPageOrigin ?? url}${next.pathname}${next.search}>; rel="next"`;
    }
    json(res, 200, page, headers);
  }

  function sendContent(req: IncomingMessage, res: ServerResponse, model: ServedModel, file: ServedFile, extra: Record<string, string>): void {
    const key = `${model.fixture.id}/${file.path}`;
    let start = 0;
    let end = file.size - 1;
    let status = 200;
    const range = hub.ignoreRange ? undefined : req.headers.range;
    const headers: Record<string, string> = { ...extra, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream', etag: extra.etag ?? `"${file.sha256 ?? file.gitSha1}"` };
    if (range) {
      const match = /^bytes=(\d*)-(\d*)$/.exec(range);
      if (match) {
        start = match[1] ? Number(match[1]) : Math.max(0, file.size - Number(match[2]));
        end = match[1] && match[2] ? Math.min(Number(match[2]), file.size - 1) : file.size - 1;
        if (start >= file.size || start > end) {
          res.writeHead(416, { ...headers, 'content-range': `bytes */${file.size}` });
          res.end();
          return;
        }
        status = 206;
        headers['content-range'] = `bytes ${start}-${end}/${file.size}`;
      }
    }
    if (!hub.chunkedBodies || req.method === 'HEAD') headers['content-length'] = String(end - start + 1);
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    let body = file.content.subarray(start, end + 1);
    if (hub.corruptOnce.delete(key) && body.length > 0) {
      body = Buffer.from(body);
      body[body.length >> 1] = (body[body.length >> 1] ?? 0) ^ 0xff;
    }
    const cut = hub.cutAfterBytes.get(key);
    if (cut !== undefined) {
      hub.cutAfterBytes.delete(key);
      res.write(body.subarray(0, cut), () => res.destroy());
      return;
    }
    if (hub.throttleBytesPerSecond > 0) return throttled(res, body, hub.throttleBytesPerSecond);
    if (hub.chunkedBodies) {
      for (let offset = 0; offset < body.length; offset += 1 << 20) res.write(body.subarray(offset, offset + (1 << 20)));
      res.end();
      return;
    }
    res.end(body);
  }

  return hub;
}

function throttled(res: ServerResponse, body: Buffer, bytesPerSecond: number): void {
  const chunk = Math.max(1024, Math.floor(bytesPerSecond / 20));
  let offset = 0;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    const next = body.subarray(offset, offset + chunk);
    offset += next.length;
    if (offset >= body.length) {
      clearInterval(timer);
      res.end(next);
    } else res.write(next);
  }, 50);
  res.on('close', () => clearInterval(timer));
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** Parameter counts per dtype from the safetensors headers of the files (as the Hub's metadata gives them). */
function safetensorsParameters(files: ServedFile[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const file of files) {
    if (!file.path.endsWith('.safetensors')) continue;
    const length = Number(file.content.readBigUInt64LE(0));
    const header = JSON.parse(file.content.subarray(8, 8 + length).toString('utf8')) as Record<string, { dtype: string; shape: number[] }>;
    for (const [name, tensor] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      counts[tensor.dtype] = (counts[tensor.dtype] ?? 0) + tensor.shape.reduce((product, dim) => product * dim, 1);
    }
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------------------------
// Generated models of real layouts.

const dtypeBytes: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I8: 1, U8: 1, I64: 8 };

/** A real safetensors file: u64 header length, JSON header (8-byte aligned, space padded), then the tensors' bytes. */
export function safetensorsFile(tensors: { name: string; dtype: string; shape: number[] }[], metadata: Record<string, string> = { format: 'pt' }): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const tensor of tensors) {
    const bytes = tensor.shape.reduce((product, dim) => product * dim, 1) * (dtypeBytes[tensor.dtype] ?? 4);
    header[tensor.name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (Buffer.byteLength(text) % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  return Buffer.concat([length, Buffer.from(text), randomBytes(offset)]);
}

export interface LlamaShape {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  vocab: number;
  tied: boolean;
}

/** The tensors of a Llama checkpoint (names and shapes as transformers saves them). */
export function llamaTensors(shape: LlamaShape, dtype = 'BF16'): { name: string; dtype: string; shape: number[] }[] {
  const headDim = shape.hidden / shape.heads;
  const tensors = [{ name: 'model.embed_tokens.weight', dtype, shape: [shape.vocab, shape.hidden] }];
  for (let layer = 0; layer < shape.layers; layer++) {
    const p = `model.layers.${layer}`;
    tensors.push(
      { name: `${p}.input_layernorm.weight`, dtype, shape: [shape.hidden] },
      { name: `${p}.self_attn.q_proj.weight`, dtype, shape: [shape.hidden, shape.hidden] },
      { name: `${p}.self_attn.k_proj.weight`, dtype, shape: [shape.kvHeads * headDim, shape.hidden] },
      { name: `${p}.self_attn.v_proj.weight`, dtype, shape: [shape.kvHeads * headDim, shape.hidden] },
      { name: `${p}.self_attn.o_proj.weight`, dtype, shape: [shape.hidden, shape.hidden] },
      { name: `${p}.post_attention_layernorm.weight`, dtype, shape: [shape.hidden] },
      { name: `${p}.mlp.gate_proj.weight`, dtype, shape: [shape.intermediate, shape.hidden] },
      { name: `${p}.mlp.up_proj.weight`, dtype, shape: [shape.intermediate, shape.hidden] },
      { name: `${p}.mlp.down_proj.weight`, dtype, shape: [shape.hidden, shape.intermediate] },
    );
  }
  tensors.push({ name: 'model.norm.weight', dtype, shape: [shape.hidden] });
  if (!shape.tied) tensors.push({ name: 'lm_head.weight', dtype, shape: [shape.vocab, shape.hidden] });
  return tensors;
}

export function llamaConfig(shape: LlamaShape, dtype = 'bfloat16'): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: shape.hidden,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    num_key_value_heads: shape.kvHeads,
    intermediate_size: shape.intermediate,
    vocab_size: shape.vocab,
    max_position_embeddings: 2048,
    tie_word_embeddings: shape.tied,
    torch_dtype: dtype,
    rms_norm_eps: 1e-5,
  };
}

function readTree(dir: string): FixtureFile[] {
  const walk = (folder: string): string[] => readdirSync(folder).flatMap((entry) => (statSync(join(folder, entry)).isDirectory() ? walk(join(folder, entry)) : [join(folder, entry)]));
  return walk(dir).map((file) => ({ path: relative(dir, file).split('\\').join('/'), content: readFileSync(file) }));
}

let generated: { decoder: FixtureFile[]; encoder: FixtureFile[] } | undefined;

/** ONNX models from the inference engine's generator (#6): a Llama-style decoder and a MiniLM-style encoder. */
function generatedOnnx(): { decoder: FixtureFile[]; encoder: FixtureFile[] } {
  if (generated) return generated;
  const dir = mkdtempSync(join(tmpdir(), 'chatwright-hub-fixtures-'));
  try {
    generateDecoderModel(join(dir, 'decoder'), { architecture: 'llama', hiddenSize: 32, layers: 2, heads: 4, kvHeads: 2, vocabSize: 512, formats: ['fp32', 'q8'] });
    generateEncoderModel(join(dir, 'encoder'), { formats: ['fp32', 'q8'] });
    generated = { decoder: readTree(join(dir, 'decoder')), encoder: readTree(join(dir, 'encoder')) };
  } finally {
    // The files are held in memory from here on; the folder was only the generator's output.
    rmSync(dir, { recursive: true, force: true });
  }
  return generated;
}

export const tinyLlamaShape: LlamaShape = { hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 128, vocab: 512, tied: false };

/**
 * The standard catalogue: ONNX decoder with q4/int8/fp16 (+ external data) variants, a MiniLM-style embedder, sharded
 * safetensors, a gated and a private model, and a GGUF-only repository.
 */
export function standardFixtures(): FixtureModel[] {
  const { decoder, encoder } = generatedOnnx();
  const decoderFp32 = decoder.find((file) => file.path === 'onnx/model.onnx')?.content ?? Buffer.alloc(0);
  const decoderQ8 = decoder.find((file) => file.path === 'onnx/model_quantized.onnx')?.content ?? Buffer.alloc(0);
  const shardA = safetensorsFile(llamaTensors(tinyLlamaShape).slice(0, 10));
  const shardB = safetensorsFile(llamaTensors(tinyLlamaShape).slice(10));
  const weightMap: Record<string, string> = Object.fromEntries(
    llamaTensors(tinyLlamaShape).map((t, index): [string, string] => [t.name, index < 10 ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors']),
  );
  const support = (shape: LlamaShape): FixtureFile[] => [
    { path: 'config.json', content: Buffer.from(JSON.stringify(llamaConfig(shape), null, 2)) },
    ...decoder.filter((file) => file.path.startsWith('tokenizer')),
    { path: 'README.md', content: Buffer.from('---\nlicense: apache-2.0\n---\n# test model\n') },
  ];
  return [
    {
      id: 'chatwright-test/tiny-llama-onnx',
      files: [
        ...decoder.filter((file) => !file.path.startsWith('onnx/')),
        { path: 'onnx/model.onnx', content: decoderFp32 },
        { path: 'onnx/model_quantized.onnx', content: decoderQ8 },
        // The int8/q4 files reuse the generator's q8 graph: byte-valid ONNX in the layout transformers.js expects.
        { path: 'onnx/model_int8.onnx', content: decoderQ8 },
        { path: 'onnx/model_q4.onnx', content: decoderQ8 },
        { path: 'onnx/model_fp16.onnx', content: decoderFp32.subarray(0, 4096) },
        { path: 'onnx/model_fp16.onnx_data', content: randomBytes(300_000) },
        { path: 'README.md', content: Buffer.from('---\nlicense: apache-2.0\nlibrary_name: transformers.js\n---\n') },
      ],
      pipelineTag: 'text-generation',
      libraryName: 'transformers.js',
      tags: ['transformers.js', 'onnx', 'llama', 'text-generation', 'conversational'],
      license: 'apache-2.0',
      languages: ['en'],
      downloads: 5000,
      likes: 40,
      lastModified: '2025-03-01T00:00:00.000Z',
      safetensorsParameters: { F32: 57_344 },
    },
    {
      id: 'chatwright-test/tiny-minilm',
      files: [...encoder, { path: 'onnx/model_int8.onnx', content: encoder.find((file) => file.path === 'onnx/model_quantized.onnx')?.content ?? Buffer.alloc(0) }],
      pipelineTag: 'feature-extraction',
      libraryName: 'sentence-transformers',
      tags: ['sentence-transformers', 'onnx', 'bert', 'feature-extraction', 'sentence-similarity'],
      license: 'mit',
      languages: ['en'],
      downloads: 90_000,
      likes: 300,
      lastModified: '2024-11-01T00:00:00.000Z',
    },
    {
      id: 'chatwright-test/tiny-llama-safetensors',
      files: [
        ...support(tinyLlamaShape),
        { path: 'generation_config.json', content: Buffer.from('{"do_sample": false}') },
        { path: 'model-00001-of-00002.safetensors', content: shardA },
        { path: 'model-00002-of-00002.safetensors', content: shardB },
        { path: 'model.safetensors.index.json', content: Buffer.from(JSON.stringify({ metadata: { total_size: shardA.length + shardB.length }, weight_map: weightMap })) },
      ],
      pipelineTag: 'text-generation',
      libraryName: 'transformers',
      tags: ['transformers', 'safetensors', 'llama', 'text-generation'],
      license: 'llama3.2',
      languages: ['en', 'de', 'fr'],
      downloads: 1200,
      likes: 900,
      lastModified: '2025-05-01T00:00:00.000Z',
    },
    {
      id: 'chatwright-test/gated-llama',
      files: [...support(tinyLlamaShape), { path: 'model.safetensors', content: safetensorsFile(llamaTensors(tinyLlamaShape)) }],
      pipelineTag: 'text-generation',
      libraryName: 'transformers',
      tags: ['transformers', 'safetensors', 'llama'],
      license: 'llama3.2',
      gated: 'manual',
      // No safetensors metadata in the API: fit estimates must read the headers (with the token, by Range).
      safetensorsParameters: {},
      downloads: 700,
      likes: 10,
    },
    {
      id: 'chatwright-test/private-model',
      files: [...support(tinyLlamaShape), { path: 'model.safetensors', content: safetensorsFile(llamaTensors(tinyLlamaShape)) }],
      pipelineTag: 'text-generation',
      libraryName: 'transformers',
      tags: ['transformers', 'safetensors'],
      private: true,
    },
    {
      id: 'chatwright-test/tiny-gguf',
      files: [
        { path: 'tiny-Q4_K_M.gguf', content: Buffer.concat([Buffer.from('GGUF'), Buffer.from([3, 0, 0, 0]), randomBytes(2048)]) },
        { path: 'tiny-Q8_0.gguf', content: Buffer.concat([Buffer.from('GGUF'), Buffer.from([3, 0, 0, 0]), randomBytes(4096)]) },
      ],
      pipelineTag: 'text-generation',
      libraryName: 'gguf',
      tags: ['gguf', 'llama'],
      license: 'mit',
      downloads: 300,
      likes: 5,
      lastModified: '2025-06-01T00:00:00.000Z',
    },
  ];
}

/**
 * Writes a model into a cache folder in huggingface_hub's documented layout, without a server: for cache-listing
 * tests and the 500-model benchmark. Files are { path: content }; returns the commit used.
 */
export function writeCachedModel(cacheDir: string, id: string, files: Record<string, Buffer | string>, commit = createHash('sha1').update(id).digest('hex')): string {
  const repo = join(cacheDir, `models--${id.split('/').join('--')}`);
  mkdirSync(join(repo, 'blobs'), { recursive: true });
  mkdirSync(join(repo, 'refs'), { recursive: true });
  writeFileSync(join(repo, 'refs', 'main'), commit);
  for (const [path, raw] of Object.entries(files)) {
    const content = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    const etag = lfsPattern.test(path) ? createHash('sha256').update(content).digest('hex') : gitBlobSha1(content);
    writeFileSync(join(repo, 'blobs', etag), content);
    const link = join(repo, 'snapshots', commit, ...path.split('/'));
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), join(repo, 'blobs', etag)), link);
  }
  return commit;
}
