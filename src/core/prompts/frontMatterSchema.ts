import { isMap, isPair, isScalar, isSeq, type Document, type Node as YamlNode, type Pair } from 'yaml';
import schemaJson from '../../../schemas/prompty.schema.json';
import { type OffsetFinding } from './promptFinding';
import { suggest } from '../text/suggest';

/** The subset of JSON Schema that schemas/prompty.schema.json uses; the validator below implements exactly this. */
export interface SchemaNode {
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  required?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  anyOf?: SchemaNode[];
  description?: string;
  default?: unknown;
  $ref?: string;
  definitions?: Record<string, SchemaNode>;
}

export const promptySchema = schemaJson as unknown as SchemaNode;

function resolve(schema: SchemaNode): SchemaNode {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace('#/definitions/', '');
  const target = promptySchema.definitions?.[name] ?? {};
  const { $ref: _resolved, ...local } = schema;
  const description = schema.description ?? target.description;
  return { ...target, ...local, ...(description !== undefined ? { description } : {}) };
}

type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

function typeOfNode(node: YamlNode | null | undefined): JsonType {
  if (isMap(node)) return 'object';
  if (isSeq(node)) return 'array';
  if (isScalar(node)) {
    const value = node.value;
    if (value === null || value === undefined) return 'null';
    if (typeof value === 'boolean') return 'boolean';
    if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
    return 'string';
  }
  return 'null';
}

function typeMatches(actual: JsonType, allowed: string | string[] | undefined): boolean {
  if (allowed === undefined) return true;
  const list = Array.isArray(allowed) ? allowed : [allowed];
  return list.includes(actual) || (actual === 'integer' && list.includes('number'));
}

/** `${file:…}` and `${env:…}` stand for a value of any type; Prompty substitutes them at load time. */
export function isReference(node: YamlNode | null | undefined): boolean {
  return isScalar(node) && typeof node.value === 'string' && /^\$\{(file|env):/i.test(node.value);
}

/** Picks the `anyOf` branch whose type fits the node, so errors and completion follow the shape the user chose. */
export function branchFor(schema: SchemaNode, actual: JsonType | undefined): SchemaNode {
  const resolved = resolve(schema);
  if (!resolved.anyOf) return resolved;
  const branch = resolved.anyOf.map(resolve).find((candidate) => actual !== undefined && typeMatches(actual, candidate.type));
  const chosen = branch ?? resolved.anyOf.map(resolve).find((candidate) => typeMatches('object', candidate.type)) ?? resolved.anyOf[0]!;
  const description = resolved.description ?? chosen.description;
  return { ...chosen, ...(description !== undefined ? { description } : {}) };
}

function allowedTypes(schema: SchemaNode): string[] {
  const resolved = resolve(schema);
  if (resolved.anyOf) return resolved.anyOf.flatMap((branch) => allowedTypes(branch));
  return resolved.type === undefined ? [] : Array.isArray(resolved.type) ? resolved.type : [resolved.type];
}

function range(node: YamlNode | null | undefined, offset: number): { start: number; end: number } {
  const [start, valueEnd] = node?.range ?? [0, 0];
  return { start: offset + start, end: offset + Math.max(start + 1, valueEnd) };
}

/** Checks the front matter against the schema; every finding is placed on the key or value it concerns. */
export function validateFrontMatter(document: Document.Parsed, offset: number): OffsetFinding[] {
  const findings: OffsetFinding[] = [];
  if (!isMap(document.contents)) return findings;
  validateNode(document.contents, promptySchema, [], offset, findings);
  return findings;
}

function describePath(path: readonly string[]): string {
  return path.length === 0 ? 'the front matter' : `\`${path.join('.')}\``;
}

function validateNode(node: YamlNode | null | undefined, schemaIn: SchemaNode, path: string[], offset: number, findings: OffsetFinding[]): void {
  if (isReference(node)) return;
  const actual = typeOfNode(node);
  const schema = branchFor(schemaIn, actual);
  const types = allowedTypes(schemaIn);
  if (types.length > 0 && !types.some((type) => typeMatches(actual, type))) {
    const shown = actual === 'null' ? 'empty' : `a${/^[aeiou]/.test(actual) ? 'n' : ''} ${actual}`;
    findings.push({
      ...range(node, offset),
      severity: 'error',
      code: 'schema-type',
      message: `${describePath(path)} must be ${types.map((t) => (t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : `a ${t}`)).join(' or ')}, not ${shown}.`,
    });
    return;
  }
  if (schema.enum && isScalar(node) && !schema.enum.includes(node.value)) {
    findings.push({
      ...range(node, offset),
      severity: 'error',
      code: 'schema-enum',
      message: `${describePath(path)} must be one of ${schema.enum.map((v) => `\`${String(v)}\``).join(', ')}; got \`${String(node.value)}\`.`,
    });
  }
  if (isScalar(node) && typeof node.value === 'number') {
    const value = node.value;
    const bounds = [
      schema.minimum !== undefined ? `at least ${schema.minimum}` : '',
      schema.exclusiveMinimum !== undefined ? `greater than ${schema.exclusiveMinimum}` : '',
      schema.maximum !== undefined ? `at most ${schema.maximum}` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    if (
      (schema.minimum !== undefined && value < schema.minimum) ||
      (schema.maximum !== undefined && value > schema.maximum) ||
      (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum)
    ) {
      findings.push({ ...range(node, offset), severity: 'error', code: 'schema-range', message: `${describePath(path)} must be ${bounds}; got ${value}.` });
    }
  }
  if (isMap(node)) {
    const seen = new Set<string>();
    for (const pair of node.items as Pair<YamlNode, YamlNode>[]) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      seen.add(key);
      const child = schema.properties?.[key];
      if (child) validateNode(pair.value, child, [...path, key], offset, findings);
      else if (schema.additionalProperties === false) {
        const known = Object.keys(schema.properties ?? {});
        findings.push({
          ...range(pair.key, offset),
          severity: 'warning',
          code: 'schema-unknown-key',
          message: `Unknown key \`${key}\` in ${describePath(path)}. Known keys: ${suggest(key, known)}${known.length > 3 ? ', …' : ''}.`,
        });
      } else if (typeof schema.additionalProperties === 'object') validateNode(pair.value, schema.additionalProperties, [...path, key], offset, findings);
    }
    for (const required of schema.required ?? []) {
      if (!seen.has(required)) findings.push({ ...range(node, offset), severity: 'error', code: 'schema-required', message: `${describePath(path)} needs \`${required}\`.` });
    }
  }
  if (isSeq(node) && schema.items) {
    node.items.forEach((item, index) => validateNode(item as YamlNode, schema.items!, [...path, String(index)], offset, findings));
  }
}

/** The schema that applies at a path (object branch preferred), for completion and hover. */
export function schemaAtPath(path: readonly (string | number)[], actualTypes: (JsonType | undefined)[] = []): SchemaNode | undefined {
  let schema: SchemaNode | undefined = branchFor(promptySchema, 'object');
  for (let i = 0; i < path.length; i++) {
    if (!schema) return undefined;
    const key = path[i]!;
    let next: SchemaNode | undefined;
    if (typeof key === 'number') next = schema.items;
    else next = schema.properties?.[key] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (!next) return undefined;
    schema = branchFor(next, actualTypes[i + 1] ?? (i === path.length - 1 ? undefined : typeof path[i + 1] === 'number' ? 'array' : 'object'));
  }
  return schema;
}

/** The schema entry as declared (before choosing a branch): its description covers every shape. */
export function describedSchemaAtPath(path: readonly (string | number)[]): SchemaNode | undefined {
  if (path.length === 0) return promptySchema;
  const parent = schemaAtPath(path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (!parent) return undefined;
  const raw = typeof key === 'number' ? parent.items : (parent.properties?.[key] ?? (typeof parent.additionalProperties === 'object' ? parent.additionalProperties : undefined));
  return raw ? resolve(raw) : undefined;
}

export { typeOfNode };
