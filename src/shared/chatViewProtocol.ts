/**
 * Messages between the extension host and the Chat webview. Both sides import these types; the webview imports
 * nothing else from src/.
 */

/** Commands the webview may ask the host to run. The host runs nothing outside this list. */
export const chatViewCommands = ['chatwright.openSettings', 'chatwright.showLogs'] as const;
export type ChatViewCommand = (typeof chatViewCommands)[number];

export function isChatViewCommand(value: unknown): value is ChatViewCommand {
  return typeof value === 'string' && (chatViewCommands as readonly string[]).includes(value);
}

export type ModelSelection = { kind: 'none' } | { kind: 'selected'; id: string; label: string };

export interface ChatViewState {
  extensionVersion: string;
  chatModel: ModelSelection;
  /** Restricted Mode: the workspace is not trusted, so nothing configured by it is launched. */
  workspaceTrusted: boolean;
}

export type HostToChatView =
  | { type: 'state'; state: ChatViewState }
  | { type: 'commandResult'; command: ChatViewCommand; ok: true }
  | { type: 'commandResult'; command: ChatViewCommand; ok: false; error: string };

export type ChatViewToHost = { type: 'ready' } | { type: 'runCommand'; command: ChatViewCommand };

/** Validates a message from the webview: it is untrusted input like any other. */
export function parseChatViewMessage(value: unknown): ChatViewToHost | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const message = value as Record<string, unknown>;
  if (message.type === 'ready') return { type: 'ready' };
  if (message.type === 'runCommand' && isChatViewCommand(message.command)) return { type: 'runCommand', command: message.command };
  return undefined;
}
