import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { type TextPosition, type TextRange } from '../text/lineIndex';
import { type PromptFinding, type PromptFix } from './promptFinding';

/**
 * What an editor needs around an open `.prompty` template beyond its analysis (promptyDiagnostics.ts) and language
 * features (promptyLanguageFeatures.ts): where its files may come from, the quick fixes for a range, the model ids
 * to complete, and re-checking when a file it reads changes. Editor-independent: the language server turns these
 * into LSP answers.
 */

/** Where a template's files may come from: the workspace folders, or the template's own folder outside any. */
export function templateContext(templatePath: string | undefined, workspaceFolders: readonly string[]): { templatePath?: string; workspaceRoots: string[] } {
  const workspaceRoots = workspaceFolders.length > 0 ? [...workspaceFolders] : templatePath ? [dirname(templatePath)] : [];
  return { ...(templatePath !== undefined ? { templatePath } : {}), workspaceRoots };
}

/** The findings with a fix whose range touches `range` (ends included), each with its fix. */
export function fixesInRange(findings: readonly PromptFinding[], range: TextRange): (PromptFinding & { fix: PromptFix })[] {
  return findings.filter(
    (finding): finding is PromptFinding & { fix: PromptFix } => finding.fix !== undefined && compare(finding.range.start, range.end) <= 0 && compare(range.start, finding.range.end) <= 0,
  );
}

function compare(a: TextPosition, b: TextPosition): number {
  return a.line - b.line || a.character - b.character;
}

/**
 * The ids of the models in the Hugging Face cache, for completing `model.id`: scanned once, then refreshed in the
 * background when older than `maxAgeMs` (completion answers with the list it has instead of waiting on the disk).
 */
export class ModelIdCache {
  private ids: string[] = [];
  private scannedAt: number | undefined;
  private refresh: Promise<string[]> | undefined;

  constructor(
    private readonly scan: () => Promise<string[]>,
    private readonly maxAgeMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The ids: the first call waits for the scan; later ones get the last list (a failed scan gives none). */
  async modelIds(): Promise<string[]> {
    if ((this.scannedAt === undefined || this.now() - this.scannedAt > this.maxAgeMs) && !this.refresh) {
      const refresh = this.scan()
        .catch(() => [])
        .then((ids) => {
          this.ids = ids;
          this.scannedAt = this.now();
          this.refresh = undefined;
          return ids;
        });
      this.refresh = refresh;
      if (this.scannedAt === undefined) return refresh;
    }
    return this.ids;
  }
}

/**
 * The files each open template reads (examples, samples), watched: when one changes on disk, `changed(uri)` asks
 * for the template to be re-checked.
 */
export class ReferencedFileWatcher {
  private readonly watchers = new Map<string, Map<string, FSWatcher>>();

  constructor(private readonly changed: (uri: string) => void) {}

  /** Watches exactly `files` for the template at `uri` (stops watching the files it no longer reads). */
  watch(uri: string, files: readonly string[]): void {
    const current = this.watchers.get(uri) ?? new Map<string, FSWatcher>();
    this.watchers.set(uri, current);
    for (const [file, watcher] of current) {
      if (!files.includes(file)) {
        watcher.close();
        current.delete(file);
      }
    }
    for (const file of files) {
      if (current.has(file)) continue;
      try {
        const watcher = watch(file, { persistent: false }, () => this.changed(uri));
        watcher.on('error', () => undefined);
        current.set(file, watcher);
      } catch {
        // A missing file is reported by the diagnostics; it is watched once it exists and the template is edited.
      }
    }
  }

  unwatch(uri: string): void {
    for (const watcher of this.watchers.get(uri)?.values() ?? []) watcher.close();
    this.watchers.delete(uri);
  }

  dispose(): void {
    for (const uri of [...this.watchers.keys()]) this.unwatch(uri);
  }
}
