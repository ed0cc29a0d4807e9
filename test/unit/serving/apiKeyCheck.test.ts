import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateApiKey, hasApiKey, isLoopbackHost } from '../../../src/core/serving/apiKeyCheck';
import { hostHeaderName, isLoopbackHostHeader } from '../../../src/core/serving/hostHeaderCheck';

describe('API keys', () => {
  it('generates cw- keys of 32 random bytes in base64url, different each time', () => {
    const keys = new Set(Array.from({ length: 20 }, generateApiKey));
    assert.equal(keys.size, 20);
    for (const key of keys) {
      assert.match(key, /^cw-[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(key.slice(3), 'base64url').length, 32);
    }
  });

  it('accepts only the exact key as a Bearer token', () => {
    const key = generateApiKey();
    assert.equal(hasApiKey(`Bearer ${key}`, key), true);
    assert.equal(hasApiKey(`bearer ${key}`, key), true);
    assert.equal(hasApiKey(undefined, key), false);
    assert.equal(hasApiKey(key, key), false);
    assert.equal(hasApiKey(`Bearer ${key.slice(0, -1)}`, key), false);
    assert.equal(hasApiKey(`Bearer ${key}x`, key), false);
    assert.equal(hasApiKey(`Basic ${key}`, key), false);
    assert.equal(hasApiKey('Bearer ', key), false);
  });
});

describe('loopback hosts', () => {
  it('counts 127.0.0.0/8, every spelling of ::1 and localhost as loopback, and nothing else', () => {
    for (const host of ['127.0.0.1', '127.4.5.6', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LocalHost', 'api.localhost']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '::', '192.168.1.2', '10.0.0.1', '128.0.0.1', 'example.com', 'localhost.example.com', '127.0.0.1.nip.io', '']) assert.equal(isLoopbackHost(host), false, host);
  });

  it('reads the host name out of a Host header, and refuses missing, foreign and malformed ones', () => {
    assert.equal(hostHeaderName('localhost:8765'), 'localhost');
    assert.equal(hostHeaderName('[::1]:8765'), '::1');
    assert.equal(hostHeaderName('127.0.0.1'), '127.0.0.1');
    assert.equal(isLoopbackHostHeader('127.0.0.1:8765'), true);
    assert.equal(isLoopbackHostHeader(undefined), false);
    assert.equal(isLoopbackHostHeader('evil.example:8765'), false);
    assert.equal(isLoopbackHostHeader('127.0.0.1.evil.example'), false);
    assert.equal(isLoopbackHostHeader('localhost:8765:1'), false);
    assert.equal(isLoopbackHostHeader('localhost@evil.example'), false);
  });
});
