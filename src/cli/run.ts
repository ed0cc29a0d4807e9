import packageJson from '../../package.json';
import { cliCommands } from './commands/index';
import { ExitCode, UsageError, type CliIo } from './io';

function help(): string {
  const width = Math.max(...cliCommands.map((command) => command.name.length));
  return `Chatwright ${packageJson.version}: build domain chatbots (datasets, prompt templates, models, RAG) from the command line.

Usage: chatwright <command> [options]

Commands:
${cliCommands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n')}

Options:
  --help, -h     show this help, or a command's help: chatwright <command> --help
  --version, -v  print the version
`;
}

/** Runs the CLI with the given arguments (without `node` and the script) and returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(help());
    return first === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (first === '--version' || first === '-v') {
    io.stdout.write(`${packageJson.version}\n`);
    return ExitCode.ok;
  }
  const command = cliCommands.find((candidate) => candidate.name === first);
  if (!command) {
    io.stderr.write(`chatwright: unknown command '${first}'. Run 'chatwright --help' for the list.\n`);
    return ExitCode.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.usage}\n`);
    return ExitCode.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    const isUsage = error instanceof UsageError || (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
    io.stderr.write(`chatwright ${command.name}: ${error instanceof Error ? error.message : String(error)}\n`);
    if (isUsage) io.stderr.write(`Run 'chatwright ${command.name} --help' for usage.\n`);
    return ExitCode.usage;
  }
}
