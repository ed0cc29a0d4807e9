import * as vscode from 'vscode';
import { type RetrievedPassage } from '../../core/chat/chatRunner';
import { type EngineHost } from '../engine/engineHost';
import { type IndexManager } from '../rag/indexManager';
import { type ChatRetrieval } from './chatFeature';
import { type EngineGenerate } from './engineBackend';
import { toWorkspacePath } from './workspacePaths';

/** The inference engine feature's host API as the chat's engine backend needs it. */
export function engineGenerateFrom(engine: EngineHost): EngineGenerate {
  return {
    async generate(params, onToken, signal) {
      const source = new vscode.CancellationTokenSource();
      const cancel = () => source.cancel();
      signal.addEventListener('abort', cancel, { once: true });
      try {
        return await engine.generate(params.model, params.messages, params.options, onToken, source.token);
      } finally {
        signal.removeEventListener('abort', cancel);
        source.dispose();
      }
    },
  };
}

/** The RAG feature's workspace index as the chat's retrieval: passages located by workspace-relative path. */
export function retrievalFrom(index: IndexManager): ChatRetrieval {
  return {
    indexes: () => index.folders.map((client) => client.folder.name),
    async retrieve(query, k, folder, _signal, paths = []) {
      // Ask for more when one folder is wanted: the manager merges all folders' hits before cutting at k.
      const pathFilter = paths.length === 0 ? undefined : paths.length === 1 ? paths[0] : `{${paths.join(',')}}`;
      const result = await index.search(query, { k: folder ? k * 4 : k, ...(pathFilter ? { pathFilter } : {}) });
      const hits = folder ? result.hits.filter((hit) => hit.folder.name === folder) : result.hits;
      return hits.slice(0, k).map(
        (hit): RetrievedPassage => ({
          file: toWorkspacePath(hit.uri),
          startLine: hit.startLine,
          endLine: hit.endLine,
          headingPath: hit.headingPath,
          text: hit.text,
          score: hit.score,
          scores: { fused: hit.score, ...(hit.bm25 ? { bm25: hit.bm25.score } : {}), ...(hit.vector ? { vector: hit.vector.score } : {}) },
        }),
      );
    },
  };
}
