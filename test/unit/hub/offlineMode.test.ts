import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { downloadToCache } from '../../../src/core/hub/downloader';
import { hubConnection, searchModels } from '../../../src/core/hub/hubClient';
import { HubOfflineError, HubUnreachableError } from '../../../src/core/hub/hubErrors';
import { decideOffline, describeOffline, environmentFor } from '../../../src/core/hub/offlineMode';

describe('offline mode: the chatwright.models.offline setting and HF_HUB_OFFLINE', () => {
  it('is online when neither the setting nor the environment asks otherwise', () => {
    assert.deepEqual(decideOffline(false, {}), { offline: false, source: undefined });
    assert.deepEqual(decideOffline(false, { HF_HUB_OFFLINE: '0' }), { offline: false, source: undefined });
  });

  it('is offline with the setting on', () => {
    assert.deepEqual(decideOffline(true, {}), { offline: true, source: 'setting' });
  });

  it('is offline with HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) set, and blames the environment even with the setting on', () => {
    assert.deepEqual(decideOffline(false, { HF_HUB_OFFLINE: '1' }), { offline: true, source: 'environment' });
    assert.deepEqual(decideOffline(false, { TRANSFORMERS_OFFLINE: 'true' }), { offline: true, source: 'environment' });
    assert.deepEqual(decideOffline(true, { HF_HUB_OFFLINE: 'yes' }), { offline: true, source: 'environment' });
  });

  it('says which switch to turn for each source', () => {
    assert.match(describeOffline(decideOffline(true, {})), /chatwright\.models\.offline.*Turn it off/);
    assert.match(describeOffline(decideOffline(false, { HF_HUB_OFFLINE: '1' })), /HF_HUB_OFFLINE is set.*restart VS Code/);
  });

  it('gives the Hub client and the download worker an environment that is offline when the setting is on', () => {
    const env = environmentFor(decideOffline(true, {}), { HF_HOME: '/x' });
    assert.equal(env.HF_HUB_OFFLINE, '1');
    assert.equal(env.HF_HOME, '/x');
    assert.equal(hubConnection(env).offline, true);
    assert.equal(environmentFor(decideOffline(false, {}), {}).HF_HUB_OFFLINE, undefined);
  });

  it('stops searches and downloads before any request when the setting is on', async () => {
    // An endpoint nothing listens on: a request would fail as unreachable, not as offline.
    const connection = hubConnection(environmentFor(decideOffline(true, {}), { HF_ENDPOINT: 'http://127.0.0.1:9' }));
    await assert.rejects(searchModels(connection, { text: 'x' }), HubOfflineError);
    await assert.rejects(downloadToCache({ connection, repoId: 'acme/x', revision: 'main', commit: 'a'.repeat(40), files: [], env: {} }), HubOfflineError);
  });

  it('reports a Hub that does not answer as HubUnreachableError, with the endpoint', async () => {
    const unreachable = hubConnection({ HF_ENDPOINT: 'http://127.0.0.1:9' });
    await assert.rejects(searchModels(unreachable, { text: 'x' }), (error: unknown) => {
      assert.ok(error instanceof HubUnreachableError);
      assert.equal(error.endpoint, 'http://127.0.0.1:9');
      assert.match(error.message, /Cannot reach the Hub at http:\/\/127\.0\.0\.1:9/);
      return true;
    });
  });
});
