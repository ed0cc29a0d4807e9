import { basename } from 'node:path';
import * as vscode from 'vscode';
import { type ChatBackend } from '../../core/chat/backend';
import { OpenAiCompatibleBackend } from '../../core/chat/openAiCompatibleBackend';
import { safeRunName } from '../../core/jobs/runFolder';
import { type JobSnapshot } from '../../core/jobs/jobSnapshot';

/** The chat backend id of a served model: `served-<run name>` (the run folder's name when two runs share a name). */
export function servedBackendId(snapshot: Pick<JobSnapshot, 'name' | 'runDir'>, taken: ReadonlySet<string>): string {
  const byName = `served-${safeRunName(snapshot.name)}`.slice(0, 64);
  return taken.has(byName) ? `served-${safeRunName(basename(snapshot.runDir))}`.slice(0, 64) : byName;
}

/**
 * Each ready server as a chat backend ("Served: <name>"), registered while it is ready and unregistered when it
 * stops, so the chat can pick its models (and adapters) like any endpoint's.
 */
export class ServedBackends implements vscode.Disposable {
  private readonly registered = new Map<string, { id: string; url: string; registration: vscode.Disposable }>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a server joins or leaves the chat. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly register: (backend: ChatBackend) => vscode.Disposable,
    private readonly apiKey: (runDir: string) => Thenable<string | undefined>,
    private readonly log: (message: string) => void,
  ) {}

  /** The backend id of a registered server. */
  backendIdOf(runDir: string): string | undefined {
    return this.registered.get(runDir)?.id;
  }

  /** Registers the ready servers that are not yet, and unregisters those no longer ready. */
  async update(ready: readonly JobSnapshot[]): Promise<void> {
    const readyDirs = new Set(ready.map((snapshot) => snapshot.runDir));
    for (const [runDir, entry] of [...this.registered]) {
      const now = ready.find((snapshot) => snapshot.runDir === runDir);
      if (readyDirs.has(runDir) && now?.serving?.url === entry.url) continue;
      entry.registration.dispose();
      this.registered.delete(runDir);
      this.changed.fire();
      this.log(`Served models of ${runDir} removed from the chat.`);
    }
    for (const snapshot of ready) {
      if (this.registered.has(snapshot.runDir) || !snapshot.serving) continue;
      const key = snapshot.serving.apiKeyRequired ? await this.apiKey(snapshot.runDir) : undefined;
      // Another update may have registered it while the key was read.
      if (this.registered.has(snapshot.runDir)) continue;
      const id = servedBackendId(snapshot, new Set([...this.registered.values()].map((entry) => entry.id)));
      try {
        const registration = this.register(new OpenAiCompatibleBackend({ id, label: `Served: ${snapshot.name}`, baseUrl: snapshot.serving.url, ...(key ? { apiKey: key } : {}) }));
        this.registered.set(snapshot.runDir, { id, url: snapshot.serving.url, registration });
        this.changed.fire();
        this.log(`Served models of ${snapshot.name} (${snapshot.serving.url}) are in the chat as ${id}.`);
      } catch (error) {
        this.log(`The server ${snapshot.name} could not be added to the chat: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  dispose(): void {
    for (const entry of this.registered.values()) entry.registration.dispose();
    this.registered.clear();
    this.changed.dispose();
  }
}
