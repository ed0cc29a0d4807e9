import { metricIds } from './evalTypes';

/**
 * Every field of a comparison file (`*.compare.yaml`), once: its type, bounds, default and the reason for the
 * default. The checker (`comparisonFile.ts`), the JSON Schema (`schemas/compare.schema.json`, generated here by
 * `comparisonSchema()` and held to the file by a unit test) and the editor features (`comparisonFileFeatures.ts`) all
 * read this table, so they cannot drift apart.
 */

/** What a path field names, for the existence checks, the hover and the file completion. */
export type ComparisonPathKind = 'evalSet' | 'template' | 'examples' | 'trainingData' | 'run' | 'output' | 'glob';

/** What each choice of an enum means, by choice: shown when hovering a value and listed in the schema. */
export type ChoiceMeanings = Readonly<Record<string, string>>;

export type ComparisonFieldRule =
  | { kind: 'string'; description: string; pathKind?: ComparisonPathKind; pattern?: string; maxLength?: number; defaultText?: string }
  /** `<backend>/<model>`, as the chat names models. */
  | { kind: 'model'; description: string }
  /** An http(s) base URL. */
  | { kind: 'url'; description: string }
  /** The name of an environment variable (never its value). */
  | { kind: 'envName'; description: string }
  | { kind: 'enum'; description: string; choices: readonly string[]; meanings?: ChoiceMeanings; default?: string; defaultText?: string }
  | { kind: 'integer'; description: string; minimum: number; maximum: number; default?: number; defaultText?: string }
  | { kind: 'number'; description: string; minimum?: number; maximum?: number; default?: number }
  /** A list of strings (paths or globs). */
  | { kind: 'stringList'; description: string; pathKind: ComparisonPathKind };

export interface ComparisonSectionRule {
  kind: 'section';
  description: string;
  required?: readonly string[];
  fields: Record<string, ComparisonRule>;
  /**
   * A section that may also be written as one scalar: `few_shot: 3` is `{ k: 3 }`, `fine_tuned: runs/x` is
   * `{ run: runs/x }`. With `switchable`, `false` (or leaving it out) turns the feature off.
   */
  shorthand?: { field: string; switchable: boolean };
}

/** A list of mappings (`strategies`, `endpoints`). */
export interface ComparisonListRule {
  kind: 'list';
  description: string;
  minItems: number;
  maxItems: number;
  items: ComparisonSectionRule;
}

export type ComparisonRule = ComparisonFieldRule | ComparisonSectionRule | ComparisonListRule;

/** Strategy and endpoint names: what the report, `--strategies` and model references call them. */
export const namePattern = '^[A-Za-z0-9._-]{1,40}$';
/** A comparison's name is also its output folder's name: never only dots (`.` or `..` would name `.chatwright/evals` or above). */
export const comparisonNamePattern = '^(?!\\.+$)[A-Za-z0-9._-]{1,64}$';

/** Backend ids every comparison may name without declaring them: the built-in ONNX engine. */
export const builtinBackendIds: readonly string[] = ['engine'];

export const maxStrategies = 12;

const maxSeed = 2 ** 32 - 1;

const metricMeanings: ChoiceMeanings = {
  exact_match: 'the answer equals the reference exactly',
  normalized_exact_match: 'equal after lower-casing and dropping punctuation, articles and extra spaces',
  token_f1: 'word overlap with the reference (SQuAD F1)',
  rouge_l: 'longest common word subsequence with the reference',
  embedding_similarity: 'cosine similarity of answer and reference embeddings (needs `embedding_model`)',
  retrieval_hit: 'a passage from one of the question’s `sources` was retrieved',
  retrieval_mrr: 'reciprocal rank of the first passage from the `sources`',
  faithfulness: 'share of answer sentences supported by the retrieved passages',
  citation_accuracy: 'share of `[n]` citations that point at a supporting passage',
  judge_score: 'the LLM judge’s score (needs `judge`)',
  judge_pass: 'the judge’s score reached `pass_score`',
  manual_score: 'the grades you gave by hand in the report',
};

const strategyRules: ComparisonSectionRule = {
  kind: 'section',
  description: 'One way of answering: a model (or a fine-tuned adapter), with or without a template, few-shot examples and retrieval.',
  required: ['name', 'model'],
  fields: {
    name: { kind: 'string', pattern: namePattern, maxLength: 40, description: 'Unique in the comparison; letters, digits, `.`, `_`, `-`. What the report and `chatwright eval --strategies` call it.' },
    description: { kind: 'string', description: 'What this strategy tries, in words, for the report.' },
    model: {
      kind: 'model',
      description:
        '`<backend>/<model>` as in the chat: `engine/<Hub id or model folder>` is the built-in ONNX engine; `<endpoint id>/<model>` names an endpoint of `endpoints:` (in the editor also any registered chat backend: configured endpoints, served models).',
    },
    template: { kind: 'string', pathKind: 'template', description: 'A `.prompty` template (workspace-relative) the question is rendered with. Default: none, the question is sent as it is.' },
    few_shot: {
      kind: 'section',
      shorthand: { field: 'k', switchable: true },
      description: 'Few-shot examples put before the question. `few_shot: 3` is `{ k: 3 }`; leave it out or write `false` for none (the default).',
      required: ['k'],
      fields: {
        k: { kind: 'integer', minimum: 1, maximum: 50, description: 'How many examples each question gets.' },
        selection: {
          kind: 'enum',
          choices: ['first', 'random', 'similar'],
          default: 'first',
          meanings: {
            first: 'the first k rows of the examples file, the same for every question',
            random: 'k rows drawn with `seed`, the same draw for every question',
            similar: 'the k rows closest to the question (embedding similarity with `embedding_model`, else BM25)',
          },
          description: "How the examples are chosen from the examples file. Default `first`: the chat's default, and the one that shows the model the same prompt each time.",
        },
        examples: {
          kind: 'string',
          pathKind: 'examples',
          defaultText: "the template's own examples",
          description: "A JSONL file of `messages` rows (workspace-relative) the examples are taken from. Default: the template's own examples (then `template` is required).",
        },
        seed: { kind: 'integer', minimum: 0, maximum: maxSeed, defaultText: "the comparison's `seed`", description: "The seed of `random` selection. Default: the comparison's `seed`." },
      },
    },
    retrieval: {
      kind: 'section',
      shorthand: { field: 'k', switchable: true },
      description: "Passages retrieved from the workspace's index and put before the question. `retrieval: 4` is `{ k: 4 }`; leave it out or write `false` for none (the default).",
      required: ['k'],
      fields: {
        k: { kind: 'integer', minimum: 1, maximum: 50, description: 'How many passages each question gets.' },
        index: { kind: 'string', defaultText: 'the first (or only) index', description: "The index to search: a workspace folder's name. Default: the first (or only) index." },
      },
    },
    fine_tuned: {
      kind: 'section',
      shorthand: { field: 'run', switchable: false },
      description: "Marks a fine-tuned strategy: its training run folder, read for the training time and GPU hours of the report's cost column. `fine_tuned: <run folder>` is `{ run: <run folder> }`.",
      required: ['run'],
      fields: {
        run: { kind: 'string', pathKind: 'run', description: 'The run folder (workspace-relative, usually `.chatwright/runs/<run>`) holding the run.json of the training that made the adapter.' },
      },
    },
    temperature: {
      kind: 'number',
      minimum: 0,
      maximum: 2,
      default: 0,
      description:
        'Sampling temperature. Default 0 (greedy): an evaluation compares strategies, and sampling would add noise to every score, so a difference between strategies could be luck; raise it only to measure the strategy as users will sample it.',
    },
    max_tokens: { kind: 'integer', minimum: 1, maximum: 32_768, default: 512, description: "The most tokens an answer may have. Default 512: the chat's default." },
    seed: { kind: 'integer', minimum: 0, maximum: maxSeed, description: 'Passed to the backend for reproducible sampling (where it supports one). Default: none.' },
  },
};

const endpointRules: ComparisonSectionRule = {
  kind: 'section',
  description: 'An OpenAI-compatible endpoint the strategies may name as `<id>/<model>`.',
  required: ['id', 'url'],
  fields: {
    id: { kind: 'string', pattern: namePattern, maxLength: 40, description: 'What model references call it: `<id>/<model>`. Unique; not `engine` (the built-in engine).' },
    url: { kind: 'url', description: 'The base URL, ending in `/v1` (`http://127.0.0.1:8766/v1`). Plain http is for this machine only: a key would travel in clear.' },
    api_key_env: {
      kind: 'envName',
      description: 'The name of the environment variable that holds the API key (`OPENAI_API_KEY`), never the key itself: a comparison file is shared and committed. Default: no key.',
    },
  },
};

const judgeRules: ComparisonSectionRule = {
  kind: 'section',
  description: 'An LLM judge that scores every answer against the reference with a rubric; its reasoning is kept apart from its score. Default: no judge.',
  required: ['model'],
  fields: {
    model: { kind: 'model', description: 'The judge model, `<backend>/<model>` (any local or remote model; a stronger model than the ones judged is best).' },
    rubric: {
      kind: 'string',
      defaultText: 'the built-in rubric',
      description: 'The rubric the judge is given: what a good answer is and what each score means. Default: the built-in rubric (docs/evaluation.md shows it).',
    },
    max_score: { kind: 'integer', minimum: 2, maximum: 10, default: 5, description: 'Scores are integers from 1 to this. Default 5: a Likert scale, coarse enough for a judge to apply consistently.' },
    pass_score: {
      kind: 'integer',
      minimum: 1,
      maximum: 10,
      default: 4,
      description: 'An answer passes at this score or more (`judge_pass`). Default 4 (or `max_score` when that is lower): on the 1–5 scale, mostly correct and complete. At most `max_score`.',
    },
  },
};

export const comparisonRules: ComparisonSectionRule = {
  kind: 'section',
  description:
    'A Chatwright comparison: strategies (zero-shot, few-shot, retrieval, fine-tuned) answering the same eval set, scored and compared with a recommendation. Relative paths are resolved against the workspace folder.',
  required: ['eval_set', 'strategies'],
  fields: {
    name: {
      kind: 'string',
      pattern: comparisonNamePattern,
      maxLength: 64,
      defaultText: 'the file name without `.compare.yaml`',
      description: "The comparison's name, also its output folder's (`.chatwright/evals/<name>`). Default: the file name without `.compare.yaml`.",
    },
    description: { kind: 'string', description: 'What the comparison decides, in words, for the report.' },
    eval_set: {
      kind: 'string',
      pathKind: 'evalSet',
      description:
        'The questions with reference answers: a JSONL eval set (`messages` rows whose last assistant turn is the reference, or `{question, answer, sources?}` rows), or a `*.job.yaml` whose `data.eval` file is reused.',
    },
    strategies: { kind: 'list', minItems: 1, maxItems: maxStrategies, items: strategyRules, description: `The strategies compared (1 to ${maxStrategies}), each answering every question.` },
    endpoints: {
      kind: 'list',
      minItems: 0,
      maxItems: 32,
      items: endpointRules,
      description: 'OpenAI-compatible endpoints the strategies, the judge and the embedding model may name as `<id>/<model>`. Default: none.',
    },
    concurrency: {
      kind: 'integer',
      minimum: 1,
      maximum: 64,
      default: 4,
      description: 'Requests in flight at once, per backend. Default 4: keeps a local server busy without queueing so long that time-to-first-token measures the queue.',
    },
    primary_metric: {
      kind: 'enum',
      choices: metricIds,
      meanings: metricMeanings,
      defaultText: '`judge_score` with a judge, else `embedding_similarity` with an embedding model, else `token_f1`',
      description: 'The metric the recommendation decides on. Default: `judge_score` with a judge, else `embedding_similarity` with an embedding model, else `token_f1` (the best measure available).',
    },
    embedding_model: {
      kind: 'model',
      description: 'An embedding model, `<backend>/<model>`, for `embedding_similarity` and `similar` few-shot selection. Default: none (that metric is off, `similar` falls back to BM25).',
    },
    judge: judgeRules,
    threshold: {
      kind: 'section',
      description: '`chatwright eval` exits with 1 when the mean of `metric` is below `min`: a check for CI. Default: none (exit 0 whenever the run completes).',
      required: ['metric', 'min'],
      fields: {
        metric: { kind: 'enum', choices: metricIds, meanings: metricMeanings, description: 'The metric checked.' },
        min: { kind: 'number', description: 'The lowest mean accepted.' },
        strategy: { kind: 'string', pattern: namePattern, defaultText: 'the recommended strategy', description: 'The strategy whose mean is checked. Default: the recommended one.' },
      },
    },
    training_data: {
      kind: 'stringList',
      pathKind: 'trainingData',
      description:
        "Training data files (workspace-relative) checked for overlap with the eval set, besides the fine-tuned runs' recorded datasets: a question trained on measures memory, not skill. Default: none.",
    },
    documents: {
      kind: 'stringList',
      pathKind: 'glob',
      description: 'Globs (workspace-relative) of the documents retrieval answers from, for the warning when they change often (a fine-tune does not keep up). Default: what the index covers.',
    },
    output: {
      kind: 'string',
      pathKind: 'output',
      defaultText: '`.chatwright/evals/<name>`',
      description: 'The folder (workspace-relative) for the answers cache, judgements, grades and the report. Default: `.chatwright/evals/<name>`.',
    },
    seed: {
      kind: 'integer',
      minimum: 0,
      maximum: maxSeed,
      default: 0,
      description: 'The seed of bootstrap resampling and `random` few-shot selection: the same seed gives the same intervals. Default 0.',
    },
    bootstrap_samples: {
      kind: 'integer',
      minimum: 200,
      maximum: 100_000,
      default: 2000,
      description: 'Bootstrap resamples behind each 95% interval. Default 2000: enough for stable 2.5%/97.5% percentiles (Efron and Tibshirani suggest 1000 or more for intervals).',
    },
  },
};

/** The rule at a path of keys; list levels are implicit (`strategies.few_shot.k`). */
export function comparisonRuleAt(path: readonly string[]): ComparisonRule | undefined {
  let rule: ComparisonRule = comparisonRules;
  for (const key of path) {
    const section: ComparisonRule = rule.kind === 'list' ? rule.items : rule;
    if (section.kind !== 'section' || !Object.hasOwn(section.fields, key)) return undefined;
    rule = section.fields[key]!;
  }
  return rule;
}

/** The section a path's keys are written in: a section itself, or a list's item. */
export function sectionOf(rule: ComparisonRule | undefined): ComparisonSectionRule | undefined {
  if (rule?.kind === 'section') return rule;
  return rule?.kind === 'list' ? rule.items : undefined;
}

/** The default as hover, completion and the docs state it; undefined for a field without one. */
export function defaultTextOf(rule: ComparisonRule): string | undefined {
  switch (rule.kind) {
    case 'string':
      return rule.defaultText;
    case 'enum':
    case 'integer':
      return rule.default !== undefined ? String(rule.default) : rule.defaultText;
    case 'number':
      return rule.default !== undefined ? String(rule.default) : undefined;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// JSON Schema

function choiceDescriptions(rule: { choices: readonly string[]; meanings?: ChoiceMeanings }): { enumDescriptions?: string[] } {
  return rule.meanings ? { enumDescriptions: rule.choices.map((choice) => rule.meanings?.[choice] ?? '') } : {};
}

function sectionSchema(rule: ComparisonSectionRule): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    ...(rule.required ? { required: [...rule.required] } : {}),
    properties: Object.fromEntries(Object.entries(rule.fields).map(([key, value]) => [key, ruleSchema(value)])),
  };
}

function ruleSchema(rule: ComparisonRule): Record<string, unknown> {
  const { description } = rule;
  switch (rule.kind) {
    case 'section': {
      const object = sectionSchema(rule);
      if (!rule.shorthand) return { ...object, description };
      const scalar = (rule.fields[rule.shorthand.field] as ComparisonFieldRule).kind === 'integer' ? ruleSchema(rule.fields[rule.shorthand.field]!) : { type: 'string', minLength: 1 };
      const { description: _inner, ...scalarSchema } = scalar;
      return { anyOf: [object, scalarSchema, ...(rule.shorthand.switchable ? [{ const: false }] : [])], description };
    }
    case 'list':
      return { type: 'array', minItems: rule.minItems, maxItems: rule.maxItems, items: { ...sectionSchema(rule.items), description: rule.items.description }, description };
    case 'string':
      return { type: 'string', minLength: 1, ...(rule.maxLength !== undefined ? { maxLength: rule.maxLength } : {}), ...(rule.pattern !== undefined ? { pattern: rule.pattern } : {}), description };
    case 'model':
      return { type: 'string', pattern: '^[^/\\s]+/.+$', description };
    case 'url':
      return { type: 'string', pattern: '^https?://', description };
    case 'envName':
      return { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description };
    case 'enum':
      return { type: 'string', enum: [...rule.choices], ...choiceDescriptions(rule), ...(rule.default !== undefined ? { default: rule.default } : {}), description };
    case 'integer':
      return { type: 'integer', minimum: rule.minimum, maximum: rule.maximum, ...(rule.default !== undefined ? { default: rule.default } : {}), description };
    case 'number':
      return {
        type: 'number',
        ...(rule.minimum !== undefined ? { minimum: rule.minimum } : {}),
        ...(rule.maximum !== undefined ? { maximum: rule.maximum } : {}),
        ...(rule.default !== undefined ? { default: rule.default } : {}),
        description,
      };
    case 'stringList':
      return { type: 'array', items: { type: 'string', minLength: 1 }, description };
  }
}

/** The comparison file's JSON Schema (draft-07), as written to `schemas/compare.schema.json`. */
export function comparisonSchema(): Record<string, unknown> {
  const { type, additionalProperties, required, properties } = sectionSchema(comparisonRules);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://chatwright.dev/schemas/compare.schema.json',
    title: 'Chatwright strategy comparison',
    description: comparisonRules.description,
    type,
    additionalProperties,
    required,
    properties: { $schema: { type: 'string', description: 'The JSON Schema this comparison file follows.' }, ...(properties as Record<string, unknown>) },
  };
}
