import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser';
import { type RowPath } from './rowProblems';

/**
 * Finds where a JSON path sits in one line of JSON text, as [start, end) character offsets. Runs the tolerant jsonc
 * parser, so it is only called for rows that have something to report. Falls back to the deepest existing ancestor.
 */
export class RowLocator {
  private tree: Node | undefined;
  private parsed = false;

  constructor(private readonly text: string) {}

  locate(path: RowPath, part: 'key' | 'value' = 'value'): [number, number] {
    if (!this.parsed) {
      this.parsed = true;
      try {
        this.tree = parseTree(this.text, [], { disallowComments: true });
      } catch {
        // Pathologically deep JSON overflows the parser's recursion: point at the whole row instead.
        this.tree = undefined;
      }
    }
    const whole: [number, number] = [leadingSpace(this.text), this.text.trimEnd().length];
    if (!this.tree || path.length === 0) return whole;
    for (let depth = path.length; depth > 0; depth--) {
      const node = findNodeAtLocation(this.tree, path.slice(0, depth));
      if (!node) continue;
      if (part === 'key' && depth === path.length && node.parent?.type === 'property') {
        const key = node.parent.children?.[0];
        if (key) return [key.offset, key.offset + key.length];
      }
      return [node.offset, node.offset + node.length];
    }
    return whole;
  }
}

function leadingSpace(text: string): number {
  let i = 0;
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  return i;
}
