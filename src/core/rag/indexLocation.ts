import { join } from 'node:path';

/** Where the CLI keeps a folder's index when no --db is given: inside the folder, in a dot-folder the scan skips. */
export function defaultIndexFile(folder: string): string {
  return join(folder, '.chatwright', 'index.db');
}
