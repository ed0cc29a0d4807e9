import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contextCap, rejectedParameter, serverErrorBody } from '../../../src/core/chat/openAiRequestErrors';

const sent = ['stream_options', 'seed', 'top_p', 'stop', 'temperature', 'max_tokens'];

describe('serverErrorBody', () => {
  it('reads OpenAI, vLLM, FastAPI and TGI shapes, and plain text', () => {
    assert.deepEqual(serverErrorBody('{"error":{"message":"bad","param":"seed"}}').message, 'bad');
    assert.equal(serverErrorBody('{"error":{"message":"bad","param":"seed"}}').param, 'seed');
    assert.equal(serverErrorBody('{"object":"error","message":"top level","code":400}').message, 'top level');
    assert.equal(serverErrorBody('{"detail":"Not Found"}').message, 'Not Found');
    assert.equal(serverErrorBody('{"error":"unknown field `seed`","error_type":"validation"}').message, 'unknown field `seed`');
    assert.equal(serverErrorBody('Bad Gateway\n\n').message, 'Bad Gateway');
  });
  it('keeps only the start of a long message, on one line', () => {
    const body = serverErrorBody(JSON.stringify({ error: { message: `a\n${'x'.repeat(5000)}` } }));
    assert.ok(body.message.length <= 501 && !body.message.includes('\n'));
  });
});

describe('rejectedParameter', () => {
  const refused = (text: string) => rejectedParameter(serverErrorBody(text), sent);
  it("names the parameter from OpenAI's param field", () => {
    assert.equal(refused('{"error":{"message":"Unsupported value","param":"temperature"}}'), 'temperature');
  });
  it('recognises the wordings of OpenAI, vLLM, TGI and others', () => {
    assert.equal(refused('{"error":{"message":"Unrecognized request argument supplied: seed","param":null}}'), 'seed');
    assert.equal(refused(`{"object":"error","message":"[{'type': 'extra_forbidden', 'loc': ('body', 'stream_options'), 'msg': 'Extra inputs are not permitted'}]"}`), 'stream_options');
    assert.equal(refused('{"error":"Failed to deserialize the JSON body: unknown field `top_p`, expected one of `model`, `stop`, `seed`"}'), 'top_p');
    assert.equal(refused(`{"error":{"message":"Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."}}`), 'max_tokens');
    assert.equal(refused('stop: extra fields not permitted'), 'stop');
  });
  it('names nothing for a 400 that is not about a parameter, nor for one we did not send', () => {
    assert.equal(refused('{"error":{"message":"messages must alternate between user and assistant"}}'), undefined);
    assert.equal(refused('{"error":{"message":"Unknown parameter: logprobs"}}'), undefined);
    assert.equal(refused('{"error":{"message":"temperature must be at most 2"}}'), undefined);
  });
});

describe('contextCap', () => {
  const cap = (text: string) => contextCap(serverErrorBody(text));
  it("reads OpenAI's and older vLLM's wording, prompt tokens included", () => {
    assert.deepEqual(cap("This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (3000 in the messages, 2000 in the completion). Please reduce the length."), {
      contextLength: 4096,
      promptTokens: 3000,
    });
    assert.deepEqual(cap("This model's maximum context length is 8,192 tokens. However, you requested 9,000 tokens (8,000 in the messages, 1,000 in the completion)."), {
      contextLength: 8192,
      promptTokens: 8000,
    });
  });
  it("reads newer vLLM's wordings", () => {
    assert.deepEqual(cap("'max_tokens' or 'max_completion_tokens' is too large: 4000. This model's maximum context length is 4096 tokens and your request has 200 input tokens (4000 > 4096 - 200)."), {
      contextLength: 4096,
      promptTokens: 200,
    });
    assert.deepEqual(cap("This model's maximum context length is 2048 tokens. However, your request has 3000 input tokens. Please reduce the length of the input messages."), {
      contextLength: 2048,
      promptTokens: 3000,
    });
  });
  it("reads llama.cpp's fields and TGI's wording", () => {
    assert.deepEqual(
      cap(
        '{"error":{"code":400,"message":"request (5000 tokens) exceeds the available context size (4096 tokens), try increasing it","type":"exceed_context_size_error","n_prompt_tokens":5000,"n_ctx":4096}}',
      ),
      {
        contextLength: 4096,
        promptTokens: 5000,
      },
    );
    assert.deepEqual(cap('request (5000 tokens) exceeds the available context size (4096 tokens), try increasing it'), { contextLength: 4096, promptTokens: 5000 });
    assert.deepEqual(cap('Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 3000 `inputs` tokens and 2000 `max_new_tokens`'), {
      contextLength: 4096,
      promptTokens: 3000,
    });
  });
  it('is undefined for other errors, and gives the length alone when the prompt size is not said', () => {
    assert.equal(cap('Unrecognized request argument supplied: seed'), undefined);
    assert.deepEqual(cap("This model's maximum context length is 1024 tokens."), { contextLength: 1024 });
  });
});
