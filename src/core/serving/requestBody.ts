/**
 * Reads a request body under a byte limit: a declared `Content-Length` over the limit is refused before a byte is
 * read, and a body that grows past it (chunked, or lying about its length) stops being read at the limit.
 */
import { type IncomingMessage } from 'node:http';
import { ServingError } from './servedModels';

/** The client went away while sending its body: there is nobody to answer. */
export class RequestAbandonedError extends Error {
  constructor() {
    super('The client closed the connection before its request body arrived.');
    this.name = 'RequestAbandonedError';
  }
}

export function bodyTooLargeError(maxBytes: number): ServingError {
  return new ServingError(413, 'invalid_request_error', `The request body is larger than this server accepts (${maxBytes} bytes).`, null, 'request_too_large');
}

export function readRequestBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.reject(bodyTooLargeError(maxBytes));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stopReading = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('close', onClose);
      request.off('error', onClose);
      request.pause();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        stopReading();
        reject(bodyTooLargeError(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stopReading();
      resolve(Buffer.concat(chunks, size));
    };
    const onClose = () => {
      stopReading();
      reject(new RequestAbandonedError());
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('close', onClose);
    request.on('error', onClose);
  });
}

/** The body as JSON; anything that is not (bad UTF-8 included) is a 400 like OpenAI's. */
export function parseJsonBody(body: Buffer): unknown {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    return JSON.parse(text) as unknown;
  } catch {
    throw new ServingError(400, 'invalid_request_error', 'We could not parse the JSON body of your request. Send a JSON object with the header Content-Type: application/json.', null, 'invalid_json');
  }
}
