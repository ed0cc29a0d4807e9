import { parse as parseYaml } from 'yaml';
import { isMap, isScalar, isSeq, type Document, type Node as YamlNode } from 'yaml';
import { yamlNodeAt } from './promptyDocument';
import { readWorkspaceFile } from './workspaceFiles';

/** An input the front matter declares (`inputs:` in v1 map or v2 list form, or a key of `sample:`). */
export interface DeclaredInput {
  name: string;
  type?: string;
  description?: string;
  /** The value the preview uses: sample, else default. */
  value?: unknown;
  hasValue: boolean;
  /** Where it is declared: offsets of the key (v1) or the `name` value (v2), relative to the YAML text. */
  keyRange?: [number, number];
  source: 'inputs' | 'sample';
}

const referencePattern = /^\$\{(file|env):([^}]*)\}$/i;

/** Splits `${env:NAME:default}` / `${file:path}`; undefined when the value is not a reference. */
export function parseReference(value: unknown): { kind: 'file' | 'env'; target: string; fallback?: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const match = referencePattern.exec(value.trim());
  if (!match) return undefined;
  const kind = match[1]!.toLowerCase() as 'file' | 'env';
  if (kind === 'env') {
    const [name = '', ...rest] = match[2]!.split(':');
    return { kind, target: name, ...(rest.length > 0 ? { fallback: rest.join(':') } : {}) };
  }
  return { kind, target: match[2]! };
}

/** Resolves `${env:NAME:default}`; other values are returned unchanged. */
export function resolveEnvReference(value: unknown, env: NodeJS.ProcessEnv): unknown {
  const reference = parseReference(value);
  if (reference?.kind !== 'env') return value;
  return env[reference.target] ?? reference.fallback ?? value;
}

/** Reads `${file:…}`: JSON or YAML by extension, any other file as text (confined to the workspace). */
export function loadFileReference(reference: string, templatePath: string | undefined, roots: readonly string[]): { value: unknown } | { error: string } {
  const file = readWorkspaceFile(reference, templatePath, roots);
  if ('error' in file) return file;
  if (!/\.(json|ya?ml)$/i.test(reference)) return { value: file.text };
  try {
    return { value: /\.ya?ml$/i.test(reference) ? parseYaml(file.text, { logLevel: 'error' }) : JSON.parse(file.text) };
  } catch (error) {
    return { error: `\`${reference}\` is not valid ${/\.ya?ml$/i.test(reference) ? 'YAML' : 'JSON'}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

export interface InputsResult {
  inputs: DeclaredInput[];
  /** Problems loading `${file:…}` samples: the message and the YAML offsets of the reference. */
  problems: { message: string; range: [number, number] }[];
}

/** Every declared input with its preview value: v1 `inputs` map, v2 `inputs` list, and `sample` (inline or file). */
export function declaredInputs(data: Record<string, unknown> | undefined, yaml: Document.Parsed | undefined, templatePath: string | undefined, roots: readonly string[]): InputsResult {
  const byName = new Map<string, DeclaredInput>();
  const problems: InputsResult['problems'] = [];
  const inputsNode = yaml ? yamlNodeAt(yaml, ['inputs']) : undefined;
  const rawInputs = data?.inputs;
  if (Array.isArray(rawInputs)) {
    rawInputs.forEach((entry, index) => {
      if (!entry || typeof entry !== 'object') return;
      const record = entry as Record<string, unknown>;
      if (typeof record.name !== 'string') return;
      const nameNode = isSeq(inputsNode) ? yamlNodeAt(yaml!, ['inputs', index, 'name']) : undefined;
      const value = record.sample ?? record.default;
      byName.set(record.name, {
        name: record.name,
        ...knownFacts(stringOr(record.kind ?? record.type), stringOr(record.description), rangeOf(nameNode)),
        value,
        hasValue: value !== undefined,
        source: 'inputs',
      });
    });
  } else if (rawInputs && typeof rawInputs === 'object') {
    for (const [name, spec] of Object.entries(rawInputs as Record<string, unknown>)) {
      const keyNode = isMap(inputsNode) ? inputsNode.items.find((pair) => isScalar(pair.key) && pair.key.value === name)?.key : undefined;
      const record = spec && typeof spec === 'object' && !Array.isArray(spec) ? (spec as Record<string, unknown>) : undefined;
      const value = record ? (record.sample ?? record.default) : spec;
      byName.set(name, {
        name,
        ...knownFacts(stringOr(record?.type ?? record?.kind), stringOr(record?.description), rangeOf(keyNode as YamlNode | undefined)),
        value,
        hasValue: value !== undefined && value !== null,
        source: 'inputs',
      });
    }
  }
  let sample = data?.sample;
  const sampleNode = yaml ? yamlNodeAt(yaml, ['sample']) : undefined;
  const reference = parseReference(sample);
  if (reference?.kind === 'file') {
    const loaded = loadFileReference(reference.target, templatePath, roots);
    if ('error' in loaded) {
      problems.push({ message: loaded.error, range: rangeOf(sampleNode) ?? [0, 0] });
      sample = undefined;
    } else sample = loaded.value;
  }
  if (sample && typeof sample === 'object' && !Array.isArray(sample)) {
    // `${file:…}` may also stand for one value (`context: ${file:context.md}`), as Prompty resolves them anywhere.
    sample = resolveNestedReferences(sample, templatePath, roots, (message) => problems.push({ message, range: rangeOf(sampleNode) ?? [0, 0] }));
    for (const [name, value] of Object.entries(sample as Record<string, unknown>)) {
      const existing = byName.get(name);
      const keyNode = isMap(sampleNode) ? sampleNode.items.find((pair) => isScalar(pair.key) && pair.key.value === name)?.key : undefined;
      if (existing) {
        existing.value = value;
        existing.hasValue = true;
      } else {
        const keyRange = rangeOf(keyNode as YamlNode | undefined) ?? rangeOf(sampleNode);
        byName.set(name, { name, value, hasValue: true, ...(keyRange !== undefined ? { keyRange } : {}), source: 'sample' });
      }
    }
  }
  return { inputs: [...byName.values()], problems };
}

/** An input's type, description and key range, leaving out those the front matter does not give. */
function knownFacts(type: string | undefined, description: string | undefined, keyRange: [number, number] | undefined): Pick<DeclaredInput, 'type' | 'description' | 'keyRange'> {
  return { ...(type !== undefined ? { type } : {}), ...(description !== undefined ? { description } : {}), ...(keyRange !== undefined ? { keyRange } : {}) };
}

function rangeOf(node: YamlNode | null | undefined): [number, number] | undefined {
  return node?.range ? [node.range[0], node.range[1]] : undefined;
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The values the template renders with: declared values, overridden by the caller's. */
export function inputValues(inputs: readonly DeclaredInput[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const input of inputs) if (input.hasValue) values[input.name] = input.value;
  return { ...values, ...overrides };
}

/** Replaces `${file:…}` strings anywhere inside a value by the files' contents (depth-limited). */
function resolveNestedReferences(value: unknown, templatePath: string | undefined, roots: readonly string[], report: (message: string) => void, depth = 0): unknown {
  if (depth > 20) return value;
  const reference = parseReference(value);
  if (reference?.kind === 'file') {
    const loaded = loadFileReference(reference.target, templatePath, roots);
    if ('error' in loaded) {
      report(loaded.error);
      return undefined;
    }
    return loaded.value;
  }
  if (Array.isArray(value)) return value.map((item) => resolveNestedReferences(item, templatePath, roots, report, depth + 1));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveNestedReferences(item, templatePath, roots, report, depth + 1)]));
  return value;
}
