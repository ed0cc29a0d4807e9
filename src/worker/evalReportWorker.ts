// The report worker (bundled as dist/evalReportWorker.js): reads and parses a report.json, keeps it, and answers the
// report panel with its summary, a question's detail, searches and exports (src/shared/evalReportWorkerProtocol.ts),
// so that a report of megabytes never stops the extension host's thread.
import { readEvalReportFile } from '../core/eval/reportFileReader';
import { reportCsv, reportJson, reportMarkdown } from '../core/eval/reportExport';
import { ReportLookup } from '../core/eval/reportSummary';
import { connectToParentPort, onRequest } from '../core/rpc/connection';
import { reportWorkerExportRequest, reportWorkerLoadRequest, reportWorkerQuestionRequest, reportWorkerSearchRequest } from '../shared/evalReportWorkerProtocol';

const connection = connectToParentPort();
let held: ReportLookup | undefined;

function lookup(): ReportLookup {
  // Only a worker started again after a crash holds nothing: the panel's report is gone with the old one.
  if (!held) throw new Error('The report worker stopped and lost the report: close the report and open it again.');
  return held;
}

onRequest(connection, reportWorkerLoadRequest, async ({ file }) => {
  const result = await readEvalReportFile(file);
  if (!result.ok) return result;
  held = new ReportLookup(result.report);
  return { ok: true as const, summary: held.summary() };
});
onRequest(connection, reportWorkerQuestionRequest, ({ questionId }) => lookup().question(questionId) ?? null);
onRequest(connection, reportWorkerSearchRequest, ({ text }) => lookup().search(text));
onRequest(connection, reportWorkerExportRequest, ({ format }) => {
  const { report } = lookup();
  return format === 'markdown' ? reportMarkdown(report) : format === 'csv' ? reportCsv(report) : reportJson(report);
});

connection.listen();
