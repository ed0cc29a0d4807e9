import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TemplateBudgetError } from '../../../src/core/templates/guardedTemplates';
import { RenderCancelledError, RenderFailure } from '../../../src/core/prompts/renderErrors';
import { defaultRenderWorkerScript, RenderSandbox } from '../../../src/core/prompts/renderSandbox';

const runaway = 'user:\n{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}\n';

describe('the render sandbox over the launcher and the typed RPC layer', () => {
  it('a render cancelled through its AbortSignal rejects at once and its worker is gone; the next render starts a fresh one', async () => {
    // The loop budget and the time limit are lifted so that only the cancellation can stop the render.
    const sandbox = new RenderSandbox({ workerScript: defaultRenderWorkerScript(), timeoutMs: 120_000, budgets: { maxLoopIterations: 1e12 } });
    try {
      const controller = new AbortController();
      const rendering = sandbox.render({ text: runaway, workspaceRoots: [] }, controller.signal);
      while (!sandbox.running) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const cancelledAt = Date.now();
      controller.abort();
      await assert.rejects(rendering, RenderCancelledError);
      assert.ok(Date.now() - cancelledAt < 1000, 'the caller is answered without waiting for the worker');
      assert.equal(sandbox.running, false, 'the worker running the template was terminated');
      const rendered = await sandbox.render({ text: 'user:\nafter', workspaceRoots: [] });
      assert.equal(rendered.messages[0]!.content, 'after');
      assert.equal(sandbox.running, true);
    } finally {
      await sandbox.dispose();
    }
  });

  it("a template over its loop budget fails as a RenderFailure whose cause is the worker's TemplateBudgetError, with its budget", async () => {
    const sandbox = new RenderSandbox({ workerScript: defaultRenderWorkerScript(), timeoutMs: 5000, budgets: { maxLoopIterations: 1000 } });
    try {
      await assert.rejects(
        sandbox.render({ text: runaway, workspaceRoots: [] }),
        (error: unknown) =>
          error instanceof RenderFailure &&
          error.origin === 'template' &&
          /1,000 loop iterations/.test(error.message) &&
          error.cause instanceof TemplateBudgetError &&
          error.cause.budget === 'maxLoopIterations',
      );
    } finally {
      await sandbox.dispose();
    }
  });

  it('a render after dispose fails with a clear message', async () => {
    const sandbox = new RenderSandbox({ workerScript: defaultRenderWorkerScript(), timeoutMs: 5000 });
    await sandbox.dispose();
    await assert.rejects(sandbox.render({ text: 'user:\nhello', workspaceRoots: [] }), /The renderer was closed/);
  });
});
