import { jobRules, type FieldRule, type SectionRule } from './jobFields';
import { defaultTarget, distributedStrategies, targetTypes, type ResolvedJobTarget, type ResolvedSlurmTarget } from './jobTarget';

/**
 * The checks on a resolved `target` that the field table's types and bounds cannot state: Slurm's time formats, names
 * that go into `#SBATCH` lines, the memory syntax, extra `#SBATCH` options that would fight the ones Chatwright writes,
 * setup lines that must stay one shell line each, the compute nodes' Python. `jobFile.ts` locates each problem at its
 * field (an item of a list at that item); `python/chatwright_train/config.py` states the same rules with the same
 * paths. Everything here ends up in a generated shell script, so what is refused is refused before anything runs.
 */

/**
 * The Slurm options Chatwright writes into the `sbatch` script itself, or that would fight what it writes: the job file
 * field that sets each instead, or why none may. `what` names the setting in the message when the option list does not.
 * `gpuGresOnly`: only a `--gres` that asks for GPUs (`--gres=gpu:2`) clashes; other generic resources are the user's.
 */
export const slurmOptionsSetByChatwright: readonly { names: readonly string[]; what?: string; use?: string; because?: string; gpuGresOnly?: boolean }[] = [
  { names: ['--output', '-o'], because: "the job writes to the run folder's train.log" },
  { names: ['--error', '-e'], because: "the job writes to the run folder's train.log" },
  { names: ['--open-mode'], because: 'train.log is appended to so resumed runs keep their log' },
  { names: ['--chdir', '-D'], because: 'the job runs in its run folder' },
  { names: ['--parsable'], because: 'Chatwright submits with it' },
  { names: ['--job-name', '-J'], use: "the job file's `name`" },
  { names: ['--nodes', '-N'], use: '`target.slurm.nodes`' },
  { names: ['--gpus-per-node', '--gpus', '-G', '--gpus-per-task'], what: 'the GPUs (--gpus-per-node)', use: '`target.gpus` and `target.slurm.gpu_type`' },
  { names: ['--gres'], what: 'the GPUs (--gpus-per-node)', use: '`target.gpus` and `target.slurm.gpu_type`', gpuGresOnly: true },
  { names: ['--ntasks-per-node', '--ntasks', '-n'], because: 'one task per node starts one process per GPU' },
  { names: ['--cpus-per-task', '-c'], use: '`target.slurm.cpus_per_task`' },
  { names: ['--mem'], use: '`target.slurm.mem`' },
  { names: ['--qos', '-q'], use: '`target.slurm.qos`' },
  { names: ['--export'], because: "sbatch must carry the launch's environment to the job" },
  { names: ['--signal'], use: '`target.slurm.save_before_limit_seconds`' },
  {
    names: ['--requeue', '--no-requeue'],
    because: 'Chatwright writes --no-requeue: a requeued job would run again under the same id while its run looks ended; resume the job instead',
  },
  { names: ['--time', '-t'], use: '`target.slurm.time`' },
  { names: ['--partition', '-p'], use: '`target.slurm.partition`' },
  { names: ['--account', '-A'], use: '`target.slurm.account`' },
];

export interface TargetProblem {
  /** Dotted path of the field, as Python's checker names it. */
  path: string;
  /** For `sbatch` and `setup`: the index of the offending line. */
  index?: number;
  message: string;
}

/** The forms of `--time` that Slurm accepts, as the messages list them. */
export const slurmTimeForms = 'minutes, mm:ss, hh:mm:ss, d-hh, d-hh:mm or d-hh:mm:ss';

/**
 * Seconds in a Slurm time limit, or undefined when the text is not one of Slurm's forms (`man sbatch`, `--time`):
 * minutes, minutes:seconds, hours:minutes:seconds, days-hours, days-hours:minutes, days-hours:minutes:seconds. The
 * leading field may be any size (Slurm reads `90:00` as 90 minutes); the ones after it stay below 60, and hours after
 * days below 24. Slurm itself adds whatever it is given (`1-30` would be 1 day and 30 hours, `10:75` 11 min 15 s), but
 * a field past its unit is far likelier a typo (`1-30` meant as 1 day 30 minutes?) than a wish, so it is refused.
 * The one reading of a Slurm time: `parseSlurmMinutes` (sinfo, scontrol and preflight's MaxTime comparison) and
 * `chatwright_train.config.slurm_time_seconds` agree with it.
 */
export function slurmTimeSeconds(text: string): number | undefined {
  const withDays = /^(\d{1,5})-(\d{1,2})(?::(\d{1,2})(?::(\d{1,2}))?)?$/.exec(text);
  if (withDays) {
    const [days, hours, minutes, seconds] = [1, 2, 3, 4].map((group) => Number(withDays[group] ?? 0)) as [number, number, number, number];
    if (hours >= 24 || minutes >= 60 || seconds >= 60) return undefined;
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
  }
  const plain = /^(\d{1,7})(?::(\d{1,2})(?::(\d{1,2}))?)?$/.exec(text);
  if (!plain) return undefined;
  const parts = plain
    .slice(1)
    .filter((part) => part !== undefined)
    .map(Number);
  if (parts.slice(1).some((part) => part >= 60)) return undefined;
  if (parts.length === 1) return parts[0]! * 60;
  if (parts.length === 2) return parts[0]! * 60 + parts[1]!;
  return (parts[0]! * 60 + parts[1]!) * 60 + parts[2]!;
}

/** Characters a shell or Slurm would read as something other than a name: quotes, expansions, redirections, globs, separators. */
const unsafeNameCharacters = /[\s`$&|;<>()\\'"*?[\]#~!{}=^]/;

/** Why `value` cannot be a Slurm partition, account, QOS or GPU type name; undefined when it can. */
export function slurmNameProblem(value: string, what: string, options: { allowLists?: boolean } = {}): string | undefined {
  if (value.length > 64) return `a ${what} name has at most 64 characters, got ${value.length}`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value) || unsafeNameCharacters.test(value))
    return `'${value}' is not a Slurm ${what} name: no spaces, quotes or shell characters (\` $ & | ; < > ( ) \\ * ? [ ] # ~ ! { } = ^)`;
  if (value.startsWith('-')) return `'${value}' is not a Slurm ${what} name: it would read as an option`;
  if (value.includes(':') || (!options.allowLists && value.includes(','))) return `'${value}' is not a Slurm ${what} name: one name, without ${options.allowLists ? "':'" : "',' or ':'"}`;
  return undefined;
}

/** `--mem`: a whole number with an optional unit K, M, G or T; without a unit Slurm reads megabytes. */
export function slurmMemoryProblem(value: string): string | undefined {
  return /^\d{1,12}[KMGT]?$/i.test(value) ? undefined : `'${value}' is not a Slurm memory size: write a whole number with K, M, G or T (64G, 512M, 1T), or a number of megabytes`;
}

/** Splits an `#SBATCH` line into words as sbatch does: at blanks, keeping quoted text together. */
function sbatchWords(line: string): string[] {
  return line.match(/(?:"[^"]*"|'[^']*'|[^\s"'])+/g) ?? [];
}

/** A line break or a NUL: either would end a line of the generated script early. */
const lineBreak = /[\n\r]|\0/;

/** Why an extra `#SBATCH` option cannot be used, or undefined. */
export function sbatchLineProblem(line: string): string | undefined {
  if (lineBreak.test(line)) return 'an #SBATCH option is one line: no line breaks or NUL characters';
  const text = line.trim();
  if (/^#\s*SBATCH/i.test(text)) return `write the option without the '#SBATCH' prefix: '${text.replace(/^#\s*SBATCH\s*/i, '')}'`;
  if (!text.startsWith('-')) return `'${text}' is not an sbatch option: each line is one option starting with '-' (--mail-type=END)`;
  const words = sbatchWords(text);
  if (words.length > 2 || (words.length === 2 && words[1]!.startsWith('-'))) return `'${text}' holds more than one option: write each on its own line`;
  const word = words[0] ?? text;
  const long = word.startsWith('--') ? word.split('=')[0]! : undefined;
  const value = long !== undefined && word.includes('=') ? word.slice(word.indexOf('=') + 1) : (words[1] ?? '');
  const longNames = slurmOptionsSetByChatwright.flatMap((option) => option.names.filter((name) => name.startsWith('--')));
  // sbatch takes unambiguous abbreviations of long options (`--part`); an option's own name is never an abbreviation (`--gpus`, `--ntasks`).
  const named = (name: string): boolean =>
    name.startsWith('--') ? long !== undefined && (long === name || (long.length >= 5 && name.startsWith(long) && !longNames.includes(long))) : long === undefined && word.startsWith(name);
  for (const { names, what, use, because, gpuGresOnly } of slurmOptionsSetByChatwright) {
    if (!names.some(named)) continue;
    if (gpuGresOnly && !value.split(',').some((resource) => resource.trim().toLowerCase().startsWith('gpu'))) continue;
    return `Chatwright sets ${what ?? names.join('/')} itself${use !== undefined ? `; use ${use}` : ` (${because ?? ''}); leave it out`}`;
  }
  return undefined;
}

/** Why a setup line cannot be used, or undefined: each one is a single shell line of the script. */
export function setupLineProblem(line: string): string | undefined {
  return lineBreak.test(line) ? 'each setup line is one shell line: no line breaks or NUL characters (write several lines as several items)' : undefined;
}

/** `target.slurm.python`: an absolute path on the compute nodes or a command found on their PATH. */
export function slurmPythonProblem(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'must not hold line breaks or control characters';
  if (value.startsWith('/')) return undefined;
  if (/^[A-Za-z0-9._+-]+$/.test(value)) return undefined;
  return `'${value}' must be an absolute path on the compute nodes (/home/me/venv/bin/python) or a command name found on their PATH (python3)`;
}

/** Every problem of a resolved target that its field types do not catch. */
export function targetProblems(target: ResolvedJobTarget): TargetProblem[] {
  const problems: TargetProblem[] = [];
  const { slurm } = target;
  if (target.type === 'local' && target.gpus < 1)
    problems.push({ path: 'target.gpus', message: 'a local job runs at least one process: write 1 or more (0 GPUs, a CPU-only job, is for Slurm targets)' });
  const seconds = slurmTimeSeconds(slurm.time);
  if (seconds === undefined) problems.push({ path: 'target.slurm.time', message: `'${slurm.time}' is not a Slurm time limit: write ${slurmTimeForms} (08:00:00 is eight hours)` });
  else if (seconds === 0) problems.push({ path: 'target.slurm.time', message: 'a time limit of zero asks Slurm for no limit at all; write the limit the job needs' });
  const names: [keyof typeof slurm, string, boolean][] = [
    ['partition', 'partition', true],
    ['account', 'account', false],
    ['qos', 'QOS', false],
    ['gpu_type', 'GPU type', false],
  ];
  for (const [key, what, allowLists] of names) {
    const value = slurm[key];
    if (typeof value !== 'string') continue;
    const problem = slurmNameProblem(value, what, { allowLists });
    if (problem !== undefined) problems.push({ path: `target.slurm.${key}`, message: problem });
  }
  if (slurm.mem !== null) {
    const problem = slurmMemoryProblem(slurm.mem);
    if (problem !== undefined) problems.push({ path: 'target.slurm.mem', message: problem });
  }
  slurm.sbatch.forEach((line, index) => {
    const problem = sbatchLineProblem(line);
    if (problem !== undefined) problems.push({ path: 'target.slurm.sbatch', index, message: problem });
  });
  slurm.setup.forEach((line, index) => {
    const problem = setupLineProblem(line);
    if (problem !== undefined) problems.push({ path: 'target.slurm.setup', index, message: problem });
  });
  if (slurm.python !== null) {
    const problem = slurmPythonProblem(slurm.python);
    if (problem !== undefined) problems.push({ path: 'target.slurm.python', message: problem });
  }
  return problems;
}

/** The bounds of an integer field of `target` in the field table (`gpus`, `main_port`, `slurm.nodes` …). */
function integerBounds(path: readonly string[]): { minimum: number; maximum: number; nullable: boolean } {
  let rule: FieldRule | SectionRule | undefined = jobRules;
  for (const key of path) rule = rule?.kind === 'section' ? rule.fields[key] : undefined;
  if (rule?.kind !== 'integer' || rule.minimum === undefined || rule.maximum === undefined) throw new Error(`the field table has no bounded integer ${path.join('.')}`);
  return { minimum: rule.minimum, maximum: rule.maximum, nullable: rule.nullable === true };
}

/**
 * A resolved target read back from somewhere that may have been edited (RUN/config.json): every field with its type
 * and the field table's bounds, then `targetProblems`, so nothing unchecked reaches a launch plan or an sbatch script.
 * Absent or null: `defaultTarget`. Returns the first problem, with its dotted path, instead when there is one.
 */
export function checkedResolvedTarget(value: unknown): { target: ResolvedJobTarget } | { problem: TargetProblem } {
  if (value === undefined || value === null) return { target: defaultTarget };
  const fail = (path: string, message: string): { problem: TargetProblem } => ({ problem: { path, message } });
  const isSection = (candidate: unknown): candidate is Record<string, unknown> => typeof candidate === 'object' && candidate !== null && !Array.isArray(candidate);
  if (!isSection(value)) return fail('target', 'is not a section');
  const rawSlurm = value['slurm'] ?? {};
  if (!isSection(rawSlurm)) return fail('target.slurm', 'is not a section');
  const field = (section: Record<string, unknown>, key: string, fallback: unknown): unknown => (section[key] === undefined ? fallback : section[key]);
  const integerProblem = (path: readonly string[], candidate: unknown): TargetProblem | undefined => {
    const { minimum, maximum, nullable } = integerBounds(['target', ...path]);
    if (candidate === null && nullable) return undefined;
    if (typeof candidate !== 'number' || !Number.isSafeInteger(candidate) || candidate < minimum || candidate > maximum)
      return { path: ['target', ...path].join('.'), message: `must be a whole number from ${minimum} to ${maximum}${nullable ? ' or null' : ''}` };
    return undefined;
  };
  const type = field(value, 'type', defaultTarget.type);
  if (!(targetTypes as readonly unknown[]).includes(type)) return fail('target.type', `must be one of ${targetTypes.join(', ')}`);
  const strategy = field(value, 'strategy', defaultTarget.strategy);
  if (!(distributedStrategies as readonly unknown[]).includes(strategy)) return fail('target.strategy', `must be one of ${distributedStrategies.join(', ')}`);
  const gpus = field(value, 'gpus', defaultTarget.gpus);
  const mainPort = field(value, 'main_port', defaultTarget.main_port);
  const defaults = defaultTarget.slurm;
  const slurm: Record<string, unknown> = {};
  for (const key of Object.keys(defaults) as (keyof ResolvedSlurmTarget)[]) slurm[key] = field(rawSlurm, key, defaults[key]);
  for (const [path, candidate] of [
    [['gpus'], gpus],
    [['main_port'], mainPort],
    [['slurm', 'nodes'], slurm['nodes']],
    [['slurm', 'cpus_per_task'], slurm['cpus_per_task']],
    [['slurm', 'save_before_limit_seconds'], slurm['save_before_limit_seconds']],
  ] as const) {
    const problem = integerProblem(path, candidate);
    if (problem !== undefined) return { problem };
  }
  if (typeof slurm['time'] !== 'string') return fail('target.slurm.time', 'must be text');
  for (const key of ['partition', 'account', 'qos', 'mem', 'gpu_type', 'python'] as const)
    if (slurm[key] !== null && typeof slurm[key] !== 'string') return fail(`target.slurm.${key}`, 'must be text or null');
  for (const key of ['sbatch', 'setup'] as const) {
    const lines = slurm[key];
    if (!Array.isArray(lines) || !lines.every((line) => typeof line === 'string')) return fail(`target.slurm.${key}`, 'must be a list of lines of text');
  }
  const target: ResolvedJobTarget = {
    type: type as ResolvedJobTarget['type'],
    gpus: gpus as number,
    strategy: strategy as ResolvedJobTarget['strategy'],
    main_port: mainPort as number,
    slurm: slurm as unknown as ResolvedSlurmTarget,
  };
  const [first] = targetProblems(target);
  return first !== undefined ? { problem: first } : { target };
}
