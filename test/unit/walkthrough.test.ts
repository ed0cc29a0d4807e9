import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = join(__dirname, '..', '..');

interface Manifest {
  contributes: {
    commands: { command: string }[];
    views: Record<string, { id: string; type?: string }[]>;
    viewsWelcome: { view: string; contents: string; when?: string }[];
    walkthroughs: { id: string; steps: { id: string; description: string; media: { markdown?: string }; completionEvents?: string[] }[] }[];
  };
}

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
const contributed = new Set(manifest.contributes.commands.map((entry) => entry.command));
const views = Object.values(manifest.contributes.views).flat();
/** VS Code's own commands the onboarding links to. */
const builtIn = new Set(['workbench.action.files.openFolder']);

function commandLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(command:([\w.-]+)/g)].map((match) => match[1]!);
}

function commandExists(id: string): boolean {
  return contributed.has(id) || builtIn.has(id) || views.some((view) => id === `${view.id}.focus`);
}

describe('the getting-started walkthrough and the views’ welcome content', () => {
  const walkthrough = manifest.contributes.walkthroughs.find((entry) => entry.id === 'gettingStarted');

  it('walks from a model to a chat and a dataset check, one step each', () => {
    assert.ok(walkthrough);
    assert.deepEqual(
      walkthrough.steps.map((step) => step.id),
      ['chooseModel', 'writeTemplate', 'addExamples', 'indexDocuments', 'chat', 'checkDataset'],
    );
  });

  it('gives every step a button that runs a command that exists, a Markdown page that exists, and a completion event', () => {
    for (const step of walkthrough?.steps ?? []) {
      const links = commandLinks(step.description);
      assert.ok(links.length > 0, `${step.id} has a button`);
      for (const id of links) assert.ok(commandExists(id), `${step.id} links to ${id}, which no one contributes`);
      assert.ok(step.media.markdown && existsSync(join(root, step.media.markdown)), `${step.id}: ${step.media.markdown} exists`);
      assert.ok((step.completionEvents ?? []).length > 0, `${step.id} completes on something`);
    }
  });

  it('completes steps only on commands and views that exist', () => {
    for (const step of walkthrough?.steps ?? []) {
      for (const event of step.completionEvents ?? []) {
        const [kind, target = ''] = event.split(/:(.*)/s);
        if (kind === 'onCommand') assert.ok(contributed.has(target), `${step.id}: ${event}`);
        else if (kind === 'onView')
          assert.ok(
            views.some((view) => view.id === target),
            `${step.id}: ${event}`,
          );
        else assert.equal(kind, 'onContext', `${step.id}: ${event}`);
      }
    }
  });

  it('gives every tree view welcome content whose buttons run commands that exist', () => {
    const trees = views.filter((view) => view.type !== 'webview');
    assert.ok(trees.length > 0);
    for (const view of trees)
      assert.ok(
        manifest.contributes.viewsWelcome.some((entry) => entry.view === view.id),
        `${view.id} has welcome content`,
      );
    for (const entry of manifest.contributes.viewsWelcome) {
      const links = commandLinks(entry.contents);
      assert.ok(links.length > 0, `the welcome for ${entry.view} (${entry.when}) offers a next action`);
      for (const id of links) assert.ok(commandExists(id), `the welcome for ${entry.view} links to ${id}, which no one contributes`);
    }
  });

  it('tells the Models view’s three empty states apart: Hub usable, Hub unreachable, offline', () => {
    const whens = manifest.contributes.viewsWelcome.filter((entry) => entry.view === 'chatwright.models').map((entry) => entry.when);
    assert.deepEqual(whens, ['!chatwright.models.offline && !chatwright.models.hubUnreachable', 'chatwright.models.hubUnreachable', 'chatwright.models.offline']);
  });
});
