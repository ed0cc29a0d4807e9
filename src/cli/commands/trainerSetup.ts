import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { trainerLaunchFor, type TrainerLaunch } from '../../core/jobs/jobRunner';
import { trainerPythonFolder } from '../../core/jobs/pythonEnvironment';

/** Where the runs of a job go: the folder that owns `.chatwright/`, and why it was chosen (said to the user). */
export interface WorkspaceRoot {
  dir: string;
  reason: 'holds .chatwright' | 'holds .git' | "the job file's folder" | 'the current folder' | '--root';
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The nearest folder at or above `start` holding `.chatwright/` or `.git` (a file in worktrees and submodules, so any
 * entry counts), so runs land where the editor's Jobs view looks; `fallback` when there is none.
 */
export function findWorkspaceRoot(start: string, fallbackReason: WorkspaceRoot['reason'] = "the job file's folder"): WorkspaceRoot {
  let dir = resolve(start);
  for (;;) {
    if (isFolder(join(dir, '.chatwright'))) return { dir, reason: 'holds .chatwright' };
    if (existsSync(join(dir, '.git'))) return { dir, reason: 'holds .git' };
    const parent = dirname(dir);
    if (parent === dir) return { dir: resolve(start), reason: fallbackReason };
    dir = parent;
  }
}

export function trainerLaunch(python: string, env: NodeJS.ProcessEnv, cwd: string): TrainerLaunch {
  return trainerLaunchFor(python, trainerPythonFolder(), env, cwd);
}
