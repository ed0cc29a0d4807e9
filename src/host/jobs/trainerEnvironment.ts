import * as vscode from 'vscode';
import { findInterpreter, probeEnvironment, type EnvironmentProbe, type InterpreterChoice } from '../../core/jobs/pythonEnvironment';
import { type TrainerLaunch } from '../../core/jobs/jobRunner';
import { type Ctx } from '../context';

/** The part of the Python extension's public API (`ms-python.python`) read here: the interpreter the user selected. */
interface PythonExtensionApi {
  environments?: { getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string } | undefined };
}

/** The environment variable that makes jobs run a script instead of `python -m chatwright_train` (a test hook: the stand-in trainer). */
export const trainerScriptVariable = 'CHATWRIGHT_TRAINER_SCRIPT';

/**
 * Which Python runs the trainer, and what it can do: the interpreter from the setting, the Python extension's
 * selection, the workspace's `.chatwright/venv` or the PATH (in that order), and its environment probe, run once per
 * interpreter (in a child process) and kept until Refresh or a settings change.
 */
export class TrainerEnvironment {
  private readonly probes = new Map<string, Promise<EnvironmentProbe>>();

  constructor(private readonly ctx: Ctx) {}

  /** The interpreter jobs run with now. */
  async interpreter(): Promise<InterpreterChoice> {
    const workspaceRoot = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const setting = this.ctx.config.jobs.pythonPath;
    const pythonExtension = setting ? undefined : await this.pythonExtensionInterpreter();
    return findInterpreter({ ...(setting ? { setting } : {}), ...(pythonExtension ? { pythonExtension } : {}), ...(workspaceRoot ? { workspaceRoot } : {}), env: process.env });
  }

  /** The `python/` folder that holds `chatwright_train`. */
  get pythonPath(): string {
    return this.ctx.asAbsolutePath('python');
  }

  /** The stand-in script named by the test hook, if set. */
  get script(): string | undefined {
    return process.env[trainerScriptVariable] || undefined;
  }

  launch(python: string): TrainerLaunch {
    const script = this.script;
    return { python, pythonPath: this.pythonPath, ...(script ? { script } : {}) };
  }

  /** The interpreter's probe (cached per interpreter; a failed probe is not cached). */
  probe(python: string): Promise<EnvironmentProbe> {
    let probe = this.probes.get(python);
    if (!probe) {
      probe = probeEnvironment(python, this.pythonPath);
      this.probes.set(python, probe);
      probe.catch(() => this.probes.delete(python));
    }
    return probe;
  }

  /** Forgets the probes (a package was installed, another interpreter was chosen). */
  forget(): void {
    this.probes.clear();
  }

  private async pythonExtensionInterpreter(): Promise<string | undefined> {
    const extension = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
    if (!extension) return undefined;
    try {
      const api = extension.isActive ? extension.exports : await extension.activate();
      return api?.environments?.getActiveEnvironmentPath(vscode.workspace.workspaceFolders?.[0]?.uri)?.path || undefined;
    } catch (error) {
      this.ctx.log.warn(`The Python extension did not say which interpreter is selected: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }
}
