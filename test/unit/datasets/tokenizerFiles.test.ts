import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultTokenizerPath } from '../../../src/core/datasets/tokenizer';
import { runCliCaptured } from '../../support/cli';
import { scratchDir } from '../../support/scratchDir';

/** Before the files were checked, a pipe hung the CLI forever: each test must end well within this. */
const fast = { timeout: 30_000 };

const fixtures = join(__dirname, '..', '..', 'fixtures', 'datasets');
const scratch = scratchDir('tokenizer-files');
let folders = 0;

/** A tokenizer folder: Qwen3's tokenizer.json and a small tokenizer_config.json, changed by `tamper`. */
function tokenizerFolder(tamper: (folder: string) => void): string {
  const folder = join(scratch, String(folders++));
  mkdirSync(folder);
  copyFileSync(defaultTokenizerPath()!, join(folder, 'tokenizer.json'));
  writeFileSync(join(folder, 'tokenizer_config.json'), JSON.stringify({ eos_token: '<|im_end|>' }));
  tamper(folder);
  return folder;
}

function validateWith(tokenizer: string) {
  return runCliCaptured(['validate', '--tokenizer', tokenizer, '--threads', '1', 'bom.jsonl'], { cwd: fixtures });
}

describe('chatwright validate --tokenizer <folder>: files that are not what they claim', () => {
  it('refuses a tokenizer.json that is a named pipe instead of waiting for a writer', fast, async () => {
    const folder = tokenizerFolder((dir) => {
      rmSync(join(dir, 'tokenizer.json'));
      execFileSync('mkfifo', [join(dir, 'tokenizer.json')]);
    });
    const result = await validateWith(folder);
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`Cannot load the tokenizer .*${join(folder, 'tokenizer.json')} is a named pipe, not a regular file`));
  });

  it('refuses a tokenizer.json linked to /dev/zero without reading it', fast, async () => {
    const folder = tokenizerFolder((dir) => {
      rmSync(join(dir, 'tokenizer.json'));
      symlinkSync('/dev/zero', join(dir, 'tokenizer.json'));
    });
    const result = await validateWith(folder);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /tokenizer\.json is a device, not a regular file/);
  });

  it('refuses an oversized tokenizer_config.json, naming its size and the limit', fast, async () => {
    // Sparse: 33 MiB on paper; refused from its size before any byte is read.
    const folder = tokenizerFolder((dir) => truncateSync(join(dir, 'tokenizer_config.json'), 33 << 20));
    const result = await validateWith(folder);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /tokenizer_config\.json is 33 MiB, over the limit of 32 MiB/);
  });

  it('refuses a tokenizer_config.json that is a named pipe', fast, async () => {
    const folder = tokenizerFolder((dir) => {
      rmSync(join(dir, 'tokenizer_config.json'));
      execFileSync('mkfifo', [join(dir, 'tokenizer_config.json')]);
    });
    const result = await validateWith(folder);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /tokenizer_config\.json is a named pipe/);
  });

  it('counts tokens with a sound folder, and without a tokenizer_config.json', fast, async () => {
    assert.equal((await validateWith(tokenizerFolder(() => undefined))).code, 0);
    assert.equal((await validateWith(tokenizerFolder((dir) => rmSync(join(dir, 'tokenizer_config.json'))))).code, 0);
  });
});

describe('chatwright render: files named on the command line', () => {
  it('refuses --inputs that is a named pipe', fast, async () => {
    const folder = join(scratch, String(folders++));
    mkdirSync(folder);
    writeFileSync(join(folder, 't.prompty'), '---\ninputs:\n  name: {}\n---\nuser:\nHello {{name}}\n');
    execFileSync('mkfifo', [join(folder, 'inputs.json')]);
    const result = await runCliCaptured(['render', 't.prompty', '--inputs', 'inputs.json'], { cwd: folder });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /inputs\.json is a named pipe, not a regular file/);
  });

  it('refuses a template that is a named pipe', fast, async () => {
    const folder = join(scratch, String(folders++));
    mkdirSync(folder);
    execFileSync('mkfifo', [join(folder, 'pipe.prompty')]);
    const result = await runCliCaptured(['render', 'pipe.prompty'], { cwd: folder });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /pipe\.prompty is a named pipe, not a regular file/);
  });
});
