import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Browser, FrameLocator, Locator, Page } from 'playwright-core';
import { installVsix, launchChromium, makeScratch, removeScratch, repoRoot, startCodeServer, workbenchUrl, type CodeServer, type ScratchDirs } from './codeServer.mjs';

export const testOutputDir = join(repoRoot, 'test-output', 'e2e');

/** The packaged VSIX (built by `npm run package`; built here if missing). */
export function packagedVsix(): string {
  const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
  const vsix = join(repoRoot, 'dist', `chatwright-linux-x64-${version}.vsix`);
  if (!existsSync(vsix)) {
    const result = spawnSync(process.execPath, ['scripts/package.mjs'], { cwd: repoRoot, stdio: 'inherit' });
    if (result.status !== 0 || !existsSync(vsix)) throw new Error('packaging the VSIX failed');
  }
  return vsix;
}

export interface Workbench {
  page: Page;
  server: CodeServer;
  browser: Browser;
  dirs: ScratchDirs;
  /** The copy of the workspace the workbench has open. */
  workspace: string;
  close(): Promise<void>;
}

/**
 * A fresh code-server with the packaged VSIX installed, a copy of `workspace` open, in headless Chromium.
 * `settings` are written as user settings (e.g. `workbench.colorTheme`).
 */
export async function openWorkbench(options: {
  workspace: string;
  settings?: Record<string, unknown>;
  env?: Record<string, string>;
  viewport?: { width: number; height: number };
}): Promise<Workbench> {
  const dirs = makeScratch('chatwright-e2e-', options.settings ?? {});
  // The workspace copy lives inside the scratch root, so the one removal in close() (or below, when opening fails) takes both.
  const workspace = join(dirs.root, 'workspace', basename(options.workspace));
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    removeScratch(dirs);
  };
  try {
    cpSync(options.workspace, workspace, { recursive: true });
    installVsix(packagedVsix(), dirs);
    server = await startCodeServer({ dirs, folder: workspace, env: options.env ?? {} });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: options.viewport ?? { width: 1400, height: 900 } });
    await page.goto(workbenchUrl(server, workspace));
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('.activitybar').waitFor({ timeout: 60_000 });
    return { page, server, browser, dirs, workspace, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Runs a command from the palette by its title, e.g. `Chatwright: Open Settings`. F1 can be lost (a webview that just
 * opened takes the keyboard focus, and its palette closes when it does): the palette is opened again until the command
 * shows in it, within `timeoutMs`.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
  const shows = (target: typeof input): Promise<boolean> =>
    target.waitFor({ timeout: 5_000 }).then(
      () => true,
      () => false,
    );
  for (;;) {
    await page.keyboard.press('F1');
    if (await shows(input)) {
      await input.fill(`>${title}`);
      if (await shows(row)) {
        await page.keyboard.press('Enter');
        return;
      }
      await page.keyboard.press('Escape');
    }
    if (Date.now() > deadline) throw new Error(`the command palette did not offer "${title}" within ${timeoutMs} ms`);
  }
}

/** Opens the Chatwright container from the activity bar. */
export async function openChatwrightContainer(page: Page): Promise<void> {
  const item = page.locator('.activitybar .action-item a[aria-label^="Chatwright"], .activitybar .action-item[aria-label^="Chatwright"]').first();
  await item.waitFor({ timeout: 30_000 });
  await item.click();
  // Off the activity bar, so its hover label does not cover the view in screenshots.
  const viewport = page.viewportSize();
  if (viewport) await page.mouse.move(viewport.width * 0.7, viewport.height / 2);
}

/** The webview (of several: the Chat view is one) whose document has `selector`; fails after `timeoutMs`. */
export async function webviewWith(page: Page, selector: string, timeoutMs: number): Promise<FrameLocator> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frames = page.locator('iframe.webview.ready');
    for (let index = 0; index < (await frames.count()); index++) {
      const frame = frames.nth(index).contentFrame().locator('#active-frame').contentFrame();
      if ((await frame.locator(selector).count()) > 0) return frame;
    }
    if (Date.now() >= deadline) throw new Error(`no webview showed ${selector}`);
    await page.waitForTimeout(500);
  }
}

/** The document inside a webview (view or panel). `title` narrows to the webview whose iframe has that title. */
export function webviewFrame(page: Page, title?: string): FrameLocator {
  const selector = title ? `iframe.webview.ready[title="${title}"]` : 'iframe.webview.ready';
  return page.frameLocator(selector).frameLocator('#active-frame');
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(testOutputDir, { recursive: true });
  const path = join(testOutputDir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** The Chatwright container opened, its Jobs view expanded, and the view's row for the job named `name` once it shows. */
export async function jobsViewRow(page: Page, name: string): Promise<Locator> {
  await openChatwrightContainer(page);
  const header = page.locator('.pane-header', { hasText: /^\s*Jobs/ }).first();
  await header.waitFor({ timeout: 60_000 });
  if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
  const jobsPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*Jobs/ }) }).first();
  const row = jobsPane.locator('.monaco-list-row', { hasText: name }).first();
  await row.waitFor({ timeout: 90_000 });
  return row;
}
