import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createRegistry, type IGrammarConfig } from 'vscode-tmgrammar-test/dist/common/index';
import { parseGrammarTestCase, runGrammarTestCase } from 'vscode-tmgrammar-test/dist/unit/index';
import { realPromptyFiles } from '../../support/promptFixtures';

const root = join(__dirname, '..', '..', '..');
const grammarTests = join(root, 'test', 'grammar');

/**
 * Prompty's grammar, plus VS Code's own YAML grammar for the embedded front matter, taken from the test host's
 * code-server (VS Code 1.100.3), exactly as the editor combines them.
 */
function grammars(): IGrammarConfig[] {
  const list: IGrammarConfig[] = [
    { path: join(root, 'syntaxes', 'prompty.tmLanguage.json'), scopeName: 'source.prompty', language: 'prompty', embeddedLanguages: { 'meta.embedded.block.yaml': 'yaml' } },
  ];
  const yamlFolder = join(root, 'test', 'host', 'node_modules', 'code-server', 'lib', 'vscode', 'extensions', 'yaml', 'syntaxes');
  if (!existsSync(yamlFolder)) throw new Error(`VS Code's YAML grammar is not at ${yamlFolder}: install the test host first (npm run test-host).`);
  for (const file of readdirSync(yamlFolder).filter((name) => name.endsWith('.tmLanguage.json'))) {
    const scopeName = (JSON.parse(readFileSync(join(yamlFolder, file), 'utf8')) as { scopeName: string }).scopeName;
    list.push({ path: join(yamlFolder, file), scopeName });
  }
  return list;
}

describe('prompty TextMate grammar (vscode-tmgrammar-test)', () => {
  const registry = createRegistry(grammars());
  for (const file of readdirSync(grammarTests).filter((name) => name.endsWith('.prompty'))) {
    it(`passes the assertions in test/grammar/${file}`, async () => {
      const testCase = parseGrammarTestCase(readFileSync(join(grammarTests, file), 'utf8'));
      const failures = await runGrammarTestCase(registry, testCase);
      assert.deepEqual(
        failures.map((f) => `line ${f.line + 1}:${f.start}-${f.end}: missing ${f.missing.join(' ')} unexpected ${f.unexpected.join(' ')} (got ${f.actual.join(' ')})`),
        [],
      );
    });
  }

  it('tokenizes every real Prompty file: the front matter closes, role lines and every {{ }} are scoped', async () => {
    const grammar = (await registry.loadGrammar('source.prompty'))!;
    for (const file of realPromptyFiles()) {
      const lines = readFileSync(file, 'utf8').split(/\r?\n/);
      let stack = null as Parameters<typeof grammar.tokenizeLine>[1];
      let closedAt = -1;
      lines.forEach((line, index) => {
        const { tokens, ruleStack } = grammar.tokenizeLine(line, stack);
        stack = ruleStack;
        const scopesAt = (column: number): string[] => tokens.find((t) => t.startIndex <= column && column < t.endIndex)?.scopes ?? [];
        if (index > 0 && closedAt < 0 && /^---\s*$/.test(line)) {
          closedAt = index;
          assert.ok(scopesAt(0).includes('punctuation.definition.front-matter.end.prompty'), `${file}:${index + 1} closes the front matter`);
          return;
        }
        if (closedAt < 0) {
          if (index > 0 && line.length > 0) assert.ok(scopesAt(0).includes('meta.embedded.block.yaml'), `${file}:${index + 1} is YAML`);
          return;
        }
        if (line.length > 0) assert.ok(!scopesAt(0).includes('meta.embedded.block.yaml'), `${file}:${index + 1} is body, not YAML`);
        if (/^\s*(system|user|assistant):\s*$/.test(line)) assert.ok(scopesAt(line.indexOf(line.trim()[0]!)).includes('entity.name.tag.role.prompty'), `${file}:${index + 1} role`);
        for (const match of line.matchAll(/\{\{/g))
          assert.ok(
            scopesAt(match.index + 2).some((s) => s === 'meta.expression.jinja'),
            `${file}:${index + 1}:${match.index + 1} expression`,
          );
      });
      assert.ok(closedAt > 0, `${file} has a closed front matter`);
      assert.ok(stack!.depth <= 2, `${file}: no rule is left open at the end (depth ${stack!.depth})`);
    }
  });
});
