import * as vscode from 'vscode';
import { firstFreePort } from '../../core/serving/freePort';

/** Where a server listens, as the user chose it. */
export interface ServeAddress {
  host: string;
  port: number;
}

export const loopbackHost = '127.0.0.1';
export const networkHost = '0.0.0.0';

/**
 * Asks where to listen: "this machine only" (loopback) or "the network" (every interface, with an API key), then
 * the port, offering the first free one from `defaultPort`. Undefined when the user cancels.
 */
export async function pickServeAddress(defaultPort: number, title: string): Promise<ServeAddress | undefined> {
  const where = await vscode.window.showQuickPick(
    [
      { label: 'This machine only', description: `${loopbackHost}`, detail: 'Only programs on this computer can call it; no API key is needed.', host: loopbackHost },
      {
        label: 'The network',
        description: `${networkHost}, needs an API key`,
        detail: 'Other machines can call it with the API key, which is generated once and kept in secret storage.',
        host: networkHost,
      },
    ],
    { title: `${title}: listen where?`, ignoreFocusOut: true },
  );
  if (!where) return undefined;
  const suggested = (await firstFreePort(where.host, defaultPort)) ?? defaultPort;
  const port = await vscode.window.showInputBox({
    title: `${title}: port`,
    prompt: suggested === defaultPort ? `The port to listen on (default ${defaultPort}).` : `${defaultPort} is taken; ${suggested} is the next free port.`,
    value: String(suggested),
    ignoreFocusOut: true,
    validateInput: (input) => (/^\d{1,5}$/.test(input.trim()) && Number(input) <= 65_535 ? undefined : 'A port is a number from 0 (any free port) to 65535.'),
  });
  if (port === undefined) return undefined;
  return { host: where.host, port: Number(port.trim()) };
}

/** The port a non-interactive caller gave, or the first free one from the default. */
export async function portOrFirstFree(host: string, given: unknown, defaultPort: number): Promise<number> {
  if (typeof given === 'number' && Number.isInteger(given) && given >= 0 && given <= 65_535) return given;
  const port = await firstFreePort(host, defaultPort);
  if (port === undefined) throw new Error(`No free port from ${defaultPort} on ${host}: give one explicitly.`);
  return port;
}
