import { isMap, isScalar, isSeq, type Node as YamlNode } from 'yaml';
import { resolveLocalModel } from '../hub/cacheLocation';
import { readExamplesText } from './examplesFile';
import { validateFrontMatter } from './frontMatterSchema';
import { suggest } from '../text/suggest';
import { analyzeJinja, type JinjaAnalysis } from './jinjaAnalysis';
import { type VariableUse } from './jinjaAst';
import { analyzeMustache, type MustacheAnalysis } from './mustacheAnalysis';
import { type OffsetFinding, type PromptFinding } from './promptFinding';
import { knownRoles, looksLikeMistakenRole, parsePromptyDocument, yamlNodeAt, type PromptyDocument } from './promptyDocument';
import { declaredInputs, parseReference, type DeclaredInput } from './promptyInputs';
import { envPlaceholder, examplesSettings, looksLikeHubId, modelIdEnvName, modelIdOf } from './promptySettings';
import { readWorkspaceFile, resolveInsideWorkspace } from './workspaceFiles';

/** What other chat formats call the roles Prompty knows. */
const roleAliases: Record<string, string> = {
  bot: 'assistant',
  ai: 'assistant',
  gpt: 'assistant',
  model: 'assistant',
  chatbot: 'assistant',
  agent: 'assistant',
  human: 'user',
  usr: 'user',
  sys: 'system',
  observation: 'tool',
  function_call: 'assistant',
  ipython: 'tool',
  tools: 'tool',
};

export interface PromptyContext {
  /** Absolute path of the template (for `${file:…}` and examples); undefined for unsaved documents. */
  templatePath?: string;
  workspaceRoots: string[];
  env?: NodeJS.ProcessEnv;
  /** Whether to look models up in the local Hugging Face cache (off in tests that must not see the machine's cache). */
  checkModelCache?: boolean;
}

/** Everything the language features need about one version of a template, computed once. */
export interface PromptyAnalysis {
  document: PromptyDocument;
  jinja?: JinjaAnalysis;
  mustache?: MustacheAnalysis;
  inputs: DeclaredInput[];
  /** Free variables of the body, in document offsets. */
  variables: VariableUse[];
  findings: PromptFinding[];
  /** Files the template reads (examples, `${file:…}`), resolved: a change to one of them changes the findings. */
  referencedFiles: string[];
}

export function analyzePrompty(text: string, context: PromptyContext): PromptyAnalysis {
  const document = parsePromptyDocument(text);
  const found: OffsetFinding[] = [...document.findings];
  const yaml = document.frontMatter?.yaml;
  const yamlOffset = document.frontMatter?.start ?? 0;
  const data = document.frontMatter?.data;
  if (yaml && yaml.errors.length === 0) for (const finding of validateFrontMatter(yaml, yamlOffset)) found.push(finding);

  const { inputs, problems } = declaredInputs(data, yaml, context.templatePath, context.workspaceRoots);
  for (const problem of problems) found.push({ start: yamlOffset + problem.range[0], end: yamlOffset + problem.range[1], severity: 'error', code: 'sample-file', message: problem.message });

  let jinja: JinjaAnalysis | undefined;
  let mustache: MustacheAnalysis | undefined;
  let variables: VariableUse[] = [];
  let usedNames: Set<string>;
  const shift = (finding: OffsetFinding): OffsetFinding => ({ ...finding, start: finding.start + document.bodyStart, end: finding.end + document.bodyStart });
  if (document.format === 'mustache') {
    mustache = analyzeMustache(document.body);
    for (const finding of mustache.findings) found.push(shift(finding));
    variables = mustache.freeVariables.map((use) => ({ ...use, start: use.start + document.bodyStart, end: use.end + document.bodyStart }));
    usedNames = mustache.usedNames;
  } else {
    jinja = analyzeJinja(document.body);
    for (const finding of jinja.findings) found.push(shift(finding));
    variables = jinja.freeVariables.map((use) => ({ ...use, start: use.start + document.bodyStart, end: use.end + document.bodyStart }));
    usedNames = new Set(variables.map((use) => use.name));
  }

  // After a syntax error, the findings that depend on the broken part are only its consequences: a front matter
  // that does not parse leaves the inputs (and maybe the template format) unknown, a body that does not parse leaves
  // which inputs it uses unknown. Those checks are skipped, as linters do; the independent ones still run.
  const frontMatterBroken = document.findings.some((finding) => finding.severity === 'error');
  const bodyBroken = found.some((finding) => finding.start >= document.bodyStart && bodyBreakingCodes.has(finding.code));
  if (frontMatterBroken && formatMayBeMustache(document)) {
    // Analysed as Jinja only because the `template:` key was lost: its Jinja syntax errors may be wrong guesses.
    for (let i = found.length - 1; i >= 0; i--) if (found[i]!.start >= document.bodyStart && found[i]!.code.startsWith('jinja-')) found.splice(i, 1);
  }

  // Variables the template reads that nothing declares: Jinja renders them empty, which is rarely what was meant.
  const declared = new Set(inputs.map((input) => input.name));
  if (!frontMatterBroken && (data !== undefined || inputs.length > 0)) {
    const reported = new Set<string>();
    for (const use of variables) {
      if (declared.has(use.name)) continue;
      const first = !reported.has(use.name);
      reported.add(use.name);
      const fix = declareInputFix(document, use.name);
      found.push({
        start: use.start,
        end: use.end,
        severity: 'warning',
        code: 'undeclared-variable',
        ...(fix !== undefined ? { fix } : {}),
        message: `\`${use.name}\` is not declared in \`inputs\` or \`sample\`, so it renders empty unless the caller passes it.${first && declared.size > 0 ? ` Declared: ${suggest(use.name, [...declared])}.` : ''}`,
      });
    }
  }
  const tagRanges = jinja?.tags.map((tag) => [tag.start + document.bodyStart, tag.end + document.bodyStart] as const) ?? [];
  for (const name of inputsBoundByTools(data)) usedNames.add(name);
  for (const input of frontMatterBroken || bodyBroken ? [] : inputs) {
    if (usedNames.has(input.name) || !input.keyRange || input.source !== 'inputs') continue;
    found.push({
      start: yamlOffset + input.keyRange[0],
      end: yamlOffset + input.keyRange[1],
      severity: 'warning',
      code: 'unused-input',
      message: `Input \`${input.name}\` is declared but the template never uses it.`,
    });
  }

  // Role lines: a word such as `bot:` alone on a line is a role Prompty does not know, so its text joins the previous message.
  for (const line of document.roleLines) {
    if (line.known || tagRanges.some(([start, end]) => line.roleStart >= start && line.roleStart < end)) continue;
    if (!looksLikeMistakenRole(line.role)) continue;
    const replacement = roleAliases[line.role] ?? suggest(line.role, knownRoles).split(',')[0]!.replace(/`/g, '');
    found.push({
      start: line.roleStart,
      end: line.roleEnd,
      severity: 'warning',
      code: 'unknown-role',
      message: `Unknown role \`${line.role}:\`. Prompty splits messages only on ${knownRoles.map((r) => `\`${r}:\``).join(', ')}; this line stays text in the previous message. Did you mean \`${replacement}:\`?`,
      fix: { title: `Change to \`${replacement}:\``, edits: [{ start: line.roleStart, end: line.roleEnd, newText: replacement }] },
    });
  }

  // `# user` without a colon is a Markdown heading to Prompty, not a role line: say so quietly.
  const headingPattern = new RegExp(`^[ \\t]*#[ \\t]*(${knownRoles.join('|')})[ \\t]*$`, 'gim');
  let heading: RegExpExecArray | null;
  while ((heading = headingPattern.exec(document.body))) {
    const start = document.bodyStart + heading.index;
    const role = heading[1]!.toLowerCase();
    const hashAt = start + heading[0].indexOf('#');
    found.push({
      start,
      end: start + heading[0].length,
      severity: 'hint',
      code: 'role-heading-without-colon',
      message: `\`${heading[0].trim()}\` has no colon, so Prompty keeps it as text; write \`${role}:\` to start a ${role} message.`,
      fix: { title: `Change to \`${role}:\``, edits: [{ start: hashAt, end: start + heading[0].trimEnd().length, newText: `${role}:` }] },
    });
  }

  if (yaml && isMap(yaml.contents)) {
    for (const finding of checkFileReferences(yaml.contents, [], yamlOffset, context)) found.push(finding);
    const settings = examplesSettings(data);
    if (settings) {
      const node = yamlNodeAt(yaml, ['examples', 'file']) ?? yamlNodeAt(yaml, ['examples']);
      const range = nodeRange(node, yamlOffset);
      const file = readWorkspaceFile(settings.file, context.templatePath, context.workspaceRoots);
      if ('error' in file) found.push({ ...range, severity: 'error', code: 'examples-file', message: `Examples file: ${file.error}` });
      else {
        const { examples, problems: rowProblems } = readExamplesText(file.text);
        const errors = rowProblems.filter((p) => p.severity === 'error');
        if (rowProblems.length > 0) {
          const shown = rowProblems
            .slice(0, 3)
            .map((p) => `line ${p.line + 1}: ${p.message}`)
            .join('; ');
          found.push({
            ...range,
            severity: errors.length > 0 ? 'error' : 'warning',
            code: 'examples-invalid',
            message: `Examples file has ${rowProblems.length} problem(s): ${shown}${rowProblems.length > 3 ? '; …' : ''} Open it to see them all.`,
          });
        }
        // `k` may have been lost with a broken front matter, so "too few" would compare against a default.
        if (examples.length < settings.k && errors.length === 0 && !frontMatterBroken)
          found.push({ ...range, severity: 'warning', code: 'examples-too-few', message: `\`k\` is ${settings.k} but the examples file has only ${examples.length} usable row(s).` });
      }
    }
    if (context.checkModelCache !== false) {
      const modelId = modelIdOf(data, context.env ?? process.env);
      if (modelId && looksLikeHubId(modelId) && !resolveLocalModel(modelId, context.env ?? process.env)) {
        // A value from the environment may be a secret: the message names the variable instead.
        const envName = modelIdEnvName(data);
        const node = yamlNodeAt(yaml, ['model', 'id']) ?? yamlNodeAt(yaml, ['model', 'configuration', 'model']) ?? yamlNodeAt(yaml, ['model']);
        found.push({
          ...nodeRange(node, yamlOffset),
          severity: 'information',
          code: 'model-not-cached',
          message: `\`${envName ? envPlaceholder(envName) : modelId}\` is not in the local Hugging Face cache: the preview cannot apply its chat template or count its tokens until it is downloaded.`,
        });
      }
    }
  }

  found.sort((a, b) => a.start - b.start || a.end - b.end);
  const findings = found.map((finding) => ({
    range: document.positions.rangeAt(finding.start, finding.end),
    severity: finding.severity,
    code: finding.code,
    message: finding.message,
    ...(finding.fix ? { fix: { title: finding.fix.title, edits: finding.fix.edits.map((edit) => ({ range: document.positions.rangeAt(edit.start, edit.end), newText: edit.newText })) } } : {}),
  }));
  return { document, ...(jinja !== undefined ? { jinja } : {}), ...(mustache !== undefined ? { mustache } : {}), inputs, variables, findings, referencedFiles: referencedFiles(data, context) };
}

/**
 * Body findings after which the body's uses of inputs are unknown: a tag whose inside does not parse, a tag that
 * swallows the rest of the text, a statement that is skipped, another template loaded. (An unclosed or stray block
 * leaves every tag parsed, so the uses are still known.)
 */
const bodyBreakingCodes = new Set(['jinja-syntax', 'jinja-unclosed-tag', 'jinja-unclosed-comment', 'jinja-unknown-statement', 'jinja-unsupported', 'mustache-syntax', 'mustache-partial']);

/** A front matter that does not parse may still have said `template: mustache`: its text is the only witness left. */
function formatMayBeMustache(document: PromptyDocument): boolean {
  const front = document.frontMatter;
  return document.format !== 'mustache' && front !== undefined && /\b(mustache|handlebars)\b/i.test(document.text.slice(front.start, front.end));
}

function nodeRange(node: YamlNode | null | undefined, offset: number): { start: number; end: number } {
  const [start, end] = node?.range ?? [0, 0];
  return { start: offset + start, end: offset + Math.max(start + 1, end) };
}

/** `${file:…}` anywhere in the front matter must name a readable file inside the workspace. */
function checkFileReferences(node: YamlNode | null | undefined, path: string[], offset: number, context: PromptyContext): OffsetFinding[] {
  const findings: OffsetFinding[] = [];
  const visit = (current: unknown, keyPath: string[]): void => {
    if (isScalar(current)) {
      const reference = parseReference(current.value);
      if (reference?.kind === 'file' && keyPath[0] !== 'sample') {
        const resolved = resolveInsideWorkspace(reference.target, context.templatePath, context.workspaceRoots);
        const file = 'error' in resolved ? resolved : readWorkspaceFile(reference.target, context.templatePath, context.workspaceRoots);
        if ('error' in file) findings.push({ ...nodeRange(current, offset), severity: 'error', code: 'file-reference', message: file.error });
      }
      return;
    }
    if (isMap(current)) for (const pair of current.items) visit(pair.value, [...keyPath, isScalar(pair.key) ? String(pair.key.value) : '?']);
    else if (current && typeof current === 'object' && 'items' in current) for (const item of (current as { items: unknown[] }).items) visit(item, keyPath);
  };
  visit(node, path);
  return findings;
}

/** Prompty v2 tools bind inputs to tool arguments (`tools[].bindings.<arg>.input`): those inputs are used. */
function inputsBoundByTools(data: Record<string, unknown> | undefined): string[] {
  const names: string[] = [];
  const tools = Array.isArray(data?.tools) ? (data.tools as unknown[]) : [];
  for (const tool of tools) {
    const bindings = (tool as { bindings?: unknown } | null)?.bindings;
    if (!bindings || typeof bindings !== 'object') continue;
    for (const binding of Object.values(bindings as Record<string, unknown>)) {
      if (typeof binding === 'string') names.push(binding);
      else if (binding && typeof (binding as { input?: unknown }).input === 'string') names.push((binding as { input: string }).input);
    }
  }
  return names;
}

/** The files a template names (examples file, every `${file:…}`), resolved inside the workspace. */
function referencedFiles(data: Record<string, unknown> | undefined, context: PromptyContext): string[] {
  const names: string[] = [];
  const settings = examplesSettings(data);
  if (settings) names.push(settings.file);
  const visit = (value: unknown): void => {
    const reference = parseReference(value);
    if (reference?.kind === 'file') names.push(reference.target);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(data);
  return [
    ...new Set(
      names.flatMap((name) => {
        const resolved = resolveInsideWorkspace(name, context.templatePath, context.workspaceRoots);
        return 'path' in resolved ? [resolved.path] : [];
      }),
    ),
  ];
}

/** "Declare `x` in inputs": adds the variable to `inputs` (v1 map or v2 list), creating the key or the front matter. */
function declareInputFix(document: PromptyDocument, name: string): OffsetFinding['fix'] {
  const title = `Declare \`${name}\` in inputs`;
  const front = document.frontMatter;
  if (!front) {
    if (document.unclosedFrontMatter) return undefined;
    return { title, edits: [{ start: 0, end: 0, newText: `---\ninputs:\n  ${name}:\n    type: string\n---\n` }] };
  }
  const yamlText = document.text.slice(front.start, front.end);
  const inputs = yamlNodeAt(front.yaml, ['inputs']);
  const newline = yamlText.includes('\r\n') ? '\r\n' : '\n';
  if (!inputs || !inputs.range) {
    const end = front.end;
    const prefix = end > front.start && !/\r?\n$/.test(yamlText) ? newline : '';
    return { title, edits: [{ start: end, end, newText: `${prefix}inputs:${newline}  ${name}:${newline}    type: string${newline}` }] };
  }
  if (inputs.range[0] === inputs.range[1] || !(isMap(inputs) || isSeq(inputs))) return undefined;
  // Insert before the first entry, with its indentation (flow style `{…}` is left alone).
  if ((inputs as { flow?: boolean }).flow) return undefined;
  const firstStart = front.start + inputs.range[0];
  const lineStart = document.text.lastIndexOf('\n', firstStart - 1) + 1;
  const indent = document.text.slice(lineStart, firstStart).replace(/-\s*$/, '');
  if (/\S/.test(indent)) return undefined;
  const entry = isSeq(inputs) ? `${indent}- name: ${name}${newline}${indent}  kind: string${newline}` : `${indent}${name}:${newline}${indent}  type: string${newline}`;
  return { title, edits: [{ start: lineStart, end: lineStart, newText: entry }] };
}
