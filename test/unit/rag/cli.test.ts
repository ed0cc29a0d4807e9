import assert from 'node:assert/strict';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateEncoderModel } from '../../support/modelGenerator';
import { runCliCaptured, type CapturedCliRun } from '../../support/cli';
import { scratchDir } from '../../support/scratchDir';

function cli(args: string[], cwd: string): Promise<CapturedCliRun> {
  return runCliCaptured(args, { cwd, env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' } });
}

describe('chatwright index / search', () => {
  const dir = scratchDir('cli-rag');
  const docs = join(dir, 'docs');
  cpSync(join(__dirname, '../../fixtures/rag'), docs, { recursive: true });

  it('indexes a folder lexically, reporting progress and the approximation on stderr', async () => {
    const result = await cli(['index', 'docs'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /7 scanned, 7 indexed/);
    assert.match(result.stderr, /no embedding model: chunk budgets use the approximate/);
    assert.match(result.stderr, /lexical \(BM25\) only/);
  });

  it('searches the default index and prints file:lines, score and heading path', async () => {
    const result = await cli(['search', '--db', 'docs/.chatwright/index.db', 'lens', 'cloth', '-k', '2'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^1\. manual\.rst:7-16 {2}score \d+\.\d{4}\n {2}§ Lighthouse Manual › Lamp maintenance\n/);
    assert.match(result.stderr, /bm25.*lexical search only/);
  });

  it('cites PDF pages and prints JSON', async () => {
    const result = await cli(['search', '--db', 'docs/.chatwright/index.db', 'harbour master', '--json', '--path', '*.pdf'], dir);
    const parsed = JSON.parse(result.stdout) as { hits: { path: string; page?: number }[] };
    assert.deepEqual(
      parsed.hits.map((hit) => [hit.path, hit.page]),
      [['guide.pdf', 2]],
    );
  });

  it('re-running only touches changed files', async () => {
    writeFileSync(join(docs, 'notes.txt'), 'A new paragraph about buoys.\n');
    const result = await cli(['index', 'docs'], dir);
    assert.match(result.stdout, /7 scanned, 1 indexed, 6 unchanged/);
    const found = await cli(['search', '--db', 'docs/.chatwright/index.db', 'buoys', '--mode', 'bm25'], dir);
    assert.match(found.stdout, /notes\.txt:1-1/);
  });

  it('builds vectors with an embedding model and searches hybrid with the same model', async () => {
    const model = join(dir, 'model');
    generateEncoderModel(model, { hiddenSize: 32, layers: 1, heads: 2 });
    const built = await cli(['index', 'docs', '--db', 'vec.db', '--embedding-model', model], dir);
    assert.equal(built.code, 0, built.stderr);
    assert.match(built.stdout, /(\d+) chunks, \1 with vectors/);
    const result = await cli(['search', '--db', 'vec.db', 'ferry vehicles', '--json'], dir);
    const parsed = JSON.parse(result.stdout) as { mode: string; hits: { vector?: unknown }[] };
    assert.equal(parsed.mode, 'hybrid');
    assert.ok(parsed.hits.some((hit) => hit.vector));
  });

  it('fails clearly on a missing index, a bad mode, or a missing folder', async () => {
    const missing = await cli(['search', 'x', '--db', 'nope.db'], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no index at .*nope\.db\. Build one with: chatwright index/);
    assert.equal((await cli(['search', 'x', '--mode', 'fuzzy'], dir)).code, 2);
    const noFolder = await cli(['index', 'nowhere'], dir);
    assert.equal(noFolder.code, 2);
    assert.match(noFolder.stderr, /nowhere is not a folder/);
    const badModel = await cli(['index', 'docs', '--db', 'x.db', '--embedding-model', join(dir, 'no-model')], dir);
    assert.equal(badModel.code, 2);
    assert.match(badModel.stderr, /cannot load the embedding model/);
  });

  it('goes on past hostile files and prints each one with its reason', async () => {
    const hostile = scratchDir('cli-hostile');
    try {
      writeFileSync(join(hostile, 'good.md'), '# Harbour\n\nThe ferry leaves at noon.\n');
      writeFileSync(join(hostile, 'binary.md'), Buffer.from([0x23, 0x00, 0xff, 0x01]));
      writeFileSync(join(hostile, 'paragraphs.txt'), 'x\n\n'.repeat(650_000));
      const result = await cli(['index', hostile, '--max-tokens', '16', '--overlap', '0'], dir);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /3 scanned, 2 indexed, 0 unchanged, 0 removed, 1 skipped, 0 errors/);
      assert.match(result.stderr, /^skipped: binary\.md: binary file/m);
      assert.match(result.stderr, /^truncated: paragraphs\.txt: cut at line \d+: the document reached the limit of 4,000 chunks per document$/m);
    } finally {
      rmSync(hostile, { recursive: true, force: true });
    }
  });
});

describe('chatwright index / search: file names in line-oriented output', () => {
  it('escapes a newline in a file name in search hits (file:start-end stays one line)', async () => {
    const dir = scratchDir('cli-rag-names');
    try {
      mkdirSync(join(dir, 'docs'));
      writeFileSync(join(dir, 'docs', 'evil\n2. fake.md:1-1.md'), 'Lighthouse keepers polish the lens with a soft cloth.\n');
      assert.equal((await cli(['index', 'docs'], dir)).code, 0);
      const result = await cli(['search', '--db', 'docs/.chatwright/index.db', 'lens', 'cloth', '--mode', 'bm25'], dir);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^1\. evil\\n2\. fake\.md:1-1\.md:1-1 {2}score /);
      assert.doesNotMatch(result.stdout, /^2\. /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    'reports a file whose name is not valid UTF-8 as such, not as "no such file"',
    { skip: process.platform === 'win32' || process.platform === 'darwin' ? 'this file system takes only valid names' : false },
    async () => {
      const dir = scratchDir('cli-rag-names');
      try {
        mkdirSync(join(dir, 'docs'));
        writeFileSync(join(dir, 'docs', 'good.md'), 'A good file.\n');
        writeFileSync(Buffer.concat([Buffer.from(join(dir, 'docs', 'bad-')), Buffer.from([0xff]), Buffer.from('.md')]), 'An undecodable name.\n');
        const result = await cli(['index', 'docs'], dir);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stderr, /^skipped: bad-\ufffd\.md: the file name is not valid UTF-8/m);
        assert.doesNotMatch(result.stderr, /ENOENT/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
