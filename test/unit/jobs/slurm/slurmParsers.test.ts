import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  isAccountingDisabledMessage,
  isInvalidJobIdMessage,
  parseGpuGres,
  parsePartitions,
  parseSacct,
  parseSbatchParsable,
  parseScontrolJobs,
  parseScontrolLine,
  parseSlurmMinutes,
  parseSlurmState,
  parseSqueue,
  slurmErrorText,
  stateOfJob,
} from '../../../../src/core/jobs/slurm/slurmParsers';

const fixtures = join(__dirname, '../../../fixtures/slurm/22.05');
const fixture = (name: string): string => readFileSync(join(fixtures, name), 'utf8');

describe('sbatch --parsable', () => {
  it('reads the job id recorded from sbatch', () => {
    assert.deepEqual(parseSbatchParsable(fixture('recorded-sbatch-parsable.txt')), { jobId: '2' });
  });
  it('reads id;cluster and ignores notes printed before it', () => {
    assert.deepEqual(parseSbatchParsable('sbatch: note: using account nlp\n4242;cluster-a\n'), { jobId: '4242', cluster: 'cluster-a' });
  });
  it('reads no id from anything else', () => {
    assert.equal(parseSbatchParsable(''), undefined);
    assert.equal(parseSbatchParsable('Submitted batch job 12\n'), undefined);
    assert.equal(parseSbatchParsable('12; rm -rf /\n'), undefined);
  });
  it('keeps the reason of a refusal without the "sbatch: error:" prefixes', () => {
    assert.equal(slurmErrorText(fixture('recorded-sbatch-invalid-partition.stderr.txt')), 'invalid partition specified: nosuch; Batch job submission failed: Invalid partition name specified');
  });
});

describe('squeue', () => {
  const { values, problems } = parseSqueue(fixture('recorded-squeue.txt'));
  const byId = new Map(values.map((state) => [state.jobId, state]));

  it('reads every recorded line, array and het ids included', () => {
    assert.deepEqual(problems, []);
    assert.deepEqual([...byId.keys()], ['3', '8_[2-3]', '9+0', '9+1', '2', '4', '8_1', '1']);
  });
  it('reads a held job as pending with its reason and no nodes', () => {
    assert.deepEqual(byId.get('2'), { jobId: '2', state: 'PENDING', reason: 'JobHeldUser', elapsed: '0:00', timeLimit: '5:00', source: 'squeue' });
    assert.equal(byId.get('3')?.reason, 'BeginTime');
    assert.equal(byId.get('1')?.reason, 'PartitionTimeLimit');
  });
  it('reads a running job with its nodes and no reason', () => {
    assert.deepEqual(byId.get('4'), { jobId: '4', state: 'RUNNING', elapsed: '0:07', timeLimit: '5:00', nodes: 'vm', source: 'squeue' });
  });
  it('reports a garbled line and an unknown state instead of failing', () => {
    const parsed = parseSqueue('12|RUNNING|None|0:01|5:00|1|n1\nnot a squeue line\nabc|RUNNING|None|0:01|5:00|1|n1\n13|RESV_DEL_HOLD|None|0:00|5:00|1|(None)\n');
    assert.deepEqual(
      parsed.values.map((state) => [state.jobId, state.state]),
      [
        ['12', 'RUNNING'],
        ['13', 'UNKNOWN'],
      ],
    );
    assert.deepEqual(
      parsed.problems.map((problem) => problem.line),
      [2, 3, 4],
    );
  });
  it('recognises the message for a job squeue no longer knows', () => {
    assert.equal(isInvalidJobIdMessage(fixture('recorded-squeue-invalid-job.stderr.txt')), true);
    assert.equal(isInvalidJobIdMessage('slurm_load_jobs error: Unable to contact slurm controller (connect failure)'), false);
  });
});

describe('sacct', () => {
  it('reads the recorded jobs: exit codes, CANCELLED by, no nodes for pending', () => {
    const { values, problems } = parseSacct(fixture('recorded-sacct.txt'));
    assert.deepEqual(problems, []);
    const byId = new Map(values.map((state) => [state.jobId, state]));
    assert.deepEqual(byId.get('6'), { jobId: '6', state: 'FAILED', exitCode: 3, exitSignal: 0, elapsed: '00:00:01', timeLimit: '00:05:00', nodes: 'vm', source: 'sacct' });
    assert.deepEqual(byId.get('5'), { jobId: '5', state: 'COMPLETED', exitCode: 0, exitSignal: 0, elapsed: '00:00:00', timeLimit: '00:05:00', nodes: 'vm', source: 'sacct' });
    assert.deepEqual(byId.get('13'), { jobId: '13', state: 'CANCELLED', exitCode: 0, exitSignal: 0, elapsed: '00:00:00', source: 'sacct' });
    assert.deepEqual(byId.get('2'), { jobId: '2', state: 'PENDING', reason: 'JobHeldUser', exitCode: 0, exitSignal: 0, elapsed: '00:00:00', source: 'sacct' });
    assert.equal(byId.get('9+1')?.state, 'PENDING');
    assert.equal(byId.get('8_3')?.state, 'PENDING');
  });
  it('skips step lines', () => {
    const { values, problems } = parseSacct(fixture('recorded-sacct-with-steps.txt'));
    assert.deepEqual(problems, []);
    assert.deepEqual(
      values.map((state) => state.jobId),
      ['4', '7'],
    );
  });
  it('reads the failure states written from the man page', () => {
    const { values, problems } = parseSacct(fixture('handwritten-sacct-failure-states.txt'));
    assert.deepEqual(problems, []);
    assert.deepEqual(
      values.map((state) => [state.jobId, state.state, state.exitCode, state.exitSignal]),
      [
        ['101', 'NODE_FAIL', 0, 0],
        ['102', 'OUT_OF_MEMORY', 0, 125],
        ['103', 'PREEMPTED', 0, 15],
        ['104', 'BOOT_FAIL', 0, 0],
        ['105', 'TIMEOUT', 0, 0],
        ['106', 'DEADLINE', 0, 0],
        ['107', 'CANCELLED', 0, 15],
        ['108', 'REQUEUED', 0, 0],
      ],
    );
    assert.equal(values[0]!.nodes, 'gpu[01-02]');
    assert.equal(values[5]!.nodes, undefined);
  });
  it('reports a line with too few fields or a bad exit code', () => {
    const parsed = parseSacct('12|COMPLETED|0:0\n13|FAILED|x:y|None|00:00:01|00:05:00|n1\n');
    assert.deepEqual(
      parsed.values.map((state) => [state.jobId, state.exitCode]),
      [['13', undefined]],
    );
    assert.equal(parsed.problems.length, 2);
  });
  it('recognises the message of a cluster without accounting', () => {
    assert.equal(isAccountingDisabledMessage(fixture('recorded-sacct-accounting-disabled.stderr.txt')), true);
  });
});

describe('scontrol show job', () => {
  it('reads each recorded state with its exit code and reason', () => {
    const read = (name: string) => {
      const { values, problems } = parseScontrolJobs(fixture(name));
      assert.deepEqual(problems, []);
      assert.equal(values.length, 1);
      return values[0]!;
    };
    assert.deepEqual(read('recorded-scontrol-job-pending.txt'), {
      jobId: '2',
      state: 'PENDING',
      reason: 'JobHeldUser',
      exitCode: 0,
      exitSignal: 0,
      elapsed: '00:00:00',
      timeLimit: '00:05:00',
      source: 'scontrol',
    });
    assert.deepEqual(read('recorded-scontrol-job-running.txt'), {
      jobId: '4',
      state: 'RUNNING',
      exitCode: 0,
      exitSignal: 0,
      elapsed: '00:00:07',
      timeLimit: '00:05:00',
      nodes: 'vm',
      source: 'scontrol',
    });
    assert.equal(read('recorded-scontrol-job-completed.txt').state, 'COMPLETED');
    assert.deepEqual(
      [read('recorded-scontrol-job-failed.txt').state, read('recorded-scontrol-job-failed.txt').exitCode, read('recorded-scontrol-job-failed.txt').reason],
      ['FAILED', 3, 'NonZeroExitCode'],
    );
    assert.equal(read('recorded-scontrol-job-cancelled.txt').state, 'CANCELLED');
    assert.equal(read('recorded-scontrol-job-signalled.txt').exitCode, 3);
  });
  it('names array tasks and het components as squeue does', () => {
    const { values } = parseScontrolJobs(
      'JobId=13 ArrayJobId=12 ArrayTaskId=1 JobName=a JobState=RUNNING Reason=None\nJobId=12 ArrayJobId=12 ArrayTaskId=2-3 JobName=a JobState=PENDING Reason=Resources\nJobId=21 HetJobId=20 HetJobOffset=1 JobState=PENDING\n',
    );
    assert.deepEqual(
      values.map((state) => state.jobId),
      ['12_1', '12_[2-3]', '20+1'],
    );
  });
  it('keeps a value with spaces up to the next key', () => {
    const fields = parseScontrolLine('JobId=7 Comment=two words here JobState=RUNNING Command=/a b/run.sh WorkDir=/x');
    assert.equal(fields.get('Comment'), 'two words here');
    assert.equal(fields.get('JobState'), 'RUNNING');
    assert.equal(fields.get('Command'), '/a b/run.sh');
  });
  it('reports a line without JobId or JobState', () => {
    const parsed = parseScontrolJobs('garbage\nJobId=5 JobState=COMPLETED ExitCode=0:0\n');
    assert.deepEqual(
      parsed.values.map((state) => state.jobId),
      ['5'],
    );
    assert.equal(parsed.problems[0]?.line, 1);
  });
});

describe('states and times', () => {
  it('reads state words', () => {
    assert.equal(parseSlurmState('CANCELLED by 0'), 'CANCELLED');
    assert.equal(parseSlurmState('CANCELLED+'), 'CANCELLED');
    assert.equal(parseSlurmState('running'), 'RUNNING');
    assert.equal(parseSlurmState('NOT_A_STATE'), undefined);
  });
  it('reads Slurm times in minutes, seconds rounded up', () => {
    const cases: [string, number | null | undefined][] = [
      ['5:00', 5],
      ['00:05:00', 5],
      ['1:00', 1],
      ['90', 90],
      ['1-00:00:00', 1440],
      ['2-12', 3600],
      ['2-12:30', 3630],
      ['08:00:00', 480],
      ['0:30', 1],
      ['36:00:00', 2160],
      ['infinite', null],
      ['UNLIMITED', null],
      ['1:75', undefined],
      ['soon', undefined],
      ['', undefined],
    ];
    for (const [text, minutes] of cases) assert.equal(parseSlurmMinutes(text), minutes, text);
  });
  it('reads GPUs and their types from gres', () => {
    assert.deepEqual(parseGpuGres('gpu:a100:8(S:0-1)'), { gpus: 8, types: ['a100'] });
    assert.deepEqual(parseGpuGres('gpu:v100:2,mps:200'), { gpus: 2, types: ['v100'] });
    assert.deepEqual(parseGpuGres('gpu:4'), { gpus: 4, types: [] });
    assert.deepEqual(parseGpuGres('gpu:a100:4(S:0),gpu:v100:2(S:1)'), { gpus: 6, types: ['a100', 'v100'] });
    assert.deepEqual(parseGpuGres('(null)'), { gpus: 0, types: [] });
  });
  it('gives an array or het job asked for by its base id one state', () => {
    const { values } = parseSqueue(fixture('recorded-squeue.txt'));
    assert.equal(stateOfJob('8', values)?.state, 'RUNNING');
    assert.equal(stateOfJob('8', values)?.jobId, '8');
    assert.equal(stateOfJob('9', values)?.state, 'PENDING');
    assert.equal(stateOfJob('99', values), undefined);
  });
});

describe('partitions', () => {
  it('reads the recorded partitions of the test cluster', () => {
    const { values, problems } = parsePartitions(fixture('recorded-sinfo.txt'), fixture('recorded-scontrol-partitions.txt'));
    assert.deepEqual(problems, []);
    assert.deepEqual(values, [
      {
        name: 'debug',
        up: true,
        isDefault: true,
        maxTime: '00:05:00',
        maxTimeMinutes: 5,
        nodes: 1,
        gpusPerNode: 0,
        gpuTypes: [],
        cpusPerNode: 2,
        memoryMbPerNode: 17388,
        maxNodes: null,
        allowAccounts: null,
      },
      {
        name: 'short',
        up: true,
        isDefault: false,
        maxTime: '00:01:00',
        maxTimeMinutes: 1,
        nodes: 1,
        gpusPerNode: 0,
        gpuTypes: [],
        cpusPerNode: 2,
        memoryMbPerNode: 17388,
        maxNodes: 1,
        allowAccounts: null,
      },
    ]);
  });
  it('reads GPU partitions: node groups summed, limits, accounts, down', () => {
    const { values, problems } = parsePartitions(fixture('handwritten-sinfo-gpu.txt'), fixture('handwritten-scontrol-partitions-gpu.txt'));
    assert.deepEqual(problems, []);
    const byName = new Map(values.map((partition) => [partition.name, partition]));
    assert.deepEqual(byName.get('gpu'), {
      name: 'gpu',
      up: true,
      isDefault: true,
      maxTime: '1-00:00:00',
      maxTimeMinutes: 1440,
      nodes: 16,
      gpusPerNode: 8,
      gpuTypes: ['a100'],
      cpusPerNode: 64,
      memoryMbPerNode: 512000,
      maxNodes: 4,
      allowAccounts: null,
    });
    assert.equal(byName.get('v100')?.maxTimeMinutes, null);
    assert.equal(byName.get('v100')?.gpusPerNode, 2);
    assert.equal(byName.get('cpu')?.up, false);
    assert.deepEqual(byName.get('lab')?.allowAccounts, ['nlp-lab', 'vision']);
    assert.equal(byName.get('lab')?.maxTimeMinutes, 7 * 1440);
  });
  it('works from sinfo alone and reports lines it cannot read', () => {
    const { values, problems } = parsePartitions('gpu*|up|4:00:00|2|gpu:2|8|1000\nbroken\n', '');
    assert.equal(values.length, 1);
    assert.equal(values[0]?.maxTimeMinutes, 240);
    assert.equal(problems.length, 1);
  });
});
