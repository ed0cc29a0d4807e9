import assert from 'node:assert/strict';
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type TextEmbedder } from '../../../src/core/inference/embedding';
import { bm25Scores, selectExamples, type FewShotExample } from '../../../src/core/prompts/fewShotSelection';
import { renderPrompt } from '../../../src/core/prompts/renderPrompt';
import { defaultRenderWorkerScript, RenderSandbox } from '../../../src/core/prompts/renderSandbox';
import { splitMessages } from '../../../src/core/prompts/promptMessages';
import { fixtures, qwen3ModelFolder, realPrompty, realPromptyFiles } from '../../support/promptFixtures';
import { scratchDir } from '../../support/scratchDir';

const model = qwen3ModelFolder();

describe('rendering: the real Prompty files', () => {
  for (const file of realPromptyFiles()) {
    it(`renders ${file.slice(realPrompty.length + 1)} with its sample`, async () => {
      const rendered = await renderPrompt({ text: readFileSync(file, 'utf8'), templatePath: file, workspaceRoots: [realPrompty] });
      assert.ok(rendered.messages.length > 0);
      assert.deepEqual(rendered.warnings, []);
      for (const message of rendered.messages) assert.doesNotMatch(message.content, /\{\{|\{%/);
    });
  }
  it('loads `sample: ${file:chat.json}` and renders the loops over it (contoso chat.prompty)', async () => {
    const file = join(realPrompty, 'Azure-Samples__contoso-chat/src/api/contoso_chat/chat.prompty');
    const rendered = await renderPrompt({ text: readFileSync(file, 'utf8'), templatePath: file, workspaceRoots: [realPrompty] });
    assert.equal(rendered.messages.length, 1);
    assert.match(rendered.messages[0]!.content, /name: Alpine Explorer Tent/);
    assert.match(rendered.messages[0]!.content, /The customer's name is John Smith and is 35 years old/);
  });
  it('splits on role lines and keeps inline `user: …` lines as text (shakespeare.prompty)', async () => {
    const file = join(realPrompty, 'microsoft__prompty_v1/web/docs/getting-started/first-prompty/shakespeare.prompty');
    const rendered = await renderPrompt({ text: readFileSync(file, 'utf8'), templatePath: file, workspaceRoots: [realPrompty] });
    assert.deepEqual(
      rendered.messages.map((m) => m.role),
      ['system', 'user'],
    );
    assert.match(rendered.messages[0]!.content, /user: Please write a short text turning down/);
    assert.equal(rendered.messages[1]!.content, 'Please write a short text inviting friends to a Game Night.');
  });
  it('uses v2 input defaults (basic.prompty v2)', async () => {
    const file = join(realPrompty, 'microsoft__prompty_v2/spec/fixtures/basic.prompty');
    const rendered = await renderPrompt({ text: readFileSync(file, 'utf8'), templatePath: file, workspaceRoots: [realPrompty] });
    assert.match(rendered.messages[0]!.content, /You are helping Jane Doe/);
  });
  it('lets given inputs override the sample', async () => {
    const file = join(realPrompty, 'microsoft__prompty_v1/runtime/prompty/tests/prompts/basic.prompty');
    const rendered = await renderPrompt({ text: readFileSync(file, 'utf8'), templatePath: file, workspaceRoots: [realPrompty], inputs: { question: 'Why?' } });
    assert.equal(rendered.messages.at(-1)!.content, 'Why?');
    assert.deepEqual(
      rendered.inputs.find((i) => i.name === 'question'),
      { name: 'question', value: 'Why?', source: 'given' },
    );
  });
});

describe('rendering: chat templates and tokens', () => {
  it("applies the model's chat template and counts tokens per message and in total", async () => {
    const file = join(realPrompty, 'microsoft__prompty_v1/runtime/prompty/tests/prompts/basic.prompty');
    const rendered = await renderPrompt({ text: readFileSync(file, 'utf8'), templatePath: file, workspaceRoots: [realPrompty], model });
    assert.ok(rendered.prompt!.startsWith('<|im_start|>system\nYou are an AI assistant'));
    assert.ok(rendered.prompt!.endsWith('<|im_start|>assistant\n'));
    assert.equal(rendered.model!.chatTemplateSource, 'tokenizer_config.json');
    assert.equal(rendered.model!.contextWindow, 40960);
    const perMessage = rendered.messages.map((m) => m.tokens!);
    assert.ok(perMessage.every((n) => n > 0));
    assert.ok(rendered.totalTokens! > perMessage.reduce((a, b) => a + b, 0), 'the generation prompt adds tokens');
  });
  it('prefers chat_template.jinja over tokenizer_config.json', async () => {
    const folder = qwen3ModelFolder();
    writeFileSync(join(folder, 'chat_template.jinja'), '{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}');
    const rendered = await renderPrompt({ text: 'user:\nhello', workspaceRoots: [], model: folder });
    assert.equal(rendered.prompt, '[user] hello\n');
    assert.equal(rendered.model!.chatTemplateSource, 'chat_template.jinja');
  });
  it('says which files it needs when no model is known', async () => {
    const rendered = await renderPrompt({ text: 'user:\nhello', workspaceRoots: [] });
    assert.equal(rendered.prompt, undefined);
    assert.match(rendered.modelHint!, /tokenizer_config\.json/);
  });
  it('says a Hub model is not cached', async () => {
    const rendered = await renderPrompt({ text: '---\nmodel:\n  id: org/absent-model\n---\nuser:\nhello', workspaceRoots: [], env: { HF_HUB_CACHE: scratchDir('hub') } });
    assert.match(rendered.modelHint!, /not in the local Hugging Face cache/);
  });
  it('renders Mustache templates without HTML escaping', async () => {
    const rendered = await renderPrompt({ text: readFileSync(join(fixtures, 'mustache.prompty'), 'utf8'), workspaceRoots: [] });
    assert.equal(rendered.messages[0]!.content, 'Greet Ada <Lovelace>.\n* one\n* two');
  });
});

describe('few-shot examples', () => {
  const file = join(fixtures, 'support.prompty');
  it('inserts the examples after the system message, most similar first (BM25 without an embedder)', async () => {
    const rendered = await renderPrompt({ text: readFileSync(file, 'utf8'), templatePath: file, workspaceRoots: [fixtures] });
    assert.deepEqual(
      rendered.messages.map((m) => `${m.role}/${m.source}`),
      ['system/template', 'user/example', 'assistant/example', 'user/example', 'assistant/example', 'user/template'],
    );
    assert.equal(rendered.messages[1]!.content, 'I forgot my password and cannot sign in.');
    assert.match(rendered.examples!.method, /BM25.*no embedding model/);
    assert.match(rendered.messages[0]!.content, /- plan: FREE\n/);
  });
  const examples: FewShotExample[] = ['apples and pears', 'the weather in Paris', 'reset my password', 'bananas'].map((text, line) => ({
    line,
    messages: [
      { role: 'user', content: text },
      { role: 'assistant', content: 'ok' },
    ],
  }));
  it('`first` takes the first k rows', async () => {
    assert.deepEqual(
      (await selectExamples(examples, { k: 2, strategy: 'first' })).examples.map((e) => e.line),
      [0, 1],
    );
  });
  it('`random` is reproducible for a seed and differs across seeds', async () => {
    const a = (await selectExamples(examples, { k: 2, strategy: 'random', seed: 7 })).examples.map((e) => e.line);
    const b = (await selectExamples(examples, { k: 2, strategy: 'random', seed: 7 })).examples.map((e) => e.line);
    assert.deepEqual(a, b);
    const seen = new Set<string>();
    for (let seed = 0; seed < 20; seed++) seen.add((await selectExamples(examples, { k: 2, strategy: 'random', seed })).examples.map((e) => e.line).join());
    assert.ok(seen.size > 3);
  });
  it('`similar` uses the embedder when one is given', async () => {
    // A toy embedder whose vectors count vowels: "bananas" is closest to "aaa".
    const embedder: TextEmbedder = {
      modelKey: 'toy',
      dimensions: 5,
      maxTokens: 512,
      countTokens: (text) => text.length,
      embed: (texts) => Promise.resolve(texts.map((text) => Float32Array.from('aeiou', (v) => [...text].filter((c) => c === v).length))),
    };
    const result = await selectExamples(examples, { k: 1, strategy: 'similar', query: 'aaa', embedder });
    assert.deepEqual(
      result.examples.map((e) => e.line),
      [3],
    );
    assert.match(result.method, /embeddings \(toy\)/);
  });
  it('BM25 ranks the document sharing rare words first', () => {
    const scores = bm25Scores('password reset', ['apples', 'reset my password please', 'password']);
    assert.ok(scores[1]! > scores[2]! && scores[2]! > scores[0]!);
  });
});

describe('message splitting', () => {
  it('puts text before the first role line in a system message and drops empty roles', () => {
    assert.deepEqual(splitMessages('Be nice.\nuser:\nhi\nassistant:\n'), [
      { role: 'system', content: 'Be nice.' },
      { role: 'user', content: 'hi' },
    ]);
  });
  it('accepts `# role:` headings and role attributes', () => {
    assert.deepEqual(splitMessages('# System:\na\nuser[name=bob]:\nb'), [
      { role: 'system', content: 'a' },
      { role: 'user', content: 'b' },
    ]);
  });
});

describe('the render sandbox', () => {
  const sandbox = new RenderSandbox({ workerScript: defaultRenderWorkerScript(), timeoutMs: 1500 });
  after(() => sandbox.dispose());
  it('renders in a worker thread', async () => {
    const rendered = await sandbox.render({ text: '---\nsample:\n  q: hi\n---\nuser:\n{{ q }}', workspaceRoots: [] });
    assert.deepEqual(rendered.messages, [{ role: 'user', content: 'hi', source: 'template' }]);
  });
  it('stops a runaway loop with a clear error within a bounded time, then keeps working', async () => {
    const started = Date.now();
    await assert.rejects(sandbox.render({ text: '{% for i in range(1000000) %}{% for j in range(1000000) %}x{% endfor %}{% endfor %}', workspaceRoots: [] }), /Rendering stopped/);
    assert.ok(Date.now() - started < 5000);
    const rendered = await sandbox.render({ text: 'user:\nstill alive', workspaceRoots: [] });
    assert.equal(rendered.messages[0]!.content, 'still alive');
  });
  it('refuses a range too large to be a prompt, with a clear error', async () => {
    await assert.rejects(sandbox.render({ text: '{% for i in range(100000000) %}{{ i }}{% endfor %}', workspaceRoots: [] }), /range\(\) of 100,000,000 items is over the limit of 1,000,000/);
  });
  it('turns a template error into a message, not a crash', async () => {
    await assert.rejects(sandbox.render({ text: '{{ raise_exception("no way") }}', workspaceRoots: [] }), /no way/);
  });
  it('cannot read files outside the workspace, even through a symbolic link', async () => {
    const folder = scratchDir('sandbox');
    const outside = scratchDir('outside');
    writeFileSync(join(outside, 'secret.json'), '{"secret": "s3cr3t"}');
    symlinkSync(join(outside, 'secret.json'), join(folder, 'link.json'));
    for (const reference of ['../' + outside.split('/').pop() + '/secret.json', 'link.json', join(outside, 'secret.json')]) {
      const rendered = await sandbox.render({ text: `---\nsample: \${file:${reference}}\n---\n{{ secret }}`, templatePath: join(folder, 't.prompty'), workspaceRoots: [folder] });
      assert.doesNotMatch(JSON.stringify(rendered.messages), /s3cr3t/);
      assert.match(rendered.warnings.join(), /outside the workspace/);
    }
  });
});

describe('rendering: Prompty v2 map inputs with Mustache', () => {
  it('uses each input sample and the Mustache engine', async () => {
    const file = join(fixtures, 'v2-map-inputs.prompty');
    const rendered = await renderPrompt({ text: readFileSync(file, 'utf8'), templatePath: file, workspaceRoots: [fixtures] });
    assert.equal(rendered.format, 'mustache');
    assert.deepEqual(
      rendered.messages.map((m) => [m.role, m.content]),
      [
        ['system', 'You plan trips.'],
        ['user', 'Plan 1 day(s) in Lisbon.'],
      ],
    );
  });
});

describe('token counts', () => {
  it('per-message counts plus the generation prompt add up to the whole prompt, on every render', async () => {
    const { loadModelPromptInfo, applyChatTemplate } = await import('../../../src/core/prompts/modelPromptInfo');
    const info = loadModelPromptInfo(model);
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello there, how are you?' },
      { role: 'assistant', content: 'Fine.' },
      { role: 'user', content: 'And now?' },
    ];
    for (let i = 0; i < 3; i++) {
      const applied = applyChatTemplate(
        info,
        messages.map((m, index) => (index === 1 ? { ...m, content: `${m.content} ${i}` } : m)),
      );
      const exact = info.tokenizer!.encode(applied.prompt, { add_special_tokens: false }).ids.length;
      assert.equal(applied.totalTokens, exact);
      assert.ok(applied.messageTokens!.reduce((a, b) => a + b, 0) < exact);
    }
  });
});

describe('few-shot `similar` with an embedding model in the sandbox', () => {
  const sandbox = new RenderSandbox({ workerScript: defaultRenderWorkerScript(), timeoutMs: 3000 });
  after(() => sandbox.dispose());
  it('falls back to BM25 and says why when the embedding model cannot be loaded', async () => {
    const file = join(fixtures, 'support.prompty');
    const rendered = await sandbox.render({ text: readFileSync(file, 'utf8'), templatePath: file, workspaceRoots: [fixtures], embeddingModel: join(tmpdir(), 'no-such-embedding-model') });
    assert.match(rendered.examples!.method, /BM25.*could not be loaded/);
    assert.equal(rendered.messages[1]!.content, 'I forgot my password and cannot sign in.');
  });
});

describe('few-shot `similar` with a real ONNX embedding model', () => {
  const sandbox = new RenderSandbox({ workerScript: defaultRenderWorkerScript(), timeoutMs: 3000 });
  after(() => sandbox.dispose());
  it('loads the encoder in the render worker and selects by embeddings', async () => {
    // A small BERT-style encoder with random weights (test/support/modelGenerator): real ONNX, real tokenizer.
    const { generateEncoderModel } = await import('../../support/modelGenerator/encoder');
    const folder = scratchDir('encoder');
    generateEncoderModel(folder);
    const file = join(fixtures, 'support.prompty');
    const rendered = await sandbox.render({ text: readFileSync(file, 'utf8'), templatePath: file, workspaceRoots: [fixtures], embeddingModel: folder });
    assert.match(rendered.examples!.method, /most similar by embeddings/);
    assert.equal(rendered.messages.filter((m) => m.source === 'example').length, 4);
  });
});

describe('rendering: `${file:…}` inside sample values', () => {
  it('loads a text file for one value and reports a missing one as a warning', async () => {
    const folder = scratchDir('nested');
    writeFileSync(join(folder, 'context.md'), 'The tent sleeps four.');
    const text = '---\nsample:\n  context: ${file:context.md}\n  other: ${file:missing.md}\n---\nsystem:\n{{ context }}|{{ other }}\n';
    const rendered = await renderPrompt({ text, templatePath: join(folder, 't.prompty'), workspaceRoots: [folder] });
    assert.equal(rendered.messages[0]!.content, 'The tent sleeps four.|');
    assert.match(rendered.warnings.join(), /missing\.md` does not exist/);
  });
});

describe('rendering: `${env:…}` values are not printed', () => {
  const text = '---\nmodel:\n  id: ${env:SECRET_MODEL}\n---\nuser:\nhello';
  const cache = scratchDir('env-hub');
  const env = { HF_HUB_CACHE: cache, SECRET_MODEL: 'acme/s3cr3t-model' };
  it('shows «env:NAME» and lists the variable instead of its value', async () => {
    const rendered = await renderPrompt({ text, workspaceRoots: [], env });
    assert.doesNotMatch(JSON.stringify(rendered), /s3cr3t/);
    assert.equal(rendered.model!.id, '«env:SECRET_MODEL»');
    assert.match(rendered.modelHint!, /«env:SECRET_MODEL»` is not in the local Hugging Face cache/);
    assert.deepEqual(rendered.environmentVariables, ['SECRET_MODEL']);
  });
  it('shows the value when asked', async () => {
    const rendered = await renderPrompt({ text, workspaceRoots: [], env, showEnv: true });
    assert.equal(rendered.model!.id, 'acme/s3cr3t-model');
  });
  it('hides it from a model folder path too', async () => {
    const folder = qwen3ModelFolder();
    after(() => rmSync(folder, { recursive: true, force: true }));
    const rendered = await renderPrompt({ text: '---\nmodel:\n  id: ${env:MODEL_DIR}\n---\nuser:\nhello', workspaceRoots: [], env: { MODEL_DIR: folder } });
    assert.ok(rendered.prompt!.startsWith('<|im_start|>user\nhello'));
    assert.doesNotMatch(JSON.stringify(rendered), new RegExp(folder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.equal(rendered.model!.folder, '«env:MODEL_DIR»');
  });
});
