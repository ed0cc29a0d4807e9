import '../../support/vscodeStub';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import * as vscode from 'vscode';
import { askJobTarget } from '../../../src/host/jobs/newJobWizard';

interface Pick {
  label: string;
  id?: string;
}
interface InputOptions {
  title?: string;
  value?: string;
  validateInput?: (text: string) => string | undefined;
}

/** Answers the wizard's pickers and input boxes in order: a label to pick, a text to type, or undefined (Escape). */
function answer(script: (string | undefined)[]): { asked: string[]; refusals: Record<string, string | undefined> } {
  const asked: string[] = [];
  const refusals: Record<string, string | undefined> = {};
  const window = vscode.window as unknown as Record<string, unknown>;
  window.showQuickPick = (items: Pick[], options: { title: string }) => {
    asked.push(options.title);
    const label = script.shift();
    return Promise.resolve(label === undefined ? undefined : items.find((item) => item.label === label));
  };
  window.showInputBox = (options: InputOptions) => {
    asked.push(options.title ?? '');
    const text = script.shift();
    refusals[options.title ?? ''] = options.validateInput?.('x y');
    if (text !== undefined) assert.equal(options.validateInput?.(text), undefined, `${options.title}: ${text} is refused`);
    return Promise.resolve(text);
  };
  return { asked, refusals };
}

afterEach(() => {
  const window = vscode.window as unknown as Record<string, unknown>;
  delete window.showQuickPick;
  delete window.showInputBox;
});

describe('the New Job wizard: where will it run?', () => {
  it('this machine asks nothing more and writes no target', async () => {
    const { asked } = answer(['This machine']);
    assert.equal(await askJobTarget('T'), 'this machine');
    assert.deepEqual(asked, ['T: where will it run?']);
  });

  it('several GPUs asks how many and the strategy', async () => {
    answer(['This machine on several GPUs', '4', 'deepspeed_zero3']);
    assert.deepEqual(await askJobTarget('T'), { type: 'local', gpus: 4, strategy: 'deepspeed_zero3' });
  });

  it('a Slurm cluster asks partition, nodes, GPUs per node, time, then the strategy for several processes', async () => {
    const { asked } = answer(['A Slurm cluster', 'gpu', '2', '4', '1-12:00:00', 'fsdp']);
    assert.deepEqual(await askJobTarget('T'), { type: 'slurm', gpus: 4, strategy: 'fsdp', nodes: 2, time: '1-12:00:00', partition: 'gpu' });
    assert.deepEqual(asked, ['T: where will it run?', 'T: Slurm partition', 'T: nodes', 'T: GPUs per node', 'T: time limit', 'T: strategy']);
  });

  it('a Slurm job of one process on the default partition asks no strategy and leaves the partition to the cluster', async () => {
    const { asked, refusals } = answer(['A Slurm cluster', '', '1', '0', '30']);
    assert.deepEqual(await askJobTarget('T'), { type: 'slurm', gpus: 0, strategy: 'ddp', nodes: 1, time: '30' });
    assert.ok(!asked.includes('T: strategy'));
    assert.ok(refusals['T: Slurm partition'], 'a partition with a space is refused');
    assert.ok(refusals['T: time limit'], 'a time Slurm cannot read is refused');
  });

  it('Escape at any step ends the wizard', async () => {
    answer(['A Slurm cluster', 'gpu', '2', undefined]);
    assert.equal(await askJobTarget('T'), undefined);
    answer([undefined]);
    assert.equal(await askJobTarget('T'), undefined);
  });
});
