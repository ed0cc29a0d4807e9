import { existsSync, rmSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import * as vscode from 'vscode';
import { eventsFileName } from '../../core/jobs/jobEvents';
import { type ResolvedJobTarget } from '../../core/jobs/jobTarget';
import { slurmRequestText } from '../../core/jobs/jobWhere';
import { runsFolder } from '../../core/jobs/runFolder';
import { type SlurmClient } from '../../core/jobs/slurm/slurmClient';
import { slurmPreflight, withClusterFindings } from '../../core/jobs/slurm/slurmPreflight';
import { type JobPreflightView } from '../../shared/jobPageProtocol';

/**
 * The steps before a Slurm job is submitted from the editor: the cluster's own preflight (partitions and their limits
 * from `sinfo`/`scontrol`) joins the job's preflight findings, the generated RUN/job.sbatch is opened read-only beside
 * the job file, and a modal asks "Submit to Slurm (partition, nodes × GPUs, time)?".
 */

/** The job's preflight with the cluster's findings added; not ok when the cluster check found an error. */
export async function withSlurmPreflight(view: JobPreflightView, target: ResolvedJobTarget, client: SlurmClient): Promise<JobPreflightView> {
  const partitions = await client.partitions().catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  const findings = slurmPreflight(target, partitions);
  return { ...view, findings: withClusterFindings(view.findings, findings), ok: view.ok && !findings.some((finding) => finding.severity === 'error') };
}

/**
 * Shows the script read-only beside and asks whether to submit it. `answer` (a test, or a caller that already asked)
 * skips the modal, never the script. True: submit.
 */
export async function confirmSlurmSubmission(scriptPath: string, target: ResolvedJobTarget, answer?: boolean): Promise<boolean> {
  await vscode.window.showTextDocument(vscode.Uri.file(scriptPath), { viewColumn: vscode.ViewColumn.Beside, preview: true });
  // The script is what sbatch will run: an edit here would not be what was checked, so it is shown read-only.
  await vscode.commands.executeCommand('workbench.action.files.setActiveEditorReadonlyInSession');
  if (answer !== undefined) return answer;
  const choice = await vscode.window.showInformationMessage(
    `Submit to Slurm (${slurmRequestText(target)})?`,
    { modal: true, detail: `The script beside (${scriptPath}) is submitted with sbatch --parsable from its run folder. Slurm's output goes to train.log there.` },
    'Submit',
  );
  return choice === 'Submit';
}

/**
 * What Cancel at the question leaves: nothing. The run folder holds only what Run Job generated for this submission
 * (config, the script, launch files) and never ran; kept, it would list a job that never existed in the Jobs view, and
 * Run Job writes it again. A folder outside the workspace's runs or with events (it ran) is never removed.
 */
export async function discardUnsubmittedRun(workspaceRoot: string, runDir: string, scriptPath: string): Promise<boolean> {
  const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => tab.input instanceof vscode.TabInputText && tab.input.uri.fsPath === scriptPath);
  if (tabs.length > 0) await vscode.window.tabGroups.close(tabs);
  const inside = relative(join(workspaceRoot, runsFolder), runDir);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside) || existsSync(join(runDir, eventsFileName))) return false;
  rmSync(runDir, { recursive: true, force: true });
  return true;
}
