import { type InterpreterChoice, type EnvironmentProbe } from '../../core/jobs/pythonEnvironment';
import { trainerLaunchFor, trainerScriptVariable, type TrainerLaunch } from '../../core/jobs/jobRunner';
import { type PythonEnvironmentHandles } from './pythonEnvironmentCommands';

/**
 * How the jobs feature starts trainers: the interpreter and its probe come from the Python environment feature (the
 * setting, the Python extension's selection, the workspace's `.chatwright/venv`, the PATH; one probe per interpreter,
 * shared with "Check Python Environment" and "Create Environment"); this adds the trainer's command line.
 */
export class TrainerEnvironment {
  constructor(private readonly python: PythonEnvironmentHandles) {}

  interpreter(): Promise<InterpreterChoice> {
    return this.python.interpreter();
  }

  /** The `python/` folder that holds `chatwright_train`. */
  get pythonPath(): string {
    return this.python.pythonFolder;
  }

  /** The stand-in script named by the test hook, if set. */
  get script(): string | undefined {
    return process.env[trainerScriptVariable] || undefined;
  }

  launch(choice: InterpreterChoice): TrainerLaunch {
    return trainerLaunchFor(choice.python, this.pythonPath, process.env, process.cwd());
  }

  probe(choice: InterpreterChoice): Promise<EnvironmentProbe> {
    return this.python.probe(choice);
  }

  /** The next probe runs the interpreter again (Refresh: packages may have been installed outside VS Code). */
  forget(): void {
    this.python.forget();
  }
}
