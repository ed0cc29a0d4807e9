/** Where a CLI command reads and writes: the real process streams, or buffers in tests. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Exit codes shared by every subcommand: 0 clean, 1 findings at error level, 2 usage or I/O error. */
export const ExitCode = { ok: 0, findings: 1, usage: 2 } as const;

export class UsageError extends Error {}

export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}
