import { type TextRange } from './lineIndex';

/**
 * One change an editor made to a document's text, as LSP sends it: the text that replaces a range (in the coordinates
 * left by the change before it), or the whole new text.
 */
export type TextChange = { range: TextRange; text: string } | { text: string };

interface VersionStep {
  from: number;
  to: number;
  changes: readonly TextChange[];
}

/** Steps kept per document; a service further behind than this re-reads the whole text. */
const maxSteps = 64;

/**
 * The incremental changes the editor sent for each open document, by version, so a service that analysed version N
 * can catch up to version M by applying just those changes instead of re-reading the whole text.
 */
export class DocumentChangeLog {
  private readonly steps = new Map<string, VersionStep[]>();

  record(uri: string, from: number, to: number, changes: readonly TextChange[]): void {
    let steps = this.steps.get(uri);
    if (!steps) this.steps.set(uri, (steps = []));
    if (steps.length >= maxSteps) steps.shift();
    steps.push({ from, to, changes });
  }

  /**
   * The changes that turn version `from` into version `to`, in order, or undefined when they are not all known.
   * Steps up to `to` are dropped: each version is caught up from once.
   */
  between(uri: string, from: number, to: number): TextChange[] | undefined {
    const steps = this.steps.get(uri);
    if (!steps) return undefined;
    const changes: TextChange[] = [];
    let version = from;
    let index = steps.findIndex((step) => step.from === from);
    let reached = index >= 0 && from === to;
    for (; index >= 0 && index < steps.length && !reached; index++) {
      const step = steps[index]!;
      if (step.from !== version) break;
      for (const change of step.changes) changes.push(change);
      version = step.to;
      reached = version === to;
    }
    const consumed = steps.findIndex((step) => step.to > to);
    steps.splice(0, consumed < 0 ? steps.length : consumed);
    return reached ? changes : undefined;
  }

  forget(uri: string): void {
    this.steps.delete(uri);
  }
}
