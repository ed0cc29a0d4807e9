import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultChatSettings } from '../../../src/core/chat/chatTypes';
import { chatViewParams, ChatViewRequests, type ChatViewRequestName } from '../../../src/shared/chatViewProtocol';

describe('chatViewParams (what the webview sends is untrusted)', () => {
  it('accepts well-formed requests, keeping only their known fields', () => {
    assert.deepEqual(chatViewParams.newConversation({}), {});
    assert.deepEqual(chatViewParams.send({ conversationId: 'c-1', text: 'hi', extra: 'dropped' }), { conversationId: 'c-1', text: 'hi' });
    assert.deepEqual(chatViewParams.openCitation({ file: 'docs/a.md', startLine: 3, endLine: 9 }), { file: 'docs/a.md', startLine: 3, endLine: 9 });
    assert.deepEqual(chatViewParams.updateSettings({ conversationId: 'c-1', settings: defaultChatSettings }), { conversationId: 'c-1', settings: defaultChatSettings });
    assert.deepEqual(chatViewParams.addToDataset({ conversationId: 'c-1', messageId: 'a-1', editedAnswer: 'x' }), { conversationId: 'c-1', messageId: 'a-1', editedAnswer: 'x' });
    assert.deepEqual(chatViewParams.preferAnswer({ conversationId: 'c-1', messageId: 'a-2', extra: 1 }), { conversationId: 'c-1', messageId: 'a-2' });
    const comparing = { ...defaultChatSettings, model: 'engine/m', compareModel: 'local/other' };
    assert.deepEqual(chatViewParams.updateSettings({ conversationId: 'c-1', settings: comparing }), { conversationId: 'c-1', settings: comparing });
  });

  it('has a validator for every request, and every request its own method', () => {
    assert.deepEqual(Object.keys(chatViewParams).sort(), Object.keys(ChatViewRequests).sort());
    const methods = Object.values(ChatViewRequests).map((type) => type.method);
    assert.equal(new Set(methods).size, methods.length);
  });

  it('rejects missing params, commands outside the list and malformed fields', () => {
    const rejected: [ChatViewRequestName, unknown][] = [
      ['send', null],
      ['send', 'send'],
      ['send', { conversationId: 'c-1' }],
      ['newConversation', 'x'],
      ['runCommand', { command: 'workbench.action.terminal.new' }],
      ['selectConversation', { conversationId: '../../etc/passwd' }],
      ['openCitation', { file: 'a.md', startLine: 0, endLine: 2 }],
      ['openCitation', { file: 'a.md', startLine: 1.5, endLine: 2 }],
      ['send', { conversationId: 'c-1', text: 'x'.repeat(100_001) }],
      ['updateSettings', { conversationId: 'c-1', settings: { ...defaultChatSettings, rag: { enabled: 'yes', k: 3 } } }],
      ['addToDataset', { conversationId: 'c-1', messageId: 'a-1', editedAnswer: 42 }],
      ['pickChatModel', { conversationId: 'c-1', retryMessageId: '<script>' }],
      ['preferAnswer', { conversationId: 'c-1' }],
      ['preferAnswer', { conversationId: 'c-1', messageId: '../a-1' }],
      ['updateSettings', { conversationId: 'c-1', settings: { ...defaultChatSettings, compareModel: 42 } }],
    ];
    for (const [name, params] of rejected) assert.equal(chatViewParams[name](params), undefined, `${name} ${JSON.stringify(params)?.slice(0, 80)}`);
  });
});
