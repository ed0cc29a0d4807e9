/**
 * Field checks for untrusted JSON request bodies: each check names the field it rejects (`param`, e.g.
 * `messages[2].content`) in a 400 `invalid_request_error`, as OpenAI does. `null` counts as absent for optional
 * fields, because OpenAI accepts it and several clients send it.
 */
import { ServingError } from './servedModels';

export type JsonObject = Record<string, unknown>;

export function invalidParam(param: string, message: string, code = 'invalid_value'): ServingError {
  return new ServingError(400, 'invalid_request_error', message, param, code);
}

export function unsupportedParam(param: string, what: string): ServingError {
  return new ServingError(400, 'invalid_request_error', `'${param}' is not supported by this server: ${what}.`, param, 'unsupported_parameter');
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short description of what a client sent instead, for messages (never the value itself, which may be huge). */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function requireBodyObject(body: unknown): JsonObject {
  if (!isJsonObject(body)) throw new ServingError(400, 'invalid_request_error', `The request body must be a JSON object, not ${describeJson(body)}.`, null, 'invalid_body');
  return body;
}

export function requiredString(body: JsonObject, param: string): string {
  const value = body[param];
  if (value === undefined || value === null) throw invalidParam(param, `Missing required parameter: '${param}'.`, 'missing_required_parameter');
  if (typeof value !== 'string' || value.length === 0) throw invalidParam(param, `'${param}' must be a non-empty string, not ${describeJson(value)}.`, 'invalid_type');
  return value;
}

export function optionalBoolean(body: JsonObject, param: string): boolean | undefined {
  const value = body[param];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidParam(param, `'${param}' must be a boolean, not ${describeJson(value)}.`, 'invalid_type');
  return value;
}

/** A finite number in `[min, max]`, or above `min` when `minExclusive`. */
export function optionalNumber(body: JsonObject, param: string, range: { min: number; max: number; minExclusive?: boolean }): number | undefined {
  const value = body[param];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidParam(param, `'${param}' must be a number, not ${describeJson(value)}.`, 'invalid_type');
  const belowMin = range.minExclusive === true ? value <= range.min : value < range.min;
  if (belowMin || value > range.max) {
    const lower = range.minExclusive === true ? `greater than ${range.min}` : `at least ${range.min}`;
    throw invalidParam(param, `'${param}' must be ${lower} and at most ${range.max}; got ${value}.`);
  }
  return value;
}

/** A safe integer in `[min, max]`. */
export function optionalInteger(body: JsonObject, param: string, range: { min: number; max: number }): number | undefined {
  const value = body[param];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw invalidParam(param, `'${param}' must be an integer, not ${typeof value === 'number' ? String(value) : describeJson(value)}.`, 'invalid_type');
  if (value < range.min || value > range.max) throw invalidParam(param, `'${param}' must be between ${range.min} and ${range.max}; got ${value}.`);
  return value;
}
