import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzePrompty } from '../../../src/core/prompts/promptyDiagnostics';
import { completePrompty, definitionPrompty, foldingPrompty, hoverPrompty, symbolsPrompty } from '../../../src/core/prompts/promptyLanguageFeatures';
import { fixtures, positionOf } from '../../support/promptFixtures';

const file = join(fixtures, 'support.prompty');
const text = readFileSync(file, 'utf8');
const context = { templatePath: file, workspaceRoots: [fixtures], checkModelCache: false };
const environment = { modelIds: ['Qwen/Qwen3-0.6B', 'HuggingFaceTB/SmolLM2-135M-Instruct'], templatePath: file, workspaceRoots: [fixtures] };

function at(source: string, needle: string, shift = 0) {
  const position = positionOf(source, needle);
  return { line: position.line, character: position.character + shift };
}

function labels(source: string, position: { line: number; character: number }): string[] {
  return completePrompty(analyzePrompty(source, context), position, environment).map((item) => item.label);
}

describe('completion', () => {
  it('offers top-level front-matter keys not yet written', () => {
    const source = text.replace('model:\n', 'mo\nmodel:\n');
    const items = labels(source, at(source, 'mo\n', 2));
    assert.ok(items.includes('outputs') && items.includes('retrieval') && items.includes('template'));
    assert.ok(!items.includes('name') && !items.includes('examples'), 'keys already present are not offered');
  });
  it('offers nested keys from the schema (model.parameters)', () => {
    const source = text.replace('    max_tokens: 256\n', '    max_tokens: 256\n    \n');
    const items = labels(source, { line: at(source, 'max_tokens').line + 1, character: 4 });
    assert.ok(items.includes('top_p') && items.includes('frequency_penalty'));
    assert.ok(!items.includes('temperature'));
  });
  it('offers enum values (examples.strategy)', () => {
    assert.deepEqual(labels(text, at(text, 'strategy: ', 10)), ['first', 'random', 'similar']);
  });
  it('offers cached model ids for model.id', () => {
    const source = text.replace('  api: chat\n', '  api: chat\n  id: \n');
    assert.deepEqual(labels(source, at(source, '  id: ', 6)), environment.modelIds);
  });
  it('offers examples files for examples.file', () => {
    assert.ok(labels(text, at(text, 'file: ', 6)).includes('support.examples.jsonl'));
  });
  it('offers declared inputs and loop variables inside {{ }}', () => {
    const source = text.replace('- plan: {{ plan | upper }}', '- plan: {{  }}');
    const items = labels(source, at(source, '{{  }}', 3));
    assert.ok(items.includes('question') && items.includes('product') && items.includes('plan') && items.includes('loop'));
  });
  it("offers a sample value's attributes after a dot", () => {
    const source = text.replace('{{ product.name }}', '{{ product. }}');
    assert.deepEqual(labels(source, at(source, 'product. ', 8)), ['name', 'plans']);
  });
  it('offers filters after a pipe', () => {
    const items = labels(text, at(text, '| upper', 2));
    assert.ok(items.includes('upper') && items.includes('default') && items.includes('tojson'));
  });
  it('offers role markers at the start of a body line', () => {
    const source = `${text}\nas`;
    assert.ok(labels(source, { line: source.split('\n').length - 1, character: 2 }).includes('assistant:'));
  });
});

describe('hover, definition, symbols, folding', () => {
  const analysis = analyzePrompty(text, context);
  it('documents a front-matter key from the schema', () => {
    const hover = hoverPrompty(analysis, at(text, 'temperature', 2))!;
    assert.match(hover.markdown, /model\.parameters\.temperature/);
    assert.match(hover.markdown, /0–2/);
  });
  it("shows a variable's declaration and sample value", () => {
    const hover = hoverPrompty(analysis, at(text, '{{ question }}', 4))!;
    assert.match(hover.markdown, /question.*string/);
    assert.match(hover.markdown, /How do I reset my password\?/);
  });
  it('goes from a variable to its declared input', () => {
    const target = definitionPrompty(analysis, at(text, '{{ question }}', 4), context)!;
    assert.ok('range' in target && !('path' in target));
    assert.deepEqual(target.range.start, at(text, 'question:\n    type'));
  });
  it('goes from the examples path to the file', () => {
    const target = definitionPrompty(analysis, at(text, 'support.examples', 3), context)!;
    assert.ok('path' in target);
    assert.equal(target.path, join(fixtures, 'support.examples.jsonl'));
  });
  it('lists the front matter and the role sections as symbols', () => {
    assert.deepEqual(
      symbolsPrompty(analysis).map((symbol) => symbol.name),
      ['Support Assistant', 'system:', 'user:'],
    );
  });
  it('folds the front matter, role sections and multi-line blocks', () => {
    const ranges = foldingPrompty(analysis);
    const system = at(text, 'system:').line;
    assert.ok(ranges.some((range) => range.startLine === 0 && range.kind === 'region'));
    assert.ok(ranges.some((range) => range.startLine === system));
    assert.ok(ranges.some((range) => range.startLine === at(text, '{% for').line && range.endLine === at(text, '{% endfor').line));
  });
});
