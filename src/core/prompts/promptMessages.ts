import { knownRoles } from './promptyDocument';
import { type ChatTurn } from '../text/chatTurn';

const roleSeparator = new RegExp(`^[ \\t]*#?[ \\t]*(${knownRoles.join('|')})(\\[[^\\]\\n]*\\])?[ \\t]*:[ \\t]*$`, 'gim');

/**
 * Splits rendered text into messages the way Prompty's parser does: a line holding only a role and a colon
 * (`system:`, `# user:`) starts a message; text before the first role line is the system message; a role line
 * with nothing after it is dropped; each message's text is trimmed.
 */
export function splitMessages(rendered: string): ChatTurn[] {
  const messages: ChatTurn[] = [];
  let role = 'system';
  let start = 0;
  let match: RegExpExecArray | null;
  roleSeparator.lastIndex = 0;
  const push = (end: number): void => {
    const content = rendered.slice(start, end).trim();
    if (content) messages.push({ role, content });
  };
  while ((match = roleSeparator.exec(rendered))) {
    push(match.index);
    role = match[1]!.toLowerCase();
    start = match.index + match[0].length;
  }
  push(rendered.length);
  return messages;
}
