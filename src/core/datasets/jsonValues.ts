/** Reading parsed JSON values of dataset rows: kinds, equality, and how messages show them. */

/** A parsed JSON value, and a parsed JSON object: what a dataset row holds. */
export type Json = unknown;
export type JsonObject = Record<string, Json>;

export function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as a message shows it: primitives as JSON, lists and objects by kind (never serialized: they may nest without end). */
export function shown(value: Json): string {
  if (typeof value === 'object' && value !== null) return typeName(value);
  return JSON.stringify(value) ?? 'missing';
}

/** JSON text of a value, or undefined when it nests too deeply to serialize (JSON.stringify recurses). */
export function jsonTextOf(value: Json): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** Deep equality of two parsed JSON values, with an explicit stack: any depth, no stack overflow. */
export function sameJson(a: Json, b: Json): boolean {
  const pending: [Json, Json][] = [[a, b]];
  for (let pair = pending.pop(); pair; pair = pending.pop()) {
    const [x, y] = pair;
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null || Array.isArray(x) !== Array.isArray(y)) return false;
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) pending.push([x[i], y[i]]);
      continue;
    }
    const xKeys = Object.keys(x);
    const yObject = y as JsonObject;
    if (xKeys.length !== Object.keys(yObject).length) return false;
    for (const key of xKeys) {
      if (!Object.prototype.hasOwnProperty.call(yObject, key)) return false;
      pending.push([(x as JsonObject)[key], yObject[key]]);
    }
  }
  return true;
}

/** A value's kind as a message names it: "null", "a list", "an object", "a string". */
export function typeName(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** Whether `text` parses as JSON. */
export function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
