/**
 * How often the documents retrieval answers from change, from their git history: a fine-tune learns the documents as
 * they were when it was trained, retrieval reads them as they are, so documents that change often argue for
 * retrieval. Reads `git log` and `git ls-files` for the documents' globs; no git, no repository, a timeout or an
 * answer too large all mean "no history" (undefined), never an error.
 *
 * It starts a process (git): callers run it only in a trusted workspace.
 */
import { execFile } from 'node:child_process';
import { type EvalReport } from './evalTypes';

export type DocumentChurn = NonNullable<EvalReport['documentChurn']>;

/** The window the churn is measured over. */
export const churnWindowDays = 90;

const gitTimeoutMs = 10_000;
/** Far above the history of any document folder over 90 days; a larger answer is not read (no history is reported). */
const maxGitOutputBytes = 8 << 20;
/** Marks a commit line in the log: git quotes control characters in file names, so no name line starts with it. */
const commitMarker = '\u0001';

/**
 * The churn of the files matching `globs` (workspace-relative, `**` allowed) in the git repository holding `root`:
 * how many such files git tracks now, the commits that touched them in the 90 days before `now` (Unix ms) and the
 * distinct files those commits changed, and the time of the last change to any of them (Unix ms, however old).
 * Undefined when there are no globs, `root` is not in a repository, git is missing, or git tracks none of the files.
 */
export async function documentChurn(root: string, globs: readonly string[], now: number, signal?: AbortSignal): Promise<DocumentChurn | undefined> {
  const pathspecs = globs.filter((glob) => glob.trim() !== '').map((glob) => `:(glob)${glob}`);
  if (pathspecs.length === 0) return undefined;
  const since = Math.floor(now / 1000) - churnWindowDays * 86_400;
  const [tracked, recent, last] = await Promise.all([
    runGit(root, ['ls-files', '-z', '--', ...pathspecs], signal),
    runGit(root, ['log', `--since=@${since}`, `--until=@${Math.floor(now / 1000)}`, '--name-only', `--format=${commitMarker}%ct`, '--', ...pathspecs], signal),
    runGit(root, ['log', '-1', `--until=@${Math.floor(now / 1000)}`, '--format=%ct', '--', ...pathspecs], signal),
  ]);
  if (tracked === undefined || recent === undefined || last === undefined) return undefined;
  const files = tracked.split('\0').filter((name) => name !== '').length;
  let commits = 0;
  const changed = new Set<string>();
  for (const line of recent.split('\n')) {
    if (line.startsWith(commitMarker)) commits++;
    else if (line !== '') changed.add(line);
  }
  const lastSeconds = Number.parseInt(last.trim(), 10);
  if (files === 0 && commits === 0 && !Number.isFinite(lastSeconds)) return undefined;
  return {
    files,
    commitsLast90Days: commits,
    filesChangedLast90Days: changed.size,
    ...(Number.isFinite(lastSeconds) ? { lastChange: lastSeconds * 1000 } : {}),
  };
}

/** git's stdout, or undefined when git is missing, fails (not a repository), times out or says too much. */
function runGit(root: string, args: readonly string[], signal: AbortSignal | undefined): Promise<string | undefined> {
  const environment: NodeJS.ProcessEnv = { ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  // The repository is the one holding `root`, whatever the editor was started with.
  delete environment.GIT_DIR;
  delete environment.GIT_WORK_TREE;
  delete environment.GIT_INDEX_FILE;
  // Nothing a repository's own config names runs: no fsmonitor hook, no signature check (gpg) while logging.
  const safety = ['-c', 'core.fsmonitor=false', '-c', 'log.showSignature=false', '-c', 'core.quotePath=true'];
  return new Promise((resolve) => {
    execFile(
      'git',
      [...safety, '-C', root, ...args],
      { encoding: 'utf8', timeout: gitTimeoutMs, maxBuffer: maxGitOutputBytes, windowsHide: true, env: environment, ...(signal !== undefined ? { signal } : {}) },
      (error, stdout) => resolve(error === null ? stdout : undefined),
    );
  });
}
