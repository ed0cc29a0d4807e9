import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { hubConnection, type HubConnection } from '../../src/core/hub/hubClient';
import { type HubServer, standardFixtures, startHubServer, type FixtureModel } from './hubServer';
import { scratchDir } from './scratchDir';

export const grantedToken = 'hf_testTokenGrantedAAAAAAAAAAAAAAAAAAA';
export const deniedToken = 'hf_testTokenDeniedBBBBBBBBBBBBBBBBBBBBB';

export interface HubTestEnv {
  server: HubServer;
  env: NodeJS.ProcessEnv;
  cacheDir: string;
  connection(token?: string): HubConnection;
  dispose(): Promise<void>;
}

/** A local hub with the standard fixtures and an empty cache folder, wired through HF_ENDPOINT / HF_HUB_CACHE. */
export async function startHubTestEnv(extra: FixtureModel[] = []): Promise<HubTestEnv> {
  const server = await startHubServer({
    models: [...standardFixtures(), ...extra],
    tokens: { [grantedToken]: ['chatwright-test/gated-llama', 'chatwright-test/private-model'], [deniedToken]: [] },
    pageSize: 4,
  });
  const root = scratchDir('hub-test');
  const cacheDir = join(root, 'hub');
  const env: NodeJS.ProcessEnv = { HF_ENDPOINT: server.url, HF_HUB_CACHE: cacheDir, HF_HOME: join(root, 'home') };
  return {
    server,
    env,
    cacheDir,
    connection: (token) => hubConnection(env, token),
    dispose: async () => {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
