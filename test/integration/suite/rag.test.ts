import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { type ChatwrightApi } from '../../../src/extension';
import { generateEncoderModel } from '../../support/modelGenerator/index';
import { waitFor } from '../../support/waitFor';

const extensionId = 'chatwright.chatwright';

async function api(): Promise<ChatwrightApi> {
  const extension = vscode.extensions.getExtension<ChatwrightApi>(extensionId);
  assert.ok(extension);
  return extension.activate();
}

describe('Chatwright retrieval index (extension host)', () => {
  let root: string;

  before(() => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    root = folder.uri.fsPath;
    mkdirSync(join(root, 'docs'), { recursive: true });
    writeFileSync(join(root, 'docs', 'harbour.md'), '# Harbour guide\n\n## Moorings\n\nVisitors moor at pontoon C.\n\n## Fuel\n\nDiesel is sold at the north quay.\n');
    writeFileSync(join(root, 'docs', 'tides.txt'), 'Spring tides come with the full moon.\n');
    writeFileSync(join(root, '.chatwrightignore'), 'docs/private.md\n');
    writeFileSync(join(root, 'docs', 'private.md'), '# Private\n\nThe safe code is 4711.\n');
  });

  it('indexes the workspace in a worker, keeps the index out of the folder, and honours .chatwrightignore', async () => {
    const { rag } = await api();
    const [report] = await rag.indexAll();
    assert.ok(report, 'one report per workspace folder');
    assert.ok(report.indexed >= 2, `indexed ${report.indexed} files`);
    const files = await rag.folders[0]!.request('files', {});
    const paths = files.map((file) => file.path);
    assert.ok(paths.includes('docs/harbour.md') && paths.includes('docs/tides.txt'), paths.join(', '));
    assert.ok(!paths.includes('docs/private.md'), 'ignored by .chatwrightignore');
    const snapshot = rag.folders[0]?.lastSnapshot;
    assert.ok(snapshot && !snapshot.dbFile.startsWith(root), 'the index lives in the extension storage');
    assert.match(snapshot.lexicalOnly ?? '', /no embedding model/);
    assert.deepEqual(
      Object.keys(require.cache).filter((path) => /better-sqlite3|sqlite-vec|pdfjs/.test(path)),
      [],
      'SQLite never loads on the extension host',
    );
    const secret = await rag.search('safe code 4711');
    assert.deepEqual(secret.hits, []);
  });

  it('finds passages with their file, lines and heading path', async () => {
    const { rag } = await api();
    const result = await rag.search('where is diesel sold');
    const top = result.hits[0];
    assert.equal(top?.path, 'docs/harbour.md');
    assert.deepEqual([top?.startLine, top?.endLine], [7, 9]);
    assert.deepEqual(top?.headingPath, ['Harbour guide', 'Fuel']);
    assert.match(result.notices.join(' '), /lexical search only/);
  });

  it('follows an edit saved in the editor: search finds the new text', async () => {
    const { rag } = await api();
    const uri = vscode.Uri.file(join(root, 'docs', 'harbour.md'));
    const document = await vscode.workspace.openTextDocument(uri);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(uri, new vscode.Position(document.lineCount, 0), '\n## Showers\n\nHot showers cost two tokens at the marina office.\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await document.save());
    assert.match(readFileSync(uri.fsPath, 'utf8'), /Showers/);
    const hit = await waitFor(async () => {
      await rag.settled();
      const result = await rag.search('hot showers marina');
      return result.hits[0]?.headingPath.includes('Showers') ? result.hits[0] : undefined;
    }, 'the edit to be indexed');
    assert.equal(hit.path, 'docs/harbour.md');
  });

  it('drops a deleted file from the index', async () => {
    const { rag } = await api();
    await vscode.workspace.fs.delete(vscode.Uri.file(join(root, 'docs', 'tides.txt')));
    await waitFor(async () => {
      await rag.settled();
      const result = await rag.search('spring tides full moon');
      return result.hits.every((hit) => hit.path !== 'docs/tides.txt') ? true : undefined;
    }, 'the deleted file to leave the index');
  });

  it('offers Resume and Cancel, not Pause, while a run is paused, and none of them once it ends', async () => {
    const { rag } = await api();
    await rag.settled();
    assert.deepEqual(rag.commandState, { indexing: false, paused: false });
    await rag.pause();
    const run = rag.rebuild();
    try {
      const state = await waitFor(() => {
        const next = rag.commandState;
        return next.indexing && next.paused ? next : undefined;
      }, 'the rebuild to start paused');
      assert.deepEqual(state, { indexing: true, paused: true });
    } finally {
      await rag.resume();
      await run;
    }
    assert.deepEqual(rag.commandState, { indexing: false, paused: false });
  });

  it('opens a passage at its range', async () => {
    const { rag } = await api();
    const [hit] = (await rag.search('pontoon C')).hits;
    assert.ok(hit);
    await vscode.commands.executeCommand('chatwright.rag.openPassage', hit);
    const editor = vscode.window.activeTextEditor;
    assert.equal(editor?.document.uri.fsPath, hit.uri.fsPath);
    assert.equal(editor?.selection.start.line, hit.startLine - 1);
  });

  describe('with an embedding model', () => {
    let scratch: string;
    let encoder: string;

    before(() => {
      scratch = mkdtempSync(join(tmpdir(), 'chatwright-rag-it-'));
      encoder = join(scratch, 'tiny-bert');
      generateEncoderModel(encoder);
    });

    after(async () => {
      const { models } = await api();
      await models.select('embedding', undefined);
      rmSync(scratch, { recursive: true, force: true });
    });

    it('embeds passages and queries in the inference engine process, never on the extension host', async () => {
      const { rag, engine, models } = await api();
      await engine.unload();
      await models.select('embedding', encoder);
      const client = rag.folders[0];
      assert.ok(client);
      const snapshot = await waitFor(
        async () => {
          await rag.settled();
          const next = await client.request('snapshot', {});
          return !next.busy && next.chunks > 0 && next.embeddedChunks === next.chunks ? next : undefined;
        },
        'every passage to be embedded',
        60_000,
      );
      assert.equal(snapshot.lexicalOnly, undefined);
      assert.match(snapshot.modelKey ?? '', /tiny-bert/);
      const status = await engine.status();
      assert.ok(status && status.pid !== process.pid, 'the engine runs in its own process');
      const loaded = status.loaded.find((info) => info.model === encoder);
      assert.equal(loaded?.kind, 'embedder', `the engine loaded the embedding model: ${JSON.stringify(status.loaded)}`);
      assert.equal(loaded.modelKey, snapshot.modelKey, 'the index is keyed by the model the engine ran');

      // Questions too, once each on the host: unload the model, search by vector, and the engine loads it again to
      // embed the question (vector mode fails instead of answering when there is no vector to search with).
      await engine.unload();
      assert.equal((await engine.status())?.loaded.length, 0);
      const embedCalls: string[] = [];
      const embed = engine.embed.bind(engine);
      engine.embed = (model, texts, role, signal, dtype) => {
        embedCalls.push(role);
        return embed(model, texts, role, signal, dtype);
      };
      let result;
      try {
        result = await rag.search('where is diesel sold', { mode: 'vector' });
      } finally {
        engine.embed = embed;
      }
      assert.deepEqual(result.notices, []);
      assert.ok(result.hits.length > 0 && result.hits.every((hit) => hit.vector !== undefined), 'hits come from the vectors');
      assert.deepEqual(embedCalls, ['query'], 'the question was embedded once, by the host');
      assert.ok(
        (await engine.status())?.loaded.some((info) => info.model === encoder),
        'the query was embedded by the engine',
      );
      assert.deepEqual(
        Object.keys(require.cache).filter((path) => /onnxruntime|better-sqlite3|sqlite-vec/.test(path)),
        [],
        'no onnxruntime or SQLite on the extension host',
      );
    });

    it('stays lexical and says why when the engine cannot load the model', async () => {
      const { rag, models } = await api();
      const broken = join(scratch, 'broken-bert');
      generateEncoderModel(broken);
      writeFileSync(join(broken, 'onnx', 'model.onnx'), 'not an onnx file');
      await models.select('embedding', broken);
      const client = rag.folders[0];
      assert.ok(client);
      const snapshot = await waitFor(
        async () => {
          await rag.settled();
          const next = await client.request('snapshot', {});
          return !next.busy && /could not be loaded/.test(next.lexicalOnly ?? '') ? next : undefined;
        },
        'the index to fall back to lexical',
        60_000,
      );
      assert.match(snapshot.lexicalOnly ?? '', /broken-bert.*could not be loaded/);
      const result = await rag.search('where is diesel sold');
      assert.equal(result.hits[0]?.path, 'docs/harbour.md');
      assert.match(result.notices.join(' '), /lexical search only/);
    });
  });
});
