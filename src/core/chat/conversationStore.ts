import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isMissingFileError, readBoundedText } from '../files/boundedRead';
import { type Conversation, type ConversationSummary } from './chatTypes';
import { parseConversation, summarize } from './conversation';

/** The file format of one saved conversation. `version` changes when the shape does; older versions are migrated on read. */
export const conversationFileFormat = 'chatwright.conversation';
export const conversationFileVersion = 1;

interface ConversationFile {
  format: typeof conversationFileFormat;
  version: number;
  conversation: Conversation;
}

export interface ConversationStoreProblem {
  file: string;
  message: string;
}

/**
 * Conversations of one workspace, one JSON file each in a folder of the workspace's storage. Writes go to a temporary
 * file renamed over the old one, so a crash never leaves half a conversation. Unreadable files are reported and
 * skipped, never deleted: the user may want them back.
 */
export class ConversationStore {
  private summaries: Map<string, ConversationSummary> | undefined;
  readonly problems: ConversationStoreProblem[] = [];

  constructor(readonly folder: string) {}

  private fileOf(id: string): string {
    if (!/^[\w-]{1,100}$/.test(id)) throw new Error(`Not a conversation id: ${JSON.stringify(id)}`);
    return join(this.folder, `${id}.json`);
  }

  /** Summaries, most recently updated first. */
  async list(): Promise<ConversationSummary[]> {
    const summaries = await this.loadSummaries();
    return [...summaries.values()].sort((a, b) => b.updatedAt - a.updatedAt);
  }

  async load(id: string): Promise<Conversation | undefined> {
    const file = this.fileOf(id);
    let text: string;
    try {
      text = await readBoundedText(file, { kind: 'conversation' });
    } catch (error) {
      if (!isMissingFileError(error)) this.problems.push({ file, message: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
    return this.parseFile(text, file);
  }

  async save(conversation: Conversation): Promise<void> {
    await mkdir(this.folder, { recursive: true });
    const file = this.fileOf(conversation.id);
    const content: ConversationFile = { format: conversationFileFormat, version: conversationFileVersion, conversation };
    const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temporary, JSON.stringify(content), 'utf8');
    await rename(temporary, file);
    (await this.loadSummaries()).set(conversation.id, summarize(conversation));
  }

  async delete(id: string): Promise<void> {
    await rm(this.fileOf(id), { force: true });
    (await this.loadSummaries()).delete(id);
  }

  private parseFile(text: string, file: string): Conversation | undefined {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      this.problems.push({ file, message: `not valid JSON (${error instanceof Error ? error.message : String(error)})` });
      return undefined;
    }
    const record = typeof data === 'object' && data !== null ? (data as Partial<ConversationFile>) : {};
    if (record.format !== conversationFileFormat) {
      this.problems.push({ file, message: 'not a Chatwright conversation file' });
      return undefined;
    }
    if (typeof record.version !== 'number' || record.version > conversationFileVersion) {
      this.problems.push({ file, message: `written by a newer Chatwright (format version ${String(record.version)}); update the extension to open it` });
      return undefined;
    }
    const conversation = parseConversation(record.conversation);
    if (!conversation) this.problems.push({ file, message: 'the conversation in it is damaged' });
    return conversation;
  }

  private async loadSummaries(): Promise<Map<string, ConversationSummary>> {
    if (this.summaries) return this.summaries;
    const summaries = new Map<string, ConversationSummary>();
    let entries: string[] = [];
    try {
      entries = await readdir(this.folder);
    } catch {
      // No folder yet: no conversations.
    }
    for (const entry of entries) {
      if (!entry.endsWith('.json')) continue;
      const file = join(this.folder, entry);
      try {
        const conversation = this.parseFile(await readBoundedText(file, { kind: 'conversation' }), file);
        if (conversation) summaries.set(conversation.id, summarize(conversation));
      } catch (error) {
        this.problems.push({ file, message: error instanceof Error ? error.message : String(error) });
      }
    }
    this.summaries ??= summaries;
    return this.summaries;
  }
}
