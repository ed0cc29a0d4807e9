import type { ChildProcess } from 'node:child_process';
import type { Browser } from 'playwright-core';

export interface ScratchDirs {
  root: string;
  xdg: string;
  userData: string;
  extensions: string;
}
export interface CodeServer {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}
export const repoRoot: string;
export const codeServerBin: string;
export const chromiumPath: string;
export const chromiumArgs: string[];
export function assertTestHostInstalled(): void;
export function freePort(): Promise<number>;
export function makeScratch(prefix?: string, userSettings?: Record<string, unknown>): ScratchDirs;
export function installVsix(vsixPath: string, dirs: ScratchDirs): string;
export function startCodeServer(options: { dirs: ScratchDirs; folder?: string; env?: Record<string, string>; log?: (line: string) => void; port?: number; bindHost?: string }): Promise<CodeServer>;
export function launchChromium(options?: { headless?: boolean }): Promise<Browser>;
export function workbenchUrl(server: CodeServer, folder?: string, payload?: [string, string][]): string;
export function remoteUri(server: CodeServer, path: string): string;
export function removeScratch(dirs: ScratchDirs): void;
