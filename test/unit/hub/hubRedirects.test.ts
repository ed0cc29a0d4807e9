import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HubRedirectError, maxRedirects, redirectTarget, tokenMayGoTo } from '../../../src/core/hub/hubRedirects';

describe('who gets the Hub token, and which redirects are followed', () => {
  it('the token goes to the endpoint origin only: same scheme, host and port', () => {
    const hub = 'https://huggingface.co';
    assert.equal(tokenMayGoTo('https://huggingface.co/api/models/x', hub), true);
    assert.equal(tokenMayGoTo('https://HuggingFace.co:443/x', hub), true, 'default port and host case are normalised');
    assert.equal(tokenMayGoTo('http://huggingface.co/x', hub), false, 'https → http on the same host');
    assert.equal(tokenMayGoTo('https://huggingface.co:8443/x', hub), false, 'another port');
    assert.equal(tokenMayGoTo('https://cdn-lfs.huggingface.co/x', hub), false, 'a CDN host');
    assert.equal(tokenMayGoTo('https://huggingface.co.evil.example/x', hub), false);
    assert.equal(tokenMayGoTo('ftp://huggingface.co/x', hub), false);
    assert.equal(tokenMayGoTo('not a url', hub), false);
    assert.equal(tokenMayGoTo('http://127.0.0.1:8080/a', 'http://127.0.0.1:8080/mirror'), true, 'an endpoint with a path prefix');
    assert.equal(tokenMayGoTo('http://127.0.0.1:8081/a', 'http://127.0.0.1:8080'), false);
  });

  it('redirects resolve against the current URL, over http(s) only', () => {
    const from = new URL('https://huggingface.co/org/name/resolve/main/x.bin?download=true');
    assert.equal(redirectTarget(from, '/api/resolve-cache/x', 1).href, 'https://huggingface.co/api/resolve-cache/x');
    assert.equal(redirectTarget(from, 'https://cdn-lfs.hf.co/abc?sig=1', 1).href, 'https://cdn-lfs.hf.co/abc?sig=1');
    for (const location of ['file:///etc/passwd', 'ftp://host/x', 'data:text/plain,hi', 'javascript:alert(1)']) {
      assert.throws(
        () => redirectTarget(from, location, 1),
        (error: unknown) => error instanceof HubRedirectError && /only http and https/.test(error.message) && !error.message.includes('download=true'),
        location,
      );
    }
    assert.throws(() => redirectTarget(from, 'http://[::1', 1), /not a URL/);
  });

  it('a chain of redirects stops after the bound', () => {
    const from = new URL('http://127.0.0.1:1/loop');
    assert.equal(redirectTarget(from, '/loop', maxRedirects).pathname, '/loop');
    assert.throws(() => redirectTarget(from, '/loop', maxRedirects + 1), /redirected more than 10 times/);
  });
});
