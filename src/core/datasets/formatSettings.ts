import { basename, relative } from 'node:path';
import picomatch from 'picomatch';
import { isDatasetFormat, type DatasetFormat } from './formats';

/**
 * The format a file is configured as by the `chatwright.datasets.formats` setting (glob → format). A glob without a
 * slash matches the file name; one with a slash matches the path relative to a workspace folder, or the absolute path.
 */
export function configuredFormatFor(path: string, formats: Record<string, string>, workspaceFolders: readonly string[]): DatasetFormat | undefined {
  for (const [glob, format] of Object.entries(formats)) {
    if (!isDatasetFormat(format)) continue;
    const match = picomatch(glob, { dot: true });
    if (!glob.includes('/')) {
      if (match(basename(path))) return format;
      continue;
    }
    for (const folder of workspaceFolders) {
      const inside = relative(folder, path).split('\\').join('/');
      if (!inside.startsWith('..') && match(inside)) return format;
    }
    if (match(path)) return format;
  }
  return undefined;
}
