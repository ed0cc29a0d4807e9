/**
 * How an error crosses a process or thread boundary: as a JSON-RPC error response whose `data` holds the error's
 * name, message, stack and own fields (`file`, `line`, `code` …), so the other side can throw an error of the same
 * class with the same fields. Classes are revived only when registered on the receiving side (by name): a class
 * name sent by a peer never picks arbitrary code to run, and an unregistered error arrives as a plain `Error` that
 * still carries its name and fields.
 */
import { ResponseError } from 'vscode-jsonrpc';

/** JSON-RPC leaves codes above -32000 to applications: this one marks a response carrying a transported error. */
export const transportedErrorCode = -31999;

export interface TransportedError {
  name: string;
  message: string;
  stack?: string;
  /** The error's own enumerable properties (its extra fields), as structured clone or JSON can carry them. */
  fields: Record<string, unknown>;
}

type ErrorClass = abstract new (...args: never[]) => Error;

const revivable = new Map<string, ErrorClass>();

/**
 * Registers classes that errors of the same name are revived as, e.g. `registerRevivableErrors({ HubAccessError })`.
 * The key is the error's `name` (what the class sets `this.name` to), which is usually the class name.
 */
export function registerRevivableErrors(classes: Record<string, ErrorClass>): void {
  for (const [name, errorClass] of Object.entries(classes)) revivable.set(name, errorClass);
}

/** The transportable form of anything thrown. */
export function describeError(error: unknown): TransportedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (key === 'name' || key === 'message' || key === 'stack' || typeof value === 'function') continue;
    fields[key] = value;
  }
  return { name: error.name, message: error.message, ...(error.stack !== undefined ? { stack: error.stack } : {}), fields };
}

/** What a request handler throws back to the caller: vscode-jsonrpc sends a `ResponseError` as it is. */
export function toResponseError(error: unknown): ResponseError<TransportedError> {
  const described = describeError(error);
  return new ResponseError(transportedErrorCode, described.message, described);
}

/**
 * The error the caller sees: of the registered class when there is one (its constructor is not run, so any class
 * can be revived whatever its parameters), with the same name, message, fields and the remote stack.
 */
export function reviveError(transported: TransportedError): Error {
  const errorClass = revivable.get(transported.name);
  const error = errorClass ? (Object.create(errorClass.prototype as object) as Error) : new Error();
  Object.defineProperty(error, 'message', { value: transported.message, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(error, 'name', { value: transported.name, writable: true, configurable: true, enumerable: false });
  if (transported.stack !== undefined) Object.defineProperty(error, 'stack', { value: transported.stack, writable: true, configurable: true, enumerable: false });
  Object.assign(error, transported.fields);
  return error;
}

/** Turns a rejection from vscode-jsonrpc into the error that was thrown on the other side, when it carries one. */
export function reviveResponseError(error: unknown): unknown {
  if (error instanceof ResponseError && error.code === transportedErrorCode && isTransportedError(error.data)) return reviveError(error.data);
  return error;
}

function isTransportedError(data: unknown): data is TransportedError {
  const candidate = data as Partial<TransportedError> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.name === 'string' &&
    typeof candidate.message === 'string' &&
    typeof candidate.fields === 'object' &&
    candidate.fields !== null
  );
}
