/**
 * A realistic EvalReport of N questions × S strategies, generated from a seeded RNG: the strategies climb the ladder
 * (zero-shot, few-shot, retrieval, fine-tuned, then more variants), answers are sentences of support-desk words that
 * share more with the reference the better the strategy, retrieval strategies see passages, few-shot ones examples,
 * and the statistics (means, normal-approximation intervals, paired wins) are computed from the generated scores so
 * the report is self-consistent. For the report webview's tests and benchmark, and for anyone needing a report.
 */
import {
  answerId,
  type EvalReport,
  type Interval,
  type MetricId,
  type MetricInfo,
  type PairwiseResult,
  type QuestionAnswerView,
  type QuestionRow,
  type StrategyRow,
} from '../../src/core/eval/evalTypes';

export interface EvalReportFixtureOptions {
  questions: number;
  strategies: number;
  seed?: number;
  /** Put hostile strings (markup, `</script>`, RTL text, a 100 KB answer) into the first questions. */
  hostile?: boolean;
  /** Give the report a judge (judge_score primary, hand grades, calibration). Default true. */
  judge?: boolean;
}

/** mulberry32: small, fast and good enough for fixtures. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const words =
  'account password reset invoice refund order shipping delivery address billing plan upgrade downgrade subscription cancel renew trial license seat admin user team workspace export import backup restore sync device mobile desktop browser login token two-factor email notification setting profile language region tax receipt payment card bank transfer support ticket priority response hours weekend holiday outage status incident'.split(
    ' ',
  );

export const hostileStrings = {
  markup: '<img src=x onerror="window.__pwned=1">',
  script: '</script><script>window.__pwned=2</script>',
  rtl: 'مرحبا \u202Eabc\u202C שלום',
  link: '[click](javascript:window.__pwned=3) <a href="javascript:window.__pwned=4">x</a>',
};

const ladderNames = ['zero-shot', 'few-shot', 'rag', 'fine-tuned'];
const ladderRecipes = ['no examples, no retrieval', 'few-shot k=3 (similar)', 'few-shot k=3 (similar), retrieval k=4, template support.prompty', 'fine-tuned adapter, template support.prompty'];

function sentence(random: () => number, length: number): string[] {
  return Array.from({ length }, () => words[Math.floor(random() * words.length)]!);
}

function interval(values: number[]): Interval {
  const n = values.length;
  if (n === 0) return { mean: 0, low: 0, high: 0, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  const half = 1.96 * Math.sqrt(variance / n);
  return { mean, low: mean - half, high: mean + half, n };
}

export function generateEvalReport(options: EvalReportFixtureOptions): EvalReport {
  const random = seededRandom(options.seed ?? 7);
  const withJudge = options.judge ?? true;
  const strategyCount = Math.max(1, options.strategies);
  const names = Array.from({ length: strategyCount }, (_, i) => ladderNames[i] ?? `variant-${i + 1}`);
  // Quality per strategy: the ladder climbs, few-shot and rag nearly tie so the report shows a tie.
  const quality = names.map((_, i) => [0.45, 0.62, 0.64, 0.8][i] ?? 0.5 + 0.05 * (i % 5));
  const metrics: MetricInfo[] = [
    { id: 'token_f1', label: 'Token F1', description: 'Word overlap with the reference.', range: [0, 1], higherIsBetter: true },
    { id: 'rouge_l', label: 'ROUGE-L', description: 'Longest common word subsequence with the reference.', range: [0, 1], higherIsBetter: true },
    { id: 'embedding_similarity', label: 'Embedding similarity', description: 'Cosine similarity of embeddings.', range: [0, 1], higherIsBetter: true },
    { id: 'retrieval_hit', label: 'Retrieval hit rate', description: 'An expected source was retrieved.', range: [0, 1], higherIsBetter: true },
    ...(withJudge ? [{ id: 'judge_score', label: 'Judge score', description: 'The LLM judge’s 1-5 score.', range: [1, 5], higherIsBetter: true } satisfies MetricInfo] : []),
  ];
  const primaryMetric: MetricId = withJudge ? 'judge_score' : 'token_f1';
  const scale = (id: MetricId) => metrics.find((m) => m.id === id)!.range;

  const questions: QuestionRow[] = [];
  const scoreTable = new Map<string, Partial<Record<MetricId, number>>>();
  for (let q = 0; q < options.questions; q++) {
    const id = `q${q + 1}`;
    const referenceWords = sentence(random, 10 + Math.floor(random() * 25));
    let question = `How do I ${sentence(random, 3 + Math.floor(random() * 8)).join(' ')}?`;
    let reference = `${referenceWords.join(' ')}.`;
    if (options.hostile && q < 4) {
      question = [hostileStrings.markup, hostileStrings.script, hostileStrings.rtl, hostileStrings.link][q]! + ' ' + question;
      reference = [hostileStrings.script, hostileStrings.markup, hostileStrings.rtl, hostileStrings.link][q]! + ' ' + reference;
    }
    const difficulty = random() * 0.4 - 0.2;
    const answers: Record<string, QuestionAnswerView> = {};
    const failures: string[] = [];
    const primaryScores: number[] = [];
    names.forEach((name, s) => {
      const p = Math.min(0.98, Math.max(0.02, quality[s]! - difficulty));
      if (random() < 0.015) {
        answers[name] = { status: 'error', content: '', error: { code: 'timeout', message: 'The endpoint did not answer within 60 s.' }, scores: {}, passages: [], examples: [], notes: [] };
        failures.push(name);
        return;
      }
      const kept = referenceWords.map((word) => (random() < p ? word : words[Math.floor(random() * words.length)]!));
      let content = `${kept.join(' ')}${random() < 0.3 ? ` ${sentence(random, 6).join(' ')}` : ''}.`;
      if (options.hostile && q < 4 && s === 0) content = `${[hostileStrings.markup, hostileStrings.script, hostileStrings.rtl, hostileStrings.link][q]!} ${content}`;
      if (options.hostile && q === 4 && s === 0) content = `${'very long answer '.repeat(6200)}end.`;
      const overlap = kept.filter((word, i) => word === referenceWords[i]).length / referenceWords.length;
      const scores: Partial<Record<MetricId, number>> = {
        token_f1: Math.min(1, overlap * (0.85 + random() * 0.15)),
        rouge_l: Math.min(1, overlap * (0.8 + random() * 0.2)),
        embedding_similarity: Math.min(1, 0.5 + overlap / 2 - random() * 0.05),
      };
      const retrieves = name === 'rag' || name.startsWith('variant');
      if (retrieves) scores.retrieval_hit = random() < 0.8 ? 1 : 0;
      const judgeScore = Math.max(1, Math.min(5, Math.round(1 + overlap * 4 + (random() - 0.5))));
      if (withJudge) scores.judge_score = judgeScore;
      scoreTable.set(answerId(name, id), scores);
      const promptTokens = [120, 480, 1650, 140][s] ?? 600;
      const view: QuestionAnswerView = {
        status: 'done',
        content,
        scores,
        passages: retrieves
          ? Array.from({ length: 4 }, (_, k) => ({
              index: k + 1,
              file: options.hostile && q === 0 && k === 0 ? `docs/${hostileStrings.markup}.md` : `docs/${words[(q + k) % words.length]}.md`,
              startLine: 1 + k * 12,
              endLine: 10 + k * 12,
              headingPath: ['Help', words[(q * 3 + k) % words.length]!],
              text: sentence(random, 40).join(' '),
              score: 0.9 - k * 0.1,
            }))
          : [],
        examples:
          name === 'few-shot' || retrieves
            ? Array.from({ length: 3 }, (_, k) => ({
                source: `data/train.jsonl:${10 + k + q}`,
                messages: [
                  { role: 'user', content: `How do I ${sentence(random, 5).join(' ')}?` },
                  { role: 'assistant', content: `${sentence(random, 12).join(' ')}.` },
                ],
              }))
            : [],
        notes: retrieves && random() < 0.1 ? ['Two passages were dropped to fit the context window.'] : [],
        stats: {
          promptTokens,
          completionTokens: 30 + Math.floor(random() * 80),
          timeToFirstTokenMs: ([180, 240, 420, 200][s] ?? 300) * (0.7 + random() * 0.6),
          tokensPerSecond: 40 + random() * 20,
          totalMs: ([900, 1100, 1600, 950][s] ?? 1200) * (0.7 + random() * 0.6),
          finishReason: 'stop',
        },
        ...(withJudge
          ? {
              judge: {
                score: judgeScore,
                reasoning: options.hostile && q < 4 ? `Reasoning with ${hostileStrings.markup}` : `The answer ${judgeScore >= 4 ? 'covers' : 'misses'} the key steps of the reference.`,
                judgeKey: 'judge/llama|abc123',
              },
            }
          : {}),
      };
      if (withJudge && q % 37 === 0 && s < 2) view.manual = { strategy: name, questionId: id, score: Math.max(1, judgeScore - (q % 2)), gradedAt: 1_780_000_000_000 + q, note: 'Checked by hand.' };
      answers[name] = view;
      const primary = scores[primaryMetric]!;
      primaryScores.push(primary);
      const [low, high] = scale(primaryMetric);
      if ((primary - low) / (high - low) < 0.5) failures.push(name);
    });
    const [low, high] = scale(primaryMetric);
    const spread = primaryScores.length > 1 ? (Math.max(...primaryScores) - Math.min(...primaryScores)) / (high - low) : 0;
    questions.push({ id, line: q + 1, question, reference, sources: [`docs/${words[q % words.length]}.md`], answers, failures, disagreement: spread >= 0.5 });
  }

  const strategies: StrategyRow[] = names.map((name, s) => {
    const done = questions.map((row) => row.answers[name]).filter((answer): answer is QuestionAnswerView => answer?.status === 'done');
    const metricIntervals: Partial<Record<MetricId, Interval>> = {};
    for (const metric of metrics) {
      const values = done.map((answer) => answer.scores[metric.id]).filter((value): value is number => value !== undefined);
      if (values.length > 0) metricIntervals[metric.id] = interval(values);
    }
    const prompt = done.reduce((sum, answer) => sum + (answer.stats?.promptTokens ?? 0), 0);
    const completion = done.reduce((sum, answer) => sum + (answer.stats?.completionTokens ?? 0), 0);
    return {
      name,
      model: name === 'fine-tuned' ? 'served/support-bot-lora' : 'engine/Qwen/Qwen3-0.6B',
      recipe: ladderRecipes[s] ?? `variant ${s + 1}: few-shot k=${s % 5}, retrieval k=${(s % 3) + 2}`,
      metrics: metricIntervals,
      latency: { timeToFirstTokenMs: interval(done.map((answer) => answer.stats!.timeToFirstTokenMs)), totalMs: interval(done.map((answer) => answer.stats!.totalMs)) },
      tokens: { prompt, completion, promptPerAnswer: done.length ? prompt / done.length : 0, completionPerAnswer: done.length ? completion / done.length : 0 },
      ...(name === 'fine-tuned' ? { training: { run: '.chatwright/runs/20261201-support-bot', seconds: 5400, gpuHours: 1.5, gpus: 1, trainExamples: 480, status: 'completed' } } : {}),
      answered: done.length,
      failed: questions.length - done.length,
    };
  });

  const pairwise: PairwiseResult[] = [];
  for (let a = 0; a < names.length; a++) {
    for (let b = a + 1; b < names.length; b++) {
      let winsA = 0;
      let winsB = 0;
      let ties = 0;
      const differences: number[] = [];
      for (const row of questions) {
        const x = row.answers[names[a]!]?.scores[primaryMetric];
        const y = row.answers[names[b]!]?.scores[primaryMetric];
        if (x === undefined || y === undefined) continue;
        differences.push(x - y);
        if (x > y) winsA++;
        else if (y > x) winsB++;
        else ties++;
      }
      const difference = interval(differences);
      pairwise.push({
        a: names[a]!,
        b: names[b]!,
        metric: primaryMetric,
        winsA,
        winsB,
        ties,
        winRateA: winsA + winsB > 0 ? winsA / (winsA + winsB) : 0.5,
        difference,
        verdict: difference.low > 0 ? 'a' : difference.high < 0 ? 'b' : 'tie',
      });
    }
  }
  const ladder = names.slice(1, 4).map((to, i) => {
    const from = names[i]!;
    const pair = pairwise.find((p) => p.a === from && p.b === to)!;
    const gain = { ...pair.difference, mean: -pair.difference.mean, low: -pair.difference.high, high: -pair.difference.low };
    return {
      from,
      to,
      gain,
      verdict: pair.verdict === 'tie' ? ('tie' as const) : pair.verdict === 'b' ? ('better' as const) : ('worse' as const),
      cost: to === 'fine-tuned' ? '+1.5 GPU hours of training' : to === 'rag' ? '+1,170 prompt tokens per answer, +180 ms to first token' : '+360 prompt tokens per answer, +60 ms to first token',
    };
  });
  const recommended = names.length >= 3 ? names[1]! : names[0]!;
  return {
    version: 1,
    comparison: { file: '/work/ws/support.compare.yaml', name: options.hostile ? `support ${hostileStrings.markup}` : 'support', description: 'Which way should the support bot answer?' },
    evalSet: { file: '/work/ws/data/support.eval.jsonl', questions: questions.length, sha256: 'f'.repeat(64) },
    createdAt: Date.UTC(2026, 11, 4, 10, 15),
    primaryMetric,
    metrics,
    strategies,
    pairwise,
    questions,
    recommendation: {
      strategy: recommended,
      headline: `Use ${recommended}: it scores as well as the best within the noise, at a fraction of the cost.`,
      reasons: [
        `${recommended} is not significantly below the best strategy on ${primaryMetric}.`,
        'Retrieval over few-shot is a tie: the documents add nothing these questions need.',
        'Fine-tuning gained, but costs 1.5 GPU hours per retraining and does not follow the documents when they change.',
      ],
      ladder,
      warnings: [
        { code: 'small-training-set', message: 'The training set has 480 rows: a fine-tune on so few may not generalise.' },
        { code: 'documents-change-often', message: '12 of 40 documents changed in the last 90 days: retrieval keeps up with changes, a fine-tune does not.' },
        ...(options.hostile ? [{ code: 'many-failures' as const, message: `A warning with ${hostileStrings.markup}` }] : []),
      ],
    },
    contamination: {
      checkedFiles: ['/work/ws/data/train.jsonl'],
      findings: [{ kind: 'training', questionId: 'q3', line: 3, source: 'data/train.jsonl:118', similarity: 1 }],
      trainingOverlap: 1,
      examplesOverlap: 0,
    },
    ...(withJudge ? { judgeCalibration: { graded: 24, exactAgreement: 0.62, withinOne: 0.92, passAgreement: 0.88, meanAbsoluteError: 0.46 } } : {}),
    documentChurn: { files: 40, commitsLast90Days: 31, filesChangedLast90Days: 12, lastChange: Date.UTC(2026, 10, 28) },
  };
}
