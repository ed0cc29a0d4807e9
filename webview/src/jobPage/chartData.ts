import { type JobSeries } from './jobTypes';
import { bytesPerGiB } from './format';

/** uPlot's aligned data: x values first, then one array per series, all of the same length. */
export type AlignedColumns = [number[], ...(number | null)[][]];

/**
 * Train loss and eval loss on one step axis. Both step lists ascend (the snapshot appends in order), so a merge
 * keeps them aligned without sorting; a step with both a train and an eval loss is one x value.
 */
export function lossColumns(series: JobSeries): AlignedColumns {
  const steps: number[] = [];
  const loss: (number | null)[] = [];
  const evalLoss: (number | null)[] = [];
  let i = 0;
  let j = 0;
  while (i < series.step.length || j < series.evalStep.length) {
    const trainStep = series.step[i];
    const evalStep = series.evalStep[j];
    if (trainStep !== undefined && (evalStep === undefined || trainStep < evalStep)) {
      steps.push(trainStep);
      loss.push(series.loss[i] ?? null);
      evalLoss.push(null);
      i++;
    } else if (evalStep !== undefined && (trainStep === undefined || evalStep < trainStep)) {
      steps.push(evalStep);
      loss.push(null);
      evalLoss.push(series.evalLoss[j] ?? null);
      j++;
    } else {
      steps.push(trainStep!);
      loss.push(series.loss[i] ?? null);
      evalLoss.push(series.evalLoss[j] ?? null);
      i++;
      j++;
    }
  }
  return [steps, loss, evalLoss];
}

export function learningRateColumns(series: JobSeries): AlignedColumns {
  return [series.step, series.learningRate];
}

export function tokensPerSecondColumns(series: JobSeries): AlignedColumns {
  return [series.step, series.tokensPerSecond];
}

export function gpuMemoryColumns(series: JobSeries): AlignedColumns {
  return [series.step, series.gpuMemoryBytes.map((bytes) => (bytes === null ? null : bytes / bytesPerGiB))];
}

/** Whether any value of the series (after x) was reported: a chart of nothing but gaps says so instead. */
export function hasValues(columns: AlignedColumns): boolean {
  return columns.slice(1).some((column) => (column as (number | null)[]).some((value) => value !== null && Number.isFinite(value)));
}
