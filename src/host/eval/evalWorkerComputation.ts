import { type EvalComputation } from '../../core/eval/evaluateComparison';
import { ProcessCrashedError, ProcessLauncher } from '../../core/process/launcher';
import { buildReportRequest, scoreAnswersRequest } from '../../shared/evalWorkerProtocol';

/**
 * The CPU-heavy steps of an evaluation (scoring every answer, building the report with its bootstrap intervals) in a
 * worker thread (dist/evalWorker.js), so the extension host's thread stays free while thousands of answers are
 * scored. One worker per run: started on the first request, terminated by `dispose` (which also stops a request in
 * flight at once).
 */
export class WorkerEvalComputation implements EvalComputation {
  private readonly launcher: ProcessLauncher;

  constructor(script: string) {
    this.launcher = new ProcessLauncher({ name: 'The evaluation worker', target: { kind: 'worker', entry: script } });
  }

  async score(input: Parameters<EvalComputation['score']>[0]): ReturnType<EvalComputation['score']> {
    const { embeddings, ...rest } = input;
    const entries = await this.request(() => this.launcher.request(scoreAnswersRequest, { ...rest, ...(embeddings !== undefined ? { embeddings: [...embeddings.entries()] } : {}) }));
    return new Map(entries);
  }

  report(input: Parameters<EvalComputation['report']>[0]): ReturnType<EvalComputation['report']> {
    const { scores, judgements, ...rest } = input;
    return this.request(() => this.launcher.request(buildReportRequest, { ...rest, scores: [...scores.entries()], ...(judgements !== undefined ? { judgements: [...judgements.entries()] } : {}) }));
  }

  dispose(): Promise<void> {
    return this.launcher.dispose();
  }

  private async request<R>(send: () => Promise<R>): Promise<R> {
    try {
      return await send();
    } catch (error) {
      throw error instanceof ProcessCrashedError ? new Error(`${error.crash.reason}.`, { cause: error }) : error;
    }
  }
}
