/**
 * A `curl` command that asks a served model one question, streaming: what "Copy curl Example" puts on the clipboard.
 * The key is referenced as `$CHATWRIGHT_SERVE_API_KEY`, never written out, so the example can be pasted anywhere.
 */
import { serveApiKeyVariable } from './servedModels';

export function curlExample(baseUrl: string, model: string, apiKeyRequired: boolean): string {
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello!' }], stream: true });
  const lines = [`curl -N ${shellQuote(`${baseUrl.replace(/\/+$/, '')}/chat/completions`)}`, `  -H 'Content-Type: application/json'`];
  if (apiKeyRequired) lines.push(`  -H "Authorization: Bearer $${serveApiKeyVariable}"`);
  lines.push(`  -d ${shellQuote(body)}`);
  return lines.join(' \\\n');
}

/** POSIX single quotes: everything literal, a `'` closed, escaped and reopened. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
