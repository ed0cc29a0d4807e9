import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { newConversation } from '../../../src/core/chat/conversation';
import { ConversationStore } from '../../../src/core/chat/conversationStore';
import { defaultChatSettings } from '../../../src/core/chat/chatTypes';
import { scratchDir } from '../../support/scratchDir';

/** Before the files were checked, a pipe hung the store forever: each test must end well within this. */
const fast = { timeout: 15_000 };

function conversationFolder(): string {
  const folder = scratchDir('conversations');
  return folder;
}

describe('conversation files that are not regular files', () => {
  it('lists the sound conversations and reports a named pipe and a link to /dev/zero, without hanging or reading them', fast, async () => {
    const folder = conversationFolder();
    const kept = newConversation(defaultChatSettings, 1000);
    await new ConversationStore(folder).save(kept);
    execFileSync('mkfifo', [join(folder, 'c-pipe.json')]);
    symlinkSync('/dev/zero', join(folder, 'c-zero.json'));
    const store = new ConversationStore(folder);
    assert.deepEqual(
      (await store.list()).map((summary) => summary.id),
      [kept.id],
    );
    const problems = store.problems.map((problem) => `${problem.file}: ${problem.message}`).join('\n');
    assert.match(problems, /c-pipe\.json is a named pipe, not a regular file/);
    assert.match(problems, /c-zero\.json is a device, not a regular file/);
  });

  it('loads nothing from a conversation file that is a named pipe, and says why', fast, async () => {
    const folder = conversationFolder();
    execFileSync('mkfifo', [join(folder, 'c-pipe.json')]);
    const store = new ConversationStore(folder);
    assert.equal(await store.load('c-pipe'), undefined);
    assert.match(store.problems[0]!.message, /named pipe/);
    assert.equal(await store.load('c-absent'), undefined);
    assert.equal(store.problems.length, 1, 'an absent conversation is no problem');
  });
});
