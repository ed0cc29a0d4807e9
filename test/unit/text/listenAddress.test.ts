import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reachableUrl } from '../../../src/core/text/listenAddress';

describe('the URL this machine calls a server at', () => {
  it('is loopback of the same family for a server listening on every interface', () => {
    assert.equal(reachableUrl('http://0.0.0.0:8765/v1'), 'http://127.0.0.1:8765/v1');
    assert.equal(reachableUrl('http://[::]:8766/v1'), 'http://[::1]:8766/v1');
    assert.equal(reachableUrl('https://0.0.0.0/v1?x=1'), 'https://127.0.0.1/v1?x=1');
  });

  it('is the announced URL for any other address, including names that merely start like one', () => {
    for (const url of ['http://127.0.0.1:8765/v1', 'http://[::1]:8765/v1', 'http://0.0.0.0.example.com/v1', 'http://gpu-box:8000/v1', 'not a url']) assert.equal(reachableUrl(url), url);
  });
});
