import { suggest } from '../text/suggest';
import { effectsOf, freeVariableUses, opensSetBlock, parseTag, type FilterUse, type VariableUse } from './jinjaAst';
import { JinjaBlockChecker } from './jinjaBlocks';
import { scanJinjaTags, type JinjaTag } from './jinjaTags';
import { type OffsetFinding } from './promptFinding';

/**
 * Static analysis of a Jinja2 template with source positions, in three steps: the scanner finds the tags with their
 * offsets (`jinjaTags.ts`), the block checker follows the block structure and the scopes it opens (`jinjaBlocks.ts`),
 * and the AST walker reads the inside of each tag through @huggingface/jinja (`jinjaAst.ts`).
 */

export interface JinjaAnalysis {
  tags: JinjaTag[];
  findings: OffsetFinding[];
  /** Uses of variables that the template does not bind itself (they must come from the inputs). */
  freeVariables: VariableUse[];
  /** Every filter used, with its position. */
  filters: FilterUse[];
  /** Block statements with their closing tag, for folding and symbols. */
  blocks: { keyword: string; start: number; end: number }[];
  /** Names the template binds (loop variables, `set`, macros): completion offers them where they are in scope. */
  scopes: { names: string[]; start: number; end: number }[];
}

/** Jinja2's built-in filters. A filter outside this list is a typo or needs an extension. */
export const jinjaBuiltinFilters = [
  'abs',
  'attr',
  'batch',
  'capitalize',
  'center',
  'count',
  'd',
  'default',
  'dictsort',
  'e',
  'escape',
  'filesizeformat',
  'first',
  'float',
  'forceescape',
  'format',
  'groupby',
  'indent',
  'int',
  'items',
  'join',
  'last',
  'length',
  'list',
  'lower',
  'map',
  'max',
  'min',
  'pprint',
  'random',
  'reject',
  'rejectattr',
  'replace',
  'reverse',
  'round',
  'safe',
  'select',
  'selectattr',
  'slice',
  'sort',
  'string',
  'striptags',
  'sum',
  'title',
  'tojson',
  'trim',
  'truncate',
  'unique',
  'upper',
  'urlencode',
  'urlize',
  'wordcount',
  'wordwrap',
  'xmlattr',
];
const knownFilters = new Set(jinjaBuiltinFilters);

/** Full analysis: tags, block structure, per-tag syntax, filters, and the variables the inputs must supply. */
export function analyzeJinja(text: string): JinjaAnalysis {
  const { tags, findings } = scanJinjaTags(text);
  const freeVariables: VariableUse[] = [];
  const filters: FilterUse[] = [];
  const checker = new JinjaBlockChecker(findings);
  let inRaw = false;

  for (const tag of tags) {
    if (tag.kind === 'comment') continue;
    if (tag.keyword === 'raw') {
      inRaw = true;
      continue;
    }
    if (tag.keyword === 'endraw') {
      inRaw = false;
      continue;
    }
    if (inRaw) continue;
    if (tag.kind === 'statement' && !checker.checkStatement(tag)) continue;
    const { node, error } = parseTag(tag, text);
    const effects = effectsOf(tag, node, filters);
    if (error) {
      findings.push({ start: tag.start, end: tag.end, severity: 'error', code: 'jinja-syntax', message: `Jinja syntax error: ${error}` });
      checker.bindBrokenStatement(tag, effects.binds, effects.innerBinds);
    }
    freeVariableUses(text, tag, effects, filters, (name) => checker.isBound(name), freeVariables);
    checker.enter(tag, effects.binds, effects.innerBinds, opensSetBlock(tag, node));
  }
  checker.finish(text.length);

  for (const filter of filters) {
    if (!knownFilters.has(filter.name) && !checker.bindsGlobally(filter.name)) {
      findings.push({
        start: filter.start,
        end: filter.end,
        severity: 'error',
        code: 'jinja-unknown-filter',
        message: `Unknown filter \`${filter.name}\`. Jinja's filters include ${suggest(filter.name, jinjaBuiltinFilters)}.`,
      });
    }
  }
  return { tags, findings, freeVariables, filters, blocks: checker.blocks, scopes: checker.scopes };
}
