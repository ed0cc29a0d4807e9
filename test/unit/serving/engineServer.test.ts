import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI, { BadRequestError } from 'openai';
import { InferenceEngine } from '../../../src/core/inference/inferenceEngine';
import { cliWorkspaceRoot } from '../../../src/core/prompts/promptyFile';
import { defaultRenderWorkerScript, RenderSandbox } from '../../../src/core/prompts/renderSandbox';
import { EngineServedModels } from '../../../src/core/serving/engineServedModels';
import { startOpenAiServer, type RunningOpenAiServer } from '../../../src/core/serving/openAiServer';
import { type ServedChatResult, type ServedModelProvider } from '../../../src/core/serving/servedModels';
import { describeTemplate, TemplateServedModels } from '../../../src/core/serving/templateServedModels';
import { scratchDir } from '../../support/scratchDir';
import { cosine, decoderModel, encoderModel } from '../../support/testModels';

const script = 'Hello team, our build is green and a release ships today.';
const question = [{ role: 'user' as const, content: 'How is the build?' }];

/** The provider the server sees, recording how each generation ended (what the engine reported). */
function recording(provider: ServedModelProvider): { provider: ServedModelProvider; results: ServedChatResult[] } {
  const results: ServedChatResult[] = [];
  return {
    results,
    provider: {
      listModels: () => provider.listModels(),
      chat: async (request, onText, signal) => {
        const result = await provider.chat(request, onText, signal);
        results.push(result);
        return result;
      },
      embed: (model, inputs, signal) => provider.embed!(model, inputs, signal),
    },
  };
}

describe('the built-in engine served over the OpenAI API, driven by the openai client', () => {
  const scripted = decoderModel({ script, hiddenSize: 64 });
  const random = decoderModel({ layers: 2, hiddenSize: 64, heads: 4, kvHeads: 2, maxPositions: 96, seed: 11 });
  const encoder = encoderModel({ hiddenSize: 64, layers: 2, heads: 4 });
  const workspace = scratchDir('served-template');
  const engine = new InferenceEngine({ executionProvider: 'cpu', threads: 0, idleUnloadMs: 0 });
  const sandbox = new RenderSandbox({ workerScript: defaultRenderWorkerScript(), timeoutMs: 10_000 });
  let server: RunningOpenAiServer;
  let client: OpenAI;
  let results: ServedChatResult[];

  before(async () => {
    mkdirSync(join(workspace, 'prompts'), { recursive: true });
    writeFileSync(
      join(workspace, 'prompts', 'examples.jsonl'),
      `${JSON.stringify({
        messages: [
          { role: 'user', content: 'Is the build red?' },
          { role: 'assistant', content: 'No, it is green.' },
        ],
      })}\n`,
    );
    const templateText = `---\nname: Release desk\nexamples:\n  file: examples.jsonl\n  k: 1\ninputs:\n  question:\n    type: string\n---\nsystem:\nYou answer release questions in one sentence.\n\nuser:\n{{ question }}\n`;
    const templatePath = join(workspace, 'prompts', 'release.prompty');
    writeFileSync(templatePath, templateText);
    const engineModels = new EngineServedModels(engine, {
      chat: [
        { id: 'scripted', model: scripted.dir },
        { id: 'random', model: random.dir },
      ],
      embedding: { id: 'embedder', model: encoder },
    });
    await engineModels.load();
    const template = describeTemplate({ path: templatePath, label: 'prompts/release.prompty', text: templateText, workspaceRoots: [cliWorkspaceRoot(templatePath, workspace)] }, [
      'random',
      'scripted',
    ]);
    const served = recording(new TemplateServedModels(engineModels, [template], (request, signal) => sandbox.render(request, signal)));
    results = served.results;
    server = await startOpenAiServer({ provider: served.provider, host: '127.0.0.1', port: 0 });
    client = new OpenAI({ baseURL: server.url, apiKey: 'not-needed', maxRetries: 0 });
  });

  after(async () => {
    await server.close();
    await sandbox.dispose();
    await engine.dispose();
  });

  it('lists the chat models with their context windows, the template with its parent, and the embedding model', async () => {
    const models: { id: string; parent?: string; max_model_len?: number }[] = [];
    for await (const model of client.models.list()) models.push(model);
    assert.deepEqual(
      models.map(({ id, parent, max_model_len }) => ({ id, parent, max_model_len })),
      [
        { id: 'scripted', parent: undefined, max_model_len: 4096 },
        { id: 'random', parent: undefined, max_model_len: 96 },
        { id: 'embedder', parent: undefined, max_model_len: 512 },
        { id: 'release', parent: 'random', max_model_len: 96 },
      ],
    );
  });

  it("answers a chat completion through the model's chat template, with usage and the stop finish reason at the end of turn", async () => {
    const completion = await client.chat.completions.create({ model: 'scripted', messages: question, temperature: 0 });
    assert.equal(completion.choices[0]!.message.content, script);
    assert.equal(completion.choices[0]!.finish_reason, 'stop');
    const direct = await engine.generate(scripted.dir, question, { temperature: 0 });
    assert.equal(completion.usage?.prompt_tokens, direct.stats.promptTokens);
    assert.equal(completion.usage?.completion_tokens, direct.stats.generatedTokens);
  });

  it('streams the same text in pieces, ending with a usage chunk when asked', async () => {
    const stream = await client.chat.completions.create({ model: 'scripted', messages: question, temperature: 0, stream: true, stream_options: { include_usage: true } });
    const pieces: string[] = [];
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices) {
        if (choice.delta.content) pieces.push(choice.delta.content);
        if (choice.finish_reason) finish = choice.finish_reason;
      }
    }
    assert.equal(pieces.join(''), script);
    assert.ok(pieces.length > 3, `streamed in ${pieces.length} pieces`);
    assert.equal(finish, 'stop');
    assert.ok(usage && usage.completion_tokens > 0 && usage.total_tokens === usage.prompt_tokens + usage.completion_tokens);
  });

  it('ends before a stop string, leaving it out, with the stop finish reason', async () => {
    const completion = await client.chat.completions.create({ model: 'scripted', messages: question, temperature: 0, stop: ['green', 'nothing like this'] });
    assert.equal(completion.choices[0]!.message.content, 'Hello team, our build is ');
    assert.equal(completion.choices[0]!.finish_reason, 'stop');
  });

  it('reports length when max_tokens ends the answer', async () => {
    const completion = await client.chat.completions.create({ model: 'scripted', messages: question, temperature: 0, max_completion_tokens: 3 });
    assert.equal(completion.choices[0]!.finish_reason, 'length');
    assert.equal(completion.usage?.completion_tokens, 3);
  });

  it('gives the greedy and the seeded output engine.generate gives directly', async () => {
    for (const sampling of [{ temperature: 0 }, { temperature: 0.8, top_p: 0.9, seed: 42 }]) {
      const completion = await client.chat.completions.create({ model: 'random', messages: question, max_tokens: 12, ...sampling });
      const direct = await engine.generate(random.dir, question, { maxNewTokens: 12, temperature: sampling.temperature, ...('seed' in sampling ? { topP: sampling.top_p, seed: sampling.seed } : {}) });
      assert.equal(completion.choices[0]!.message.content, direct.text, JSON.stringify(sampling));
      assert.equal(completion.usage?.completion_tokens, direct.stats.generatedTokens);
    }
  });

  it('stops the engine when the client breaks out of the stream', async () => {
    const before = results.length;
    const stream = await client.chat.completions.create({ model: 'random', messages: question, temperature: 0, max_tokens: 80, stream: true });
    let chunks = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) chunks++;
      if (chunks === 2) break;
    }
    const deadline = Date.now() + 10_000;
    while (results.length === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const ended = results.at(-1)!;
    assert.equal(results.length, before + 1, 'the generation ended');
    assert.equal(ended.finishReason, 'cancelled');
    assert.ok(ended.completionTokens < 40, `the engine generated ${ended.completionTokens} of 80 tokens after the client left`);
  });

  it('refuses a prompt longer than the context window with a 400 context_length_exceeded that gives the numbers', async () => {
    const long = [{ role: 'user' as const, content: 'word '.repeat(200) }];
    const error = await client.chat.completions.create({ model: 'random', messages: long }).then(
      () => assert.fail('a prompt past the context window was accepted'),
      (failure: unknown) => failure,
    );
    assert.ok(error instanceof BadRequestError, String(error));
    assert.equal(error.code, 'context_length_exceeded');
    assert.match(error.message, /maximum context length is 96 tokens/);
    assert.match(error.message, /resulted in \d{3} tokens/);
  });

  it('embeds documents as the engine does, counting prompt tokens', async () => {
    const texts = ['Releases ship on Tuesdays.', 'The build is green.'];
    const response = await client.embeddings.create({ model: 'embedder', input: texts });
    const direct = await engine.embed(encoder, texts, 'document');
    assert.equal(response.data.length, 2);
    response.data.forEach((item, i) => assert.ok(cosine(Float32Array.from(item.embedding), direct.vectors[i]!) > 0.9999));
    const counts = await engine.countTokens(encoder, texts);
    assert.equal(response.usage.prompt_tokens, counts[0]! + counts[1]!);
  });

  it('answers a served template with its system prompt and few-shot examples, on its parent model', async () => {
    const ask = [{ role: 'user' as const, content: 'Does the release ship today?' }];
    const completion = await client.chat.completions.create({ model: 'release', messages: ask, temperature: 0, max_tokens: 10 });
    const expected = [
      { role: 'system', content: 'You answer release questions in one sentence.' },
      { role: 'user', content: 'Is the build red?' },
      { role: 'assistant', content: 'No, it is green.' },
      ...ask,
    ];
    const direct = await engine.generate(random.dir, expected, { temperature: 0, maxNewTokens: 10 });
    assert.equal(completion.choices[0]!.message.content, direct.text);
    assert.equal(completion.usage?.prompt_tokens, direct.stats.promptTokens);
    const bare = await engine.generate(random.dir, ask, { temperature: 0, maxNewTokens: 10 });
    assert.notEqual(direct.stats.promptTokens, bare.stats.promptTokens, 'the template added its system prompt and examples');
  });

  it('refuses a system message for a template model, naming the message', async () => {
    const error = await client.chat.completions
      .create({
        model: 'release',
        messages: [
          { role: 'system', content: 'Be a pirate.' },
          { role: 'user', content: 'Ship it?' },
        ],
      })
      .then(
        () => assert.fail('accepted'),
        (failure: unknown) => failure,
      );
    assert.ok(error instanceof BadRequestError, String(error));
    assert.equal(error.param, 'messages[0].role');
  });
});
