import { type ContaminationInput, type EvalComputation, type ReportStepInput } from '../../core/eval/evaluateComparison';
import { type ComparisonSpec, type EvalReport } from '../../core/eval/evalTypes';
import { ProcessCrashedError, ProcessLauncher } from '../../core/process/launcher';
import { buildReportRequest, contaminationRequest, rebuildReportRequest, scoreAnswersRequest } from '../../shared/evalWorkerProtocol';

/**
 * The CPU-heavy steps of an evaluation (scoring every answer, the contamination check over training files, building
 * and writing the report with its bootstrap intervals), and rebuilding a report from the cache as a whole, in a worker
 * thread (dist/evalWorker.js), so the extension host's thread stays free while thousands of answers are scored. One
 * worker per run: started on the first request, terminated by `dispose` (which also stops a request in flight at once).
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

  contamination(input: ContaminationInput): ReturnType<EvalComputation['contamination']> {
    return this.request(() => this.launcher.request(contaminationRequest, input));
  }

  report(input: ReportStepInput): Promise<EvalReport> {
    const { scores, judgements, ...rest } = input;
    return this.request(() => this.launcher.request(buildReportRequest, { ...rest, scores: [...scores.entries()], ...(judgements !== undefined ? { judgements: [...judgements.entries()] } : {}) }));
  }

  /** The report rebuilt from the cache alone in the worker (`rebuildReport`), written there too. */
  rebuildReport(spec: ComparisonSpec, strategies?: readonly string[]): Promise<EvalReport> {
    return this.request(() => this.launcher.request(rebuildReportRequest, { spec, ...(strategies !== undefined ? { strategies: [...strategies] } : {}) }));
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
