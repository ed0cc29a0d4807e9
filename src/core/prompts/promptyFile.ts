import { dirname, isAbsolute, relative } from 'node:path';
import { readBoundedText } from '../files/boundedRead';
import { analyzePrompty } from './promptyDiagnostics';
import { type PromptFinding } from './promptFinding';

/** Whether a path names a prompt template (`chatwright validate` sends these here rather than to the dataset checks). */
export function isPromptTemplatePath(path: string): boolean {
  return /\.prompty$/i.test(path);
}

/**
 * The folder a template run from the command line may read files under: the working folder when the template is
 * inside it, else the template's own folder (never the whole file system).
 */
export function cliWorkspaceRoot(templatePath: string, cwd: string): string {
  const rel = relative(cwd, templatePath);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? cwd : dirname(templatePath);
}

export interface PromptFileValidation {
  findings: (Omit<PromptFinding, 'severity'> & { severity: 'error' | 'warning' | 'information' })[];
  summary: string;
}

/** Checks a `.prompty` file from disk, as the editor does; hints are reported as information. */
export async function validatePromptTemplateFile(path: string, options: { cwd: string; env?: NodeJS.ProcessEnv; displayName?: string }): Promise<PromptFileValidation> {
  const text = await readBoundedText(path, { kind: 'template' });
  const analysis = analyzePrompty(text, { templatePath: path, workspaceRoots: [cliWorkspaceRoot(path, options.cwd)], env: options.env ?? process.env });
  const findings = analysis.findings.map((finding) => ({ ...finding, severity: finding.severity === 'hint' ? ('information' as const) : finding.severity }));
  const count = (severity: string): number => findings.filter((finding) => finding.severity === severity).length;
  const lines = analysis.document.positions.lineCount;
  const summary = `${options.displayName ?? path}: prompt template (${analysis.document.format}, ${analysis.inputs.length} input(s), ${lines} lines): ${count('error')} error(s), ${count('warning')} warning(s), ${count('information')} note(s)`;
  return { findings, summary };
}
