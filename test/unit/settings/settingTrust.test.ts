import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { boundedNumber, boundedSetting, effectiveSetting, isHubModelId, settingModel, settingPath, settingRules, type SettingRule } from '../../../src/core/settings/settingTrust';

const root = join(__dirname, '..', '..', '..');
const all = { defaultValue: 'default', globalValue: 'user', workspaceValue: 'workspace', workspaceFolderValue: 'folder' };

describe('which value of a setting counts', () => {
  it('takes the folder, then the workspace, then the user, then the default for settings anyone may set', () => {
    assert.deepEqual(effectiveSetting(all, 'anywhere', false), { value: 'folder', source: 'workspaceFolder' });
    assert.deepEqual(effectiveSetting({ ...all, workspaceFolderValue: undefined }, 'anywhere', false), { value: 'workspace', source: 'workspace' });
    assert.deepEqual(effectiveSetting({ defaultValue: 'default' }, 'anywhere', true), { value: 'default', source: 'default' });
  });

  it('ignores the workspace levels of a restricted setting in an untrusted workspace', () => {
    assert.deepEqual(effectiveSetting(all, 'restricted', false), { value: 'user', source: 'user' });
    assert.deepEqual(effectiveSetting({ ...all, globalValue: undefined }, 'restricted', false), { value: 'default', source: 'default' });
  });

  it('lets a trusted workspace set a restricted setting', () => {
    assert.deepEqual(effectiveSetting(all, 'restricted', true), { value: 'folder', source: 'workspaceFolder' });
  });

  it('reads a user-only setting from the user settings even in a trusted workspace', () => {
    assert.deepEqual(effectiveSetting(all, 'userOnly', true), { value: 'user', source: 'user' });
    assert.deepEqual(effectiveSetting(undefined, 'userOnly', true), { value: undefined, source: 'default' });
  });
});

describe('bounds of number settings', () => {
  const bounds = { min: 100, max: 60_000, fallback: 2000, integer: true };
  it('clamps values outside the range to its nearest end', () => {
    assert.equal(boundedNumber(1e12, bounds), 60_000);
    assert.equal(boundedNumber(-5, bounds), 100);
    assert.equal(boundedNumber(1500.7, bounds), 1500);
  });

  it('falls back for anything that is not a finite number', () => {
    for (const value of ['5000', null, undefined, Number.NaN, Number.POSITIVE_INFINITY, {}, true]) assert.equal(boundedNumber(value, bounds), 2000, JSON.stringify(value));
  });

  it('bounds the render timeout a workspace may write to one minute', () => {
    assert.equal(boundedSetting('prompts.renderTimeoutMs', 10 ** 12), 60_000);
  });
});

describe('paths and models named by settings', () => {
  const home = '/home/someone';
  it('keeps absolute paths and expands ~ to the home folder', () => {
    assert.equal(settingPath('/models/tok.json', 'user', '/repo', home), '/models/tok.json');
    assert.equal(settingPath('~/tok/tokenizer.json', 'user', '/repo', home), '/home/someone/tok/tokenizer.json');
    assert.equal(settingPath('', 'user', '/repo', home), '');
  });

  it('ignores a relative path from the user settings instead of resolving it inside the open repository', () => {
    assert.equal(settingPath('tokenizer.json', 'user', '/repo', home), undefined);
    assert.equal(settingPath('../x/tokenizer.json', 'default', '/repo', home), undefined);
  });

  it('resolves a relative path from a trusted workspace against its folder', () => {
    assert.equal(settingPath('tok/tokenizer.json', 'workspace', '/repo', home), '/repo/tok/tokenizer.json');
  });

  it('rejects values that are not strings or hold a NUL byte', () => {
    assert.equal(settingPath(42, 'user', '/repo', home), undefined);
    assert.equal(settingPath('/a\0b', 'user', '/repo', home), undefined);
  });

  it('keeps Hub ids as ids and treats anything else as a folder', () => {
    assert.equal(settingModel('Qwen/Qwen3-0.6B', 'user', '/repo', home), 'Qwen/Qwen3-0.6B');
    assert.equal(settingModel('Qwen/Qwen3-0.6B@main', 'workspace', '/repo', home), 'Qwen/Qwen3-0.6B@main');
    assert.equal(settingModel('./models/tiny', 'workspace', '/repo', home), '/repo/models/tiny');
    assert.equal(settingModel('./models/tiny', 'user', '/repo', home), undefined);
    assert.equal(settingModel('~/models/tiny', 'user', '/repo', home), '/home/someone/models/tiny');
  });

  it('does not take dot segments for a Hub id', () => {
    assert.equal(isHubModelId('../etc'), false);
    assert.equal(isHubModelId('./x'), false);
    assert.equal(isHubModelId('a/..'), false);
    assert.equal(isHubModelId('org/model-1.5B'), true);
  });
});

interface ManifestSetting {
  scope?: string;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  type?: string;
}

describe('package.json agrees with the trust rules (the settings audit)', () => {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
    contributes: { configuration: { properties: Record<string, ManifestSetting> }[] };
  };
  const properties: Record<string, ManifestSetting> = Object.fromEntries(manifest.contributes.configuration.flatMap((group) => Object.entries(group.properties)));
  const restricted = new Set(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations);
  const rules: Record<string, SettingRule> = settingRules;

  it('has a rule for every chatwright setting and a setting for every rule', () => {
    assert.deepEqual(
      Object.keys(properties)
        .map((key) => key.replace(/^chatwright\./, ''))
        .sort(),
      Object.keys(rules).sort(),
    );
  });

  it('lists exactly the restricted and user-only settings in restrictedConfigurations', () => {
    const expected = Object.entries(rules)
      .filter(([, rule]) => rule.trust !== 'anywhere')
      .map(([key]) => `chatwright.${key}`)
      .sort();
    assert.deepEqual([...restricted].sort(), expected);
  });

  it('gives user-only settings machine or application scope', () => {
    for (const [key, rule] of Object.entries(rules)) if (rule.trust === 'userOnly') assert.match(properties[`chatwright.${key}`]?.scope ?? '', /^(machine|application)$/, key);
  });

  it('declares the same minimum, maximum and default for every bounded number', () => {
    for (const [key, rule] of Object.entries(rules)) {
      const setting = properties[`chatwright.${key}`]!;
      if (setting.type === 'number' || setting.type === 'integer') assert.ok(rule.bounds, `${key} is a number without bounds`);
      if (!rule.bounds) continue;
      assert.deepEqual({ minimum: setting.minimum, maximum: setting.maximum, default: setting.default }, { minimum: rule.bounds.min, maximum: rule.bounds.max, default: rule.bounds.fallback }, key);
      assert.equal(setting.type === 'integer', rule.bounds.integer, `${key}: integer in package.json and in the rule`);
    }
  });

  it('documents every setting in docs/settings-trust.md with its scope and trust', () => {
    const doc = readFileSync(join(root, 'docs', 'settings-trust.md'), 'utf8');
    for (const [key, rule] of Object.entries(rules)) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`chatwright.${key}\``));
      assert.ok(row, `docs/settings-trust.md has no row for chatwright.${key}`);
      const cells = row.split('|').map((cell) => cell.trim());
      assert.equal(cells[3], `\`${properties[`chatwright.${key}`]?.scope}\``, `${key}: scope`);
      assert.equal(cells[4], { anywhere: 'no', restricted: 'restricted', userOnly: 'user only' }[rule.trust], `${key}: trust`);
    }
  });
});
