import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { settingDefaults } from '../../../src/core/settings/settingDefaults';
import { settingRules } from '../../../src/core/settings/settingTrust';
import { defaultServerSettings } from '../../../src/server/serverSettings';

const root = join(__dirname, '..', '..', '..');

describe('settings defaults are declared once', () => {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { default?: unknown }> }[] } };
  const properties = Object.fromEntries(manifest.contributes.configuration.flatMap((group) => Object.entries(group.properties)));

  it('declares a default for every chatwright setting of package.json, and no other', () => {
    assert.deepEqual(
      Object.keys(settingDefaults).sort(),
      Object.keys(properties)
        .map((key) => key.replace(/^chatwright\./, ''))
        .sort(),
    );
  });

  it('gives every setting the same default in package.json as in settingDefaults', () => {
    for (const [key, value] of Object.entries(settingDefaults)) {
      const setting = properties[`chatwright.${key}`];
      assert.ok(setting && 'default' in setting, `package.json declares no default for chatwright.${key}`);
      assert.deepEqual(setting.default, value, `chatwright.${key}`);
    }
  });

  it('falls back to the declared default for every bounded number', () => {
    for (const [key, rule] of Object.entries(settingRules)) {
      if ('bounds' in rule) assert.equal(rule.bounds.fallback, settingDefaults[key as keyof typeof settingDefaults], key);
    }
  });

  it('starts the language server with the declared defaults', () => {
    for (const [feature, values] of Object.entries(defaultServerSettings)) {
      for (const [name, value] of Object.entries(values as Record<string, unknown>))
        assert.deepEqual(value, settingDefaults[`${feature}.${name}` as keyof typeof settingDefaults], `${feature}.${name}`);
    }
  });
});
