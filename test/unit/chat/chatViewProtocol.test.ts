import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultChatSettings } from '../../../src/core/chat/chatTypes';
import { parseChatViewMessage } from '../../../src/shared/chatViewProtocol';

describe('parseChatViewMessage (what the webview sends is untrusted)', () => {
  it('accepts well-formed requests with their ids', () => {
    assert.deepEqual(parseChatViewMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseChatViewMessage({ type: 'send', requestId: 3, conversationId: 'c-1', text: 'hi', extra: 'dropped' }), { type: 'send', requestId: 3, conversationId: 'c-1', text: 'hi' });
    assert.deepEqual(parseChatViewMessage({ type: 'openCitation', requestId: 1, file: 'docs/a.md', startLine: 3, endLine: 9 }), { type: 'openCitation', requestId: 1, file: 'docs/a.md', startLine: 3, endLine: 9 });
    assert.deepEqual(parseChatViewMessage({ type: 'updateSettings', requestId: 2, conversationId: 'c-1', settings: defaultChatSettings })?.type, 'updateSettings');
    assert.deepEqual(parseChatViewMessage({ type: 'addToDataset', requestId: 4, conversationId: 'c-1', messageId: 'a-1', editedAnswer: 'x' }), { type: 'addToDataset', requestId: 4, conversationId: 'c-1', messageId: 'a-1', editedAnswer: 'x' });
  });

  it('rejects unknown types, missing ids, commands outside the list and malformed fields', () => {
    const rejected = [
      null,
      'send',
      { type: 'send', conversationId: 'c-1', text: 'no request id' },
      { type: 'eval', requestId: 1, code: 'x' },
      { type: 'runCommand', requestId: 1, command: 'workbench.action.terminal.new' },
      { type: 'selectConversation', requestId: 1, conversationId: '../../etc/passwd' },
      { type: 'openCitation', requestId: 1, file: 'a.md', startLine: 0, endLine: 2 },
      { type: 'openCitation', requestId: 1, file: 'a.md', startLine: 1.5, endLine: 2 },
      { type: 'send', requestId: 1, conversationId: 'c-1', text: 'x'.repeat(100_001) },
      { type: 'updateSettings', requestId: 1, conversationId: 'c-1', settings: { ...defaultChatSettings, rag: { enabled: 'yes', k: 3 } } },
      { type: 'addToDataset', requestId: 1, conversationId: 'c-1', messageId: 'a-1', editedAnswer: 42 },
    ];
    for (const message of rejected) assert.equal(parseChatViewMessage(message), undefined, JSON.stringify(message)?.slice(0, 80));
  });
});
