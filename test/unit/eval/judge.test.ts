import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { ChatBackendError, type ChatBackend, type ChatBackendEvent, type ChatGenerateRequest, type GenerationStats } from '../../../src/core/chat/backend';
import { type Passage } from '../../../src/core/chat/chatTypes';
import { OpenAiCompatibleBackend } from '../../../src/core/chat/openAiCompatibleBackend';
import { type JudgeSpec } from '../../../src/core/eval/evalTypes';
import { defaultJudgeRubric, judgeAnswers, judgeKeyOf, judgePrompt, judgeScores, parseJudgeReply, type JudgeItem } from '../../../src/core/eval/judge';
import { scratchDir } from '../../support/scratchDir';
import { ScriptedBackend } from '../../support/scriptedBackend';
import { startScriptedServer } from '../../support/scriptedOpenAiServer';

const spec: JudgeSpec = { model: 'local/judge', rubric: defaultJudgeRubric, maxScore: 5, passScore: 4 };
const passage: Passage = { index: 1, file: 'docs/refunds.md', startLine: 3, endLine: 4, headingPath: ['Refunds'], text: 'Refunds are issued within 14 days.', score: 1 };
const item = (n: number, extra: Partial<JudgeItem> = {}): JudgeItem => ({
  id: `s\u0000q${n}`,
  question: `How long do refunds take (${n})?`,
  reference: 'Within 14 days.',
  answer: `Two weeks (${n}).`,
  passages: [],
  strategyKey: 'strategy-a',
  questionKey: `question-${n}`,
  ...extra,
});
const models = [{ id: 'judge', label: 'Judge' }];
/** The judge scores by the answer's number: (n mod 5) + 1, so each item's verdict is known. */
const scoringByNumber = (request: ChatGenerateRequest): string[] => {
  const n = Number(/Two weeks \((\d+)\)/.exec(request.messages.at(-1)!.content)?.[1] ?? 0);
  return ['Reasoning: it matches ', 'the reference.\n', `Score: ${(n % 5) + 1}`];
};
const run = (backend: ChatBackend, items: readonly JudgeItem[], outputDir: string, judge: JudgeSpec = spec, signal = new AbortController().signal) =>
  judgeAnswers({ spec: judge, backend, model: 'judge', items, outputDir, concurrency: 2, signal });

describe('parseJudgeReply', () => {
  it('reads the last "Score: n" line and keeps the rest as reasoning', () => {
    assert.deepEqual(parseJudgeReply('Reasoning: The answer matches.\nScore: 4', 5), { score: 4, reasoning: 'The answer matches.' });
    assert.deepEqual(parseJudgeReply('First I thought Score: 2.\nOn reflection it is complete.\nScore: 5\n', 5), { score: 5, reasoning: 'First I thought Score: 2.\nOn reflection it is complete.' });
  });

  it('accepts the usual variations: markdown, fractions on the scale, "out of", a bare last number', () => {
    assert.equal(parseJudgeReply('Good answer.\n**Score:** 3', 5).score, 3);
    assert.equal(parseJudgeReply('Good answer.\n### Final score = 4/5', 5).score, 4);
    assert.equal(parseJudgeReply('Good answer. I would give it 2 out of 5.', 5).score, 2);
    assert.equal(parseJudgeReply('Good answer, 3/5', 5).score, 3);
    assert.equal(parseJudgeReply('Good answer.\n\n5\n', 5).score, 5);
    assert.equal(parseJudgeReply('Score: 9', 10).score, 9);
  });

  it('moves <think> blocks into the reasoning and ignores scores inside them', () => {
    const parsed = parseJudgeReply('<think>Maybe Score: 1? No.</think>\nReasoning: Correct and complete.\nScore: 5', 5);
    assert.equal(parsed.score, 5);
    assert.equal(parsed.reasoning, 'Maybe Score: 1? No.\n\nCorrect and complete.');
    assert.ok(parseJudgeReply('<think>Score: 4 seems right but I ran out of tokens', 5).error);
  });

  it('turns a reply without a usable score into an error that keeps the text as reasoning', () => {
    const garbage = parseJudgeReply('I cannot grade this answer.', 5);
    assert.equal(garbage.score, undefined);
    assert.match(garbage.error!, /no score/);
    assert.equal(garbage.reasoning, 'I cannot grade this answer.');
    assert.match(parseJudgeReply('', 5).error!, /no score/);
    assert.match(parseJudgeReply('Two thirds of the facts are right: 2/3', 5).error!, /no score/); // a fraction off the scale is not a score
    assert.match(parseJudgeReply('Score: 7', 5).error!, /not a whole number from 1 to 5/);
    assert.match(parseJudgeReply('Score: 0', 5).error!, /not a whole number/);
    assert.match(parseJudgeReply('Score: 4.5', 5).error!, /not a whole number/);
    assert.match(parseJudgeReply('Score: 8/10', 5).error!, /scale is 1-5/);
  });
});

describe('judge prompt and key', () => {
  it('gives the rubric and the strict format in the system message, and passages only with a RAG answer', () => {
    const [system, user] = judgePrompt(spec, item(1));
    assert.equal(system!.role, 'system');
    assert.ok(system!.content.includes(defaultJudgeRubric));
    assert.match(system!.content, /last line must be "Score: "/);
    assert.ok(!user!.content.includes('<passages>'));
    const rag = judgePrompt(spec, item(1, { passages: [passage] }))[1]!.content;
    assert.match(rag, /<passages>\n\[1\] docs\/refunds\.md:3-4 \(Refunds\)\nRefunds are issued within 14 days\.\n<\/passages>/);
    assert.ok(rag.indexOf('<passages>') < rag.indexOf('<answer>'));
  });

  it('keys verdicts by judge model, rubric and scale', () => {
    assert.match(judgeKeyOf(spec), /^local\/judge#[0-9a-f]{12}$/);
    assert.equal(judgeKeyOf(spec), judgeKeyOf({ ...spec, passScore: 3 }));
    assert.notEqual(judgeKeyOf(spec), judgeKeyOf({ ...spec, rubric: `${spec.rubric} Be harsh.` }));
    assert.notEqual(judgeKeyOf(spec), judgeKeyOf({ ...spec, maxScore: 10 }));
    assert.notEqual(judgeKeyOf(spec), judgeKeyOf({ ...spec, model: 'other/judge' }));
  });

  it('turns a verdict into judge_score and judge_pass', () => {
    assert.deepEqual(judgeScores({ score: 4, reasoning: '', judgeKey: 'k' }, spec), { judge_score: 4, judge_pass: 1 });
    assert.deepEqual(judgeScores({ score: 3, reasoning: '', judgeKey: 'k' }, spec), { judge_score: 3, judge_pass: 0 });
    assert.deepEqual(judgeScores({ reasoning: '', error: 'no score', judgeKey: 'k' }, spec), {});
  });
});

describe('judgeAnswers', () => {
  it('judges each answer at temperature 0 and keeps reasoning apart from the score', async (t) => {
    const dir = scratchDir('judge', t);
    const backend = new ScriptedBackend('local', { tokens: scoringByNumber }, models);
    const verdicts = await run(backend, [item(1), item(3)], dir);
    assert.deepEqual(verdicts.get(item(1).id), { score: 2, reasoning: 'it matches the reference.', judgeKey: judgeKeyOf(spec) });
    assert.equal(verdicts.get(item(3).id)!.score, 4);
    assert.ok(backend.requests.every((request) => request.options.temperature === 0 && request.model === 'judge'));
  });

  it('reuses cached verdicts and asks only about new answers', async (t) => {
    const dir = scratchDir('judge', t);
    const first = new ScriptedBackend('local', { tokens: scoringByNumber }, models);
    await run(first, [item(1), item(2), item(3)], dir);
    assert.equal(first.requests.length, 3);
    assert.equal(readFileSync(join(dir, 'judgements.jsonl'), 'utf8').trim().split('\n').length, 3);

    const second = new ScriptedBackend('local', { tokens: scoringByNumber }, models);
    const verdicts = await run(second, [item(1), item(2), item(3), item(4)], dir);
    assert.equal(second.requests.length, 1); // only item 4
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => verdicts.get(item(n).id)!.score),
      [2, 3, 4, 5],
    );
  });

  it('judges again when the rubric, the scale or the answer changes', async (t) => {
    const dir = scratchDir('judge', t);
    await run(new ScriptedBackend('local', { tokens: scoringByNumber }, models), [item(1), item(2)], dir);
    const harsher = new ScriptedBackend('local', { tokens: scoringByNumber }, models);
    await run(harsher, [item(1), item(2)], dir, { ...spec, rubric: 'Only perfect answers score above 1.' });
    assert.equal(harsher.requests.length, 2);
    assert.ok(harsher.requests[0]!.messages[0]!.content.includes('Only perfect answers score above 1.'));
    const rerun = new ScriptedBackend('local', { tokens: scoringByNumber }, models);
    await run(rerun, [item(1, { strategyKey: 'strategy-b' }), item(2)], dir);
    assert.equal(rerun.requests.length, 1); // the changed strategy's answer only
  });

  it('reports a reply without a score or a failed request as an error verdict, and does not cache it', async (t) => {
    const dir = scratchDir('judge', t);
    const vague = new ScriptedBackend('local', { tokens: ['This answer seems fine.'] }, models);
    const verdict = (await run(vague, [item(1)], dir)).get(item(1).id)!;
    assert.equal(verdict.score, undefined);
    assert.match(verdict.error!, /no score/);
    assert.equal(verdict.reasoning, 'This answer seems fine.');

    const failing = new ScriptedBackend('local', { tokens: ['x'], fail: new ChatBackendError('engine-failure', 'connection refused') }, models);
    assert.match((await run(failing, [item(1)], dir)).get(item(1).id)!.error!, /The judge failed: connection refused/);

    const good = new ScriptedBackend('local', { tokens: scoringByNumber }, models);
    await run(good, [item(1)], dir);
    assert.equal(good.requests.length, 1);
  });

  it("keeps a reasoning model's streamed thinking as reasoning", async (t) => {
    const backend = new ScriptedBackend('local', { tokens: ['Score: 5'], reasoning: ['The answer ', 'is complete.'] }, models);
    const verdict = (await run(backend, [item(1)], scratchDir('judge', t))).get(item(1).id)!;
    assert.deepEqual(verdict, { score: 5, reasoning: 'The answer is complete.', judgeKey: judgeKeyOf(spec) });
  });

  it('skips cache lines that are cut short or malformed', async (t) => {
    const dir = scratchDir('judge', t);
    await run(new ScriptedBackend('local', { tokens: scoringByNumber }, models), [item(1), item(2)], dir);
    const file = join(dir, 'judgements.jsonl');
    const [line1, line2] = readFileSync(file, 'utf8').trim().split('\n');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, `${line1}\n{"judgeKey": 3}\nnot json\n${JSON.stringify({ ...JSON.parse(line2!), score: 99 })}\n${line2!.slice(0, 20)}`);
    const backend = new ScriptedBackend('local', { tokens: scoringByNumber }, models);
    await run(backend, [item(1), item(2)], dir);
    assert.equal(backend.requests.length, 1); // item 2: its only line had an impossible score
  });

  it('has at most `concurrency` requests in flight', async (t) => {
    let inFlight = 0;
    let peak = 0;
    const inner = new ScriptedBackend('local', { tokens: scoringByNumber, delayMs: 5 }, models);
    const counting: ChatBackend = {
      id: 'local',
      label: 'Counting',
      listModels: () => inner.listModels(),
      async generate(request: ChatGenerateRequest, onEvent: (event: ChatBackendEvent) => void, signal: AbortSignal): Promise<GenerationStats> {
        peak = Math.max(peak, ++inFlight);
        try {
          return await inner.generate(request, onEvent, signal);
        } finally {
          inFlight--;
        }
      },
    };
    const items = Array.from({ length: 9 }, (_, i) => item(i));
    const progress: number[] = [];
    const verdicts = await judgeAnswers({
      spec,
      backend: counting,
      model: 'judge',
      items,
      outputDir: scratchDir('judge', t),
      concurrency: 3,
      signal: new AbortController().signal,
      onProgress: (done) => progress.push(done),
    });
    assert.equal(verdicts.size, 9);
    assert.equal(peak, 3);
    assert.deepEqual(progress, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('leaves no listener on the run’s signal after 20 judge calls through the openai client, and no MaxListenersExceededWarning', async (t) => {
    const server = await startScriptedServer({ models: { judge: () => 'Reasoning: fine.\nScore: 4' } });
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const backend = new OpenAiCompatibleBackend({ id: 'local', label: 'local', baseUrl: server.url });
      const items = Array.from({ length: 20 }, (_, i) => item(i));
      const verdicts = await judgeAnswers({ spec, backend, model: 'judge', items, outputDir: scratchDir('judge', t), concurrency: 1, signal: controller.signal });
      assert.equal(verdicts.size, 20);
      assert.ok([...verdicts.values()].every((verdict) => verdict.score === 4));
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'every request’s listener went with its own signal');
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
      assert.deepEqual(
        warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning').map((warning) => warning.message),
        [],
      );
    } finally {
      process.off('warning', onWarning);
      await server.close();
    }
  });

  it('stops starting requests when aborted and returns the verdicts it has', async (t) => {
    const controller = new AbortController();
    const backend = new ScriptedBackend('local', { tokens: scoringByNumber }, models);
    const items = Array.from({ length: 6 }, (_, i) => item(i));
    const verdicts = await judgeAnswers({
      spec,
      backend,
      model: 'judge',
      items,
      outputDir: scratchDir('judge', t),
      concurrency: 1,
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 2) controller.abort();
      },
    });
    assert.equal(verdicts.size, 2);
    assert.equal(backend.requests.length, 2);
  });
});
