import Mustache from 'mustache';
import { type OffsetFinding } from './promptFinding';
import { type VariableUse } from './jinjaAst';

type MustacheToken = [type: string, value: string, start: number, end: number, children?: MustacheToken[], closeIndex?: number];

export interface MustacheAnalysis {
  findings: OffsetFinding[];
  /** Variables read at the top level (inside a section a name may come from the section's item, so it is not listed). */
  freeVariables: VariableUse[];
  /** Section names read at any level, whose root must be an input. */
  sections: { name: string; start: number; end: number; closeEnd: number }[];
  /** Root names read anywhere, sections included (a declared input used only inside a section is still used). */
  usedNames: Set<string>;
}

/**
 * Mustache templates (Prompty's `template: mustache`), analysed with mustache.js's own parser, which reports
 * token offsets and names the offset of its errors ("Unclosed tag at 42").
 */
export function analyzeMustache(text: string): MustacheAnalysis {
  const findings: OffsetFinding[] = [];
  const freeVariables: VariableUse[] = [];
  const sections: MustacheAnalysis['sections'] = [];
  const usedNames = new Set<string>();
  let tokens: MustacheToken[];
  try {
    tokens = Mustache.parse(text) as unknown as MustacheToken[];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = Number(/at (\d+)\s*$/.exec(message)?.[1] ?? 0);
    const opener = text.lastIndexOf('{{', at) >= 0 && /Unclosed tag/.test(message) ? text.lastIndexOf('{{', Math.max(0, at - 1)) : at;
    const start = Math.max(0, Math.min(opener >= 0 ? opener : at, text.length));
    findings.push({ start, end: Math.min(text.length, start + 2), severity: 'error', code: 'mustache-syntax', message: `Mustache syntax error: ${message.replace(/ at \d+\s*$/, '')}.` });
    return { findings, freeVariables, sections, usedNames };
  }
  const visit = (list: MustacheToken[], depth: number): void => {
    for (const token of list) {
      const [type, value, start, end, children, closeIndex] = token;
      const nameStart = start + text.slice(start, end).indexOf(value);
      const root = value.split('.')[0] ?? value;
      if (type === 'name' || type === '&' || type === '#' || type === '^') usedNames.add(root);
      if (type === 'name' || type === '&') {
        if (depth === 0 && value !== '.') freeVariables.push({ name: root, start: nameStart, end: nameStart + root.length, path: value.split('.').slice(1) });
      } else if (type === '#' || type === '^') {
        if (depth === 0) freeVariables.push({ name: root, start: nameStart, end: nameStart + root.length, path: value.split('.').slice(1) });
        sections.push({ name: value, start, end, closeEnd: closeIndex ?? end });
        visit(children ?? [], depth + 1);
      } else if (type === '>') {
        findings.push({ start, end, severity: 'error', code: 'mustache-partial', message: `Partials (\`{{> ${value}}}\`) are not supported: a prompt template cannot load other files.` });
      }
    }
  };
  visit(tokens, 0);
  return { findings, freeVariables, sections, usedNames };
}
