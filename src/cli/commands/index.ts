import { type CliCommand } from '../io';
import { validateCommand } from './validate';

/** Every subcommand of `chatwright`, in the order `--help` lists them. */
export const cliCommands: CliCommand[] = [validateCommand];
