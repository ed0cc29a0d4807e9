import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import packageJson from '../../../package.json';
import { runCliCaptured, type CapturedCliRun } from '../../support/cli';
import { scratchDir } from '../../support/scratchDir';

function cli(args: string[], cwd = process.cwd()): Promise<CapturedCliRun> {
  return runCliCaptured(args, { cwd });
}

describe('chatwright CLI', () => {
  it('prints its version', async () => {
    const result = await cli(['--version']);
    assert.equal(result.code, 0);
    assert.equal(result.stdout.trim(), packageJson.version);
  });

  it('lists its commands in --help', async () => {
    const result = await cli(['--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /validate/);
  });

  it('exits 2 on an unknown command', async () => {
    const result = await cli(['frobnicate']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown command 'frobnicate'/);
  });

  describe('validate', () => {
    const dir = scratchDir('cli');
    // Ten distinct rows: fewer draws the dataset validator's "too few rows" warning.
    writeFileSync(join(dir, 'clean.jsonl'), Array.from({ length: 10 }, (_, i) => `{"text": "hello ${i}"}\n`).join(''));
    writeFileSync(join(dir, 'broken.jsonl'), '{"text": "hello"}\n{"text": }\n');

    it('exits 0 on a clean file', async () => {
      const result = await cli(['validate', 'clean.jsonl'], dir);
      assert.equal(result.code, 0);
      assert.equal(result.stdout, '');
    });

    it('prints file:line:col findings and exits 1', async () => {
      const result = await cli(['validate', 'broken.jsonl'], dir);
      assert.equal(result.code, 1);
      assert.match(result.stdout, /^broken\.jsonl:2:10: error invalid-json /m);
    });

    it('prints JSON with --json', async () => {
      const result = await cli(['validate', '--json', 'broken.jsonl'], dir);
      const parsed = JSON.parse(result.stdout) as { findings: { line: number }[] };
      assert.equal(parsed.findings[0]?.line, 2);
    });

    it('exits 2 when a file cannot be read', async () => {
      const result = await cli(['validate', 'missing.jsonl'], dir);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /missing\.jsonl: cannot read/);
    });

    it('exits 2 with usage help on no files', async () => {
      const result = await cli(['validate'], dir);
      assert.equal(result.code, 2);
    });
  });

  describe('validate: file names that would break file:line:col lines', () => {
    it('escapes a newline and a backslash in the file name in findings, summaries and read errors', async () => {
      const dir = scratchDir('cli-names');
      try {
        writeFileSync(join(dir, 'two\nlines\\x.jsonl'), '{"text": "hello"}\n{"text": }\n');
        const result = await cli(['validate', 'two\nlines\\x.jsonl', 'gone\n.jsonl'], dir);
        assert.equal(result.code, 2);
        assert.match(result.stdout, /^two\\nlines\\\\x\.jsonl:2:10: error invalid-json /m);
        assert.ok(
          result.stdout
            .split('\n')
            .filter(Boolean)
            .every((line) => line.startsWith('two\\nlines')),
          result.stdout,
        );
        assert.match(result.stderr, /^two\\nlines\\\\x\.jsonl: \d+ lines/m);
        assert.match(result.stderr, /^gone\\n\.jsonl: cannot read: ENOENT[^\n]*gone\\n\.jsonl'$/m);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('escapes the name of a prompt template in validate and render lines', async () => {
      const dir = scratchDir('cli-names');
      try {
        writeFileSync(join(dir, 'a\nb.prompty'), '---\ninputs:\n  q: {type: string}\n---\nuser:\n{{ q | shout }}\n');
        const validated = await cli(['validate', 'a\nb.prompty'], dir);
        assert.match(validated.stdout, /^a\\nb\.prompty:6:\d+: error jinja-unknown-filter /m);
        assert.match(validated.stderr, /^a\\nb\.prompty: prompt template/m);
        const rendered = await cli(['render', 'gone\n.prompty'], dir);
        assert.equal(rendered.code, 2);
        assert.match(rendered.stderr, /^gone\\n\.prompty: cannot read: [^\n]*gone\\n\.prompty does not exist\.$/m);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it(
      'says a file name is not valid UTF-8 instead of "no such file"',
      { skip: process.platform === 'win32' || process.platform === 'darwin' ? 'this file system takes only valid names' : false },
      async () => {
        const dir = scratchDir('cli-names');
        try {
          writeFileSync(Buffer.concat([Buffer.from(`${dir}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('.jsonl')]), '{"text": "hello"}\n');
          // The shell passes the bytes; Node decodes argv as UTF-8 with U+FFFD, as here.
          const result = await cli(['validate', 'bad-\ufffd\ufffd.jsonl'], dir);
          assert.equal(result.code, 2);
          assert.match(result.stderr, /bad-\ufffd\ufffd\.jsonl: cannot read: the file name is not valid UTF-8/);
          assert.doesNotMatch(result.stderr, /ENOENT/);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  });
});
