import { writeFileSync } from 'node:fs';
import * as vscode from 'vscode';

/** Runs inside the extension host: times Chatwright's activation from a cold, inactive state. */
export async function run(): Promise<void> {
  const extension = vscode.extensions.getExtension('chatwright.chatwright');
  if (!extension) throw new Error('chatwright.chatwright is not installed');
  const wasActive = extension.isActive;
  const modulesBefore = Object.keys(require.cache).length;
  const started = performance.now();
  await extension.activate();
  const activationMs = performance.now() - started;
  const modulesAfter = Object.keys(require.cache);
  const result = {
    wasActive,
    activationMs,
    modulesLoaded: modulesAfter.length - modulesBefore,
    nativeModulesLoaded: modulesAfter.filter((path) => /onnxruntime|better-sqlite3|sqlite-vec/.test(path)),
  };
  const out = process.env.CHATWRIGHT_BENCH_OUT;
  if (out) writeFileSync(out, JSON.stringify(result));
  console.log(JSON.stringify(result));
}
