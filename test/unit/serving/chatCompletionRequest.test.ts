import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseChatCompletionRequest } from '../../../src/core/serving/chatCompletionRequest';
import { parseEmbeddingRequest } from '../../../src/core/serving/embeddingRequest';
import { ServingError } from '../../../src/core/serving/servedModels';

const limits = { maxTokensLimit: 1000 };
const base = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

/** The `param` of the 400 that `body` gets. */
function refusedParam(body: unknown): string | null {
  try {
    parseChatCompletionRequest(body, limits);
  } catch (error) {
    assert.ok(error instanceof ServingError && error.status === 400, String(error));
    return error.param;
  }
  assert.fail(`accepted ${JSON.stringify(body)}`);
}

describe('parseChatCompletionRequest', () => {
  it('reads the fields a generator uses and leaves the absent ones out', () => {
    assert.deepEqual(parseChatCompletionRequest(base, limits), { request: { model: 'm', messages: [{ role: 'user', content: 'hi' }] }, stream: false, includeUsage: false });
    const full = parseChatCompletionRequest(
      {
        ...base,
        max_tokens: 10,
        max_completion_tokens: 20,
        temperature: 0,
        top_p: 1,
        seed: -3,
        stop: 'END',
        stream: true,
        stream_options: { include_usage: true },
        n: 1,
        user: 'u',
        store: false,
        tool_choice: 'none',
        response_format: { type: 'text' },
        logprobs: false,
        presence_penalty: 0,
      },
      limits,
    );
    assert.deepEqual(full, { request: { model: 'm', messages: [{ role: 'user', content: 'hi' }], maxTokens: 20, temperature: 0, topP: 1, seed: -3, stop: ['END'] }, stream: true, includeUsage: true });
  });

  it('treats null as absent, as OpenAI does', () => {
    assert.deepEqual(parseChatCompletionRequest({ ...base, temperature: null, stop: null, max_tokens: null, stream: null, tools: null }, limits).request, {
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
  });

  it('maps developer to system and joins text parts', () => {
    const parsed = parseChatCompletionRequest(
      {
        model: 'm',
        messages: [
          {
            role: 'developer',
            content: [
              { type: 'text', text: 'a' },
              { type: 'text', text: 'b' },
            ],
          },
          { role: 'assistant', content: '' },
        ],
      },
      limits,
    );
    assert.deepEqual(parsed.request.messages, [
      { role: 'system', content: 'ab' },
      { role: 'assistant', content: '' },
    ]);
  });

  it('names the field of every refusal', () => {
    assert.equal(refusedParam([]), null);
    assert.equal(refusedParam({ messages: base.messages }), 'model');
    assert.equal(refusedParam({ model: 'm' }), 'messages');
    assert.equal(refusedParam({ model: 'm', messages: {} }), 'messages');
    assert.equal(refusedParam({ model: 'm', messages: ['hi'] }), 'messages[0]');
    assert.equal(refusedParam({ model: 'm', messages: [{ content: 'hi' }] }), 'messages[0].role');
    assert.equal(refusedParam({ model: 'm', messages: [{ role: 'robot', content: 'hi' }] }), 'messages[0].role');
    assert.equal(refusedParam({ model: 'm', messages: [{ role: 'user' }] }), 'messages[0].content');
    assert.equal(refusedParam({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text' }] }] }), 'messages[0].content[0].text');
    assert.equal(refusedParam({ model: 'm', messages: [{ role: 'user', content: ['x'] }] }), 'messages[0].content[0]');
    assert.equal(refusedParam({ model: 'm', messages: [{ role: 'assistant', content: 'x', tool_calls: [{}] }] }), 'messages[0].tool_calls');
    assert.equal(refusedParam({ ...base, max_tokens: 1001 }), 'max_tokens');
    assert.equal(refusedParam({ ...base, max_tokens: 0 }), 'max_tokens');
    assert.equal(refusedParam({ ...base, max_tokens: '5' }), 'max_tokens');
    assert.equal(refusedParam({ ...base, temperature: -0.1 }), 'temperature');
    assert.equal(refusedParam({ ...base, top_p: 1.5 }), 'top_p');
    assert.equal(refusedParam({ ...base, stop: ['a', ''] }), 'stop[1]');
    assert.equal(refusedParam({ ...base, stop: 5 }), 'stop');
    assert.equal(refusedParam({ ...base, stream: 'yes' }), 'stream');
    assert.equal(refusedParam({ ...base, stream_options: { include_usage: true } }), 'stream_options');
    assert.equal(refusedParam({ ...base, tool_choice: 'auto' }), 'tool_choice');
    assert.equal(refusedParam({ ...base, response_format: { type: 'json_object' } }), 'response_format');
    assert.equal(refusedParam({ ...base, top_logprobs: 2 }), 'top_logprobs');
    assert.equal(refusedParam({ ...base, frequency_penalty: 0.5 }), 'frequency_penalty');
    assert.equal(refusedParam({ ...base, logit_bias: { '1': 5 } }), 'logit_bias');
    assert.equal(refusedParam({ ...base, modalities: ['text', 'audio'] }), 'modalities');
  });
});

describe('parseEmbeddingRequest', () => {
  it('reads one text or a list, the encoding and the dimensions', () => {
    assert.deepEqual(parseEmbeddingRequest({ model: 'e', input: 'a b' }), { model: 'e', inputs: ['a b'], encodingFormat: 'float' });
    assert.deepEqual(parseEmbeddingRequest({ model: 'e', input: ['a', 'b'], encoding_format: 'base64', dimensions: 8, user: 'u' }), {
      model: 'e',
      inputs: ['a', 'b'],
      encodingFormat: 'base64',
      dimensions: 8,
    });
  });

  it('names the field of every refusal', () => {
    const param = (body: unknown) => {
      try {
        parseEmbeddingRequest(body);
      } catch (error) {
        assert.ok(error instanceof ServingError && error.status === 400);
        return error.param;
      }
      assert.fail('accepted');
    };
    assert.equal(param({ model: 'e' }), 'input');
    assert.equal(param({ model: 'e', input: [] }), 'input');
    assert.equal(param({ model: 'e', input: [1, 2] }), 'input');
    assert.equal(param({ model: 'e', input: [[1, 2]] }), 'input');
    assert.equal(param({ model: 'e', input: ['a', ''] }), 'input[1]');
    assert.equal(param({ model: 'e', input: ['a', {}] }), 'input[1]');
    assert.equal(param({ model: 'e', input: 'a', encoding_format: 'int8' }), 'encoding_format');
    assert.equal(param({ model: 'e', input: 'a', dimensions: 0 }), 'dimensions');
    assert.equal(param({ input: 'a' }), 'model');
  });
});
