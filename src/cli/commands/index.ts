import { type CliCommand } from '../io';
import { indexCommand } from './indexCommand';
import { searchCommand } from './search';
import { validateCommand } from './validate';
import { renderCommand } from './render';
import { embedCommand } from './embed';
import { runCommand } from './run';
import { modelsCommand } from './models';
import { trainCommand } from './train';
import { jobsCommand } from './jobs';
import { envCommand } from './env';
import { serveCommand } from './serve';
import { evalCommand } from './eval';
import { evalSetCommand } from './evalSet';

/** Every subcommand of `chatwright`, in the order `--help` lists them. */
export const cliCommands: CliCommand[] = [
  validateCommand,
  renderCommand,
  indexCommand,
  searchCommand,
  runCommand,
  embedCommand,
  modelsCommand,
  serveCommand,
  evalCommand,
  trainCommand,
  jobsCommand,
  envCommand,
  evalSetCommand,
];
