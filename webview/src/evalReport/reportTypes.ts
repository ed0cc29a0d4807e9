import { type EvalReportState } from '../../../src/shared/evalReportProtocol';

/** The report's types as the page protocol carries them (a webview imports nothing of src/ but src/shared). */
export type EvalReport = EvalReportState['report'];
export type QuestionRow = EvalReport['questions'][number];
export type QuestionAnswerView = QuestionRow['answers'][string];
export type StrategyRow = EvalReport['strategies'][number];
export type MetricInfo = EvalReport['metrics'][number];
export type MetricId = EvalReport['primaryMetric'];
export type Interval = NonNullable<StrategyRow['metrics'][MetricId]>;
export type WarningCode = EvalReport['recommendation']['warnings'][number]['code'];
