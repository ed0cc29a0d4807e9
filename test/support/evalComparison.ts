/**
 * A comparison whose outcome is known before it runs, FOR TESTS: an eval set of questions with reference answers, and
 * scripted models over `scriptedOpenAiServer` that answer each question exactly (`exact`: the reference, looked up
 * from the question), with a close paraphrase (`paraphrase`), or with something unrelated (`wrong`). Strategies over
 * them rank exact > paraphrase > wrong on token F1; two exact strategies tie.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ComparisonSpec, type StrategySpec } from '../../src/core/eval/evalTypes';
import { lastUserText, type ScriptedAnswer } from './scriptedOpenAiServer';

const topics = [
  ['return window', 'thirty days from delivery'],
  ['warranty period', 'two years for every device'],
  ['support hours', 'eight to six on weekdays'],
  ['shipping cost', 'free above fifty euros'],
  ['refund method', 'the original payment card'],
  ['password reset link', 'valid for one hour only'],
  ['invoice address', 'editable until the parcel ships'],
  ['battery replacement', 'done in our repair centre'],
  ['gift wrapping', 'available for three euros'],
  ['student discount', 'ten percent with a valid card'],
  ['data export', 'a zip file of every order'],
  ['account deletion', 'final after fourteen days'],
] as const;

export interface KnownQuestion {
  id: string;
  question: string;
  reference: string;
}

export const knownQuestions: KnownQuestion[] = topics.map(([thing, value], index) => ({
  id: `q${index + 1}`,
  question: `What is the ${thing}?`,
  reference: `The ${thing} is ${value} according to the customer handbook.`,
}));

const referenceOf = new Map(knownQuestions.map((question) => [question.question, question.reference]));

/** The reference of the question asked (the last user turn), or a plain "unknown". */
function referenceFor(messages: Parameters<ScriptedAnswer>[0]): string {
  return referenceOf.get(lastUserText(messages)) ?? 'I do not know.';
}

/** The scripted models: each question's answer is known, so each strategy's scores are. */
export const scriptedModels: Record<string, ScriptedAnswer> = {
  exact: (messages) => referenceFor(messages),
  // Same words but three, in another order: token F1 high but clearly below 1.
  paraphrase: (messages) =>
    `As the customer handbook says, ${referenceFor(messages)
      .replace(/^The /, 'the ')
      .replace(/ according to the customer handbook\.$/, '')}, I believe.`,
  wrong: () => 'Please contact our sales team about new laptops and monitors.',
};

/** Writes the eval set (and a few-shot examples file) into `root`; returns their workspace-relative paths. */
export function writeEvalWorkspace(root: string, questions: readonly KnownQuestion[] = knownQuestions): { evalSet: string; examples: string } {
  mkdirSync(join(root, 'data'), { recursive: true });
  writeFileSync(join(root, 'data', 'support.eval.jsonl'), questions.map((q) => JSON.stringify({ id: q.id, question: q.question, answer: q.reference })).join('\n') + '\n');
  const examples = [
    {
      messages: [
        { role: 'user', content: 'Do you sell phone cases?' },
        { role: 'assistant', content: 'Yes, in the accessories section.' },
      ],
    },
    {
      messages: [
        { role: 'user', content: 'Can I pay by invoice?' },
        { role: 'assistant', content: 'Yes, for business accounts.' },
      ],
    },
  ];
  writeFileSync(join(root, 'data', 'examples.jsonl'), examples.map((row) => JSON.stringify(row)).join('\n') + '\n');
  return { evalSet: 'data/support.eval.jsonl', examples: 'data/examples.jsonl' };
}

/** A strategy with the comparison defaults (greedy, 512 tokens). */
export function strategy(name: string, model: string, extra: Partial<StrategySpec> = {}): StrategySpec {
  return { name, model, temperature: 0, maxTokens: 512, ...extra };
}

/** A comparison spec over the workspace, as `parseComparison` would fill it. */
export function comparisonSpec(root: string, strategies: StrategySpec[], endpoints: ComparisonSpec['endpoints'], extra: Partial<ComparisonSpec> = {}): ComparisonSpec {
  return {
    file: join(root, 'support.compare.yaml'),
    root,
    name: 'support',
    evalSet: join(root, 'data', 'support.eval.jsonl'),
    strategies,
    endpoints,
    concurrency: 4,
    primaryMetric: 'token_f1',
    trainingData: [],
    documents: [],
    outputDir: join(root, '.chatwright', 'evals', 'support'),
    seed: 0,
    bootstrapSamples: 500,
    ...extra,
  };
}

/** The same comparison as a `*.compare.yaml` file's text (the CLI reads this). */
export function comparisonYaml(options: { endpoints: { id: string; url: string; apiKeyEnv?: string }[]; strategies: string; extra?: string }): string {
  const endpoints = options.endpoints.map((e) => `  - { id: ${e.id}, url: '${e.url}'${e.apiKeyEnv ? `, api_key_env: ${e.apiKeyEnv}` : ''} }`).join('\n');
  return `name: support
eval_set: data/support.eval.jsonl
primary_metric: token_f1
bootstrap_samples: 500
endpoints:
${endpoints}
strategies:
${options.strategies}
${options.extra ?? ''}`;
}
