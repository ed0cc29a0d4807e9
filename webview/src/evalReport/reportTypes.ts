import { type EvalQuestionDetail, type EvalReportState } from '../../../src/shared/evalReportProtocol';

/**
 * The report's types as the page protocol carries them (a webview imports nothing of src/ but src/shared). The page
 * holds the report's summary (`EvalReport` here): each question as the list shows it; a question's full row comes on
 * request.
 */
export type EvalReport = EvalReportState['report'];
export type QuestionSummary = EvalReport['questions'][number];
export type QuestionRow = EvalQuestionDetail['question'];
export type QuestionAnswerView = QuestionRow['answers'][string];
export type StrategyRow = EvalReport['strategies'][number];
export type MetricInfo = EvalReport['metrics'][number];
export type MetricId = EvalReport['primaryMetric'];
export type Interval = NonNullable<StrategyRow['metrics'][MetricId]>;
export type WarningCode = EvalReport['recommendation']['warnings'][number]['code'];
