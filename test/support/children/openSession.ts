// Opens an ONNX session in a process of its own, so the test that spawns it can capture what onnxruntime's native
// logger writes to stderr. Prints one JSON line: the provider that runs and why it fell back, or the error.
import { ModelError } from '../../../src/core/inference/modelFolder';
import { openOnnxSession } from '../../../src/core/inference/onnxSession';

async function main(): Promise<void> {
  const [file, executionProvider] = process.argv.slice(2);
  if (!file || (executionProvider !== 'cpu' && executionProvider !== 'cuda' && executionProvider !== 'auto')) {
    throw new Error('usage: openSession.ts <model.onnx> <cpu|cuda|auto>');
  }
  try {
    const opened = await openOnnxSession(file, { executionProvider });
    await opened.session.release();
    process.stdout.write(`${JSON.stringify({ provider: opened.provider, fallbackReason: opened.fallbackReason })}\n`);
  } catch (error) {
    const modelError = error instanceof ModelError ? { file: error.file } : {};
    process.stdout.write(`${JSON.stringify({ error: { name: (error as Error).name, message: (error as Error).message, isModelError: error instanceof ModelError, ...modelError } })}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 2;
});
