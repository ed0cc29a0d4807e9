import { isMap, isScalar, isSeq, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { editDistance } from '../text/editDistance';
import { TextPositions } from '../text/lineIndex';
import { type OffsetFinding } from './promptFinding';

export type TemplateFormat = 'jinja2' | 'mustache';

/** A role line of the body: `system:`, `# user:`, `assistant[name=bot]:`, … on a line of its own. */
export interface RoleLine {
  role: string;
  /** Offsets in the whole document: the line, and the role word. */
  lineStart: number;
  lineEnd: number;
  roleStart: number;
  roleEnd: number;
  known: boolean;
}

/**
 * A `.prompty` file split into its parts, with offsets into the original text: the YAML front matter between `---`
 * lines (parsed with `yaml`, which keeps node ranges) and the template body after it.
 */
export interface PromptyDocument {
  text: string;
  positions: TextPositions;
  /** Undefined when the file has no front matter at all. */
  frontMatter?: {
    /** Offsets of the YAML text (between the `---` lines). */
    start: number;
    end: number;
    yaml: Document.Parsed;
    /** The YAML as plain data (undefined when it does not parse to an object). */
    data: Record<string, unknown> | undefined;
  };
  /** Set when the file opens with `---` but never closes it. */
  unclosedFrontMatter: boolean;
  bodyStart: number;
  body: string;
  format: TemplateFormat;
  roleLines: RoleLine[];
  /** Problems found while splitting and parsing the YAML. */
  findings: OffsetFinding[];
}

/** Roles Prompty's parser splits on, and the ones chat templates accept besides. */
export const knownRoles = ['system', 'user', 'assistant', 'developer', 'tool', 'function'] as const;

/** Words used as roles by other formats or by mistake: a line made of one of them is almost surely a wrong role. */
const likelyRoleMistakes = new Set([
  'bot',
  'human',
  'ai',
  'gpt',
  'model',
  'chatbot',
  'agent',
  'observation',
  'function_call',
  'ipython',
  'sys',
  'usr',
  'assistent',
  'asistant',
  'sytem',
  'systen',
  'uesr',
  'developper',
  'tools',
]);

const roleLinePattern = /^[ \t]*#?[ \t]*([A-Za-z_][\w-]*)(\[[^\]\n]*\])?[ \t]*:[ \t]*$/;

export function parsePromptyDocument(text: string): PromptyDocument {
  const positions = new TextPositions(text);
  const findings: OffsetFinding[] = [];
  let bodyStart = 0;
  let frontMatter: PromptyDocument['frontMatter'];
  let unclosedFrontMatter = false;

  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const opening = /^[ \t]*---[ \t]*(\r?\n|\r|$)/.exec(text.slice(bom));
  if (opening) {
    const yamlStart = bom + opening[0].length;
    const closing = /^---[ \t]*$/m;
    const rest = text.slice(yamlStart);
    const match = closing.exec(rest);
    if (!match) {
      unclosedFrontMatter = true;
      findings.push({
        start: bom,
        end: bom + 3,
        severity: 'error',
        code: 'unclosed-front-matter',
        message: 'The front matter opened here is never closed: add a line `---` after the YAML, before the template.',
      });
      bodyStart = text.length;
    } else {
      const yamlEnd = yamlStart + match.index;
      const yamlText = text.slice(yamlStart, yamlEnd);
      // logLevel 'error': the library's own warnings (e.g. a mapping used as a key) would go to the process's console
      // (the language server's output) through process.emitWarning; the ones that matter are findings below.
      const yaml = parseDocument(yamlText, { prettyErrors: false, uniqueKeys: true, strict: false, logLevel: 'error' });
      for (const error of [...yaml.errors, ...yaml.warnings]) {
        const [from, to] = error.pos;
        findings.push({
          start: yamlStart + from,
          end: yamlStart + Math.max(from + 1, Math.min(to, yamlText.length)),
          severity: yaml.errors.includes(error) ? 'error' : 'warning',
          code: error.code === 'DUPLICATE_KEY' ? 'yaml-duplicate-key' : 'yaml-syntax',
          message: `YAML: ${firstLine(error.message)}`,
        });
      }
      let data: Record<string, unknown> | undefined;
      try {
        const value: unknown = yaml.toJS({ maxAliasCount: 100 });
        data = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
        if (value !== null && value !== undefined && data === undefined && yaml.errors.length === 0) {
          findings.push({
            start: yamlStart,
            end: yamlEnd,
            severity: 'error',
            code: 'front-matter-not-mapping',
            message: 'The front matter must be a YAML mapping of keys (`name:`, `model:`, `inputs:`, …).',
          });
        }
      } catch (error) {
        findings.push({ start: yamlStart, end: yamlEnd, severity: 'error', code: 'yaml-syntax', message: `YAML: ${error instanceof Error ? error.message : String(error)}` });
      }
      frontMatter = { start: yamlStart, end: yamlEnd, yaml, data };
      const closeLineEnd = yamlStart + match.index + match[0].length;
      bodyStart = skipLineBreak(text, closeLineEnd);
    }
  }
  const body = text.slice(bodyStart);
  const format = templateFormatOf(frontMatter?.data);
  return { text, positions, ...(frontMatter !== undefined ? { frontMatter } : {}), unclosedFrontMatter, bodyStart, body, format, roleLines: findRoleLines(text, bodyStart), findings };
}

function skipLineBreak(text: string, offset: number): number {
  if (text.startsWith('\r\n', offset)) return offset + 2;
  if (text[offset] === '\n' || text[offset] === '\r') return offset + 1;
  return offset;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/** `template: mustache` (v1) or `template.format.kind: mustache` (v2) selects Mustache; anything else is Jinja2. */
export function templateFormatOf(data: Record<string, unknown> | undefined): TemplateFormat {
  const template = data?.template;
  const name = typeof template === 'string' ? template : (template as { format?: unknown } | undefined)?.format;
  const kind = typeof name === 'string' ? name : (name as { kind?: unknown } | undefined)?.kind;
  return typeof kind === 'string' && /^(mustache|handlebars)$/i.test(kind) ? 'mustache' : 'jinja2';
}

/** Role lines of the body, known or not. Lines inside Jinja tags are skipped by the caller's analysis. */
export function findRoleLines(text: string, bodyStart: number): RoleLine[] {
  const lines: RoleLine[] = [];
  const pattern = /[^\r\n]*/g;
  pattern.lastIndex = bodyStart;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text))) {
    const line = match[0];
    const lineStart = match.index;
    const role = roleLinePattern.exec(line);
    if (role) {
      const word = role[1]!;
      const roleStart = lineStart + line.indexOf(word);
      lines.push({
        role: word.toLowerCase(),
        lineStart,
        lineEnd: lineStart + line.length,
        roleStart,
        roleEnd: roleStart + word.length,
        known: (knownRoles as readonly string[]).includes(word.toLowerCase()),
      });
    }
    pattern.lastIndex = lineStart + line.length + 1;
    if (text[lineStart + line.length] === '\r' && text[lineStart + line.length + 1] === '\n') pattern.lastIndex++;
    if (lineStart + line.length >= text.length) break;
  }
  return lines;
}

/** Whether an unknown role word looks like a mistaken role rather than a label such as `example:` or `output:`. */
export function looksLikeMistakenRole(word: string): boolean {
  if (likelyRoleMistakes.has(word)) return true;
  return knownRoles.some((role) => word.length >= 4 && word !== role && editDistance(word, role) <= 1);
}

/** The YAML node at a path of keys/indices, or undefined. */
export function yamlNodeAt(document: Document.Parsed, path: readonly (string | number)[]): YamlNode | undefined {
  let node: unknown = document.contents;
  for (const key of path) {
    if (isMap(node)) node = node.items.find((pair) => isScalar(pair.key) && pair.key.value === key)?.value;
    else if (isSeq(node) && typeof key === 'number') node = node.items[key];
    else return undefined;
  }
  return (node ?? undefined) as YamlNode | undefined;
}
