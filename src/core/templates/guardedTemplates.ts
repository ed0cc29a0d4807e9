import { Environment, Interpreter, parse, tokenize } from '@huggingface/jinja';
import Mustache from 'mustache';

/**
 * Limits on one template render. Every Jinja or Mustache render in core goes through this module — prompt bodies
 * and models' chat templates alike — so a hostile template fails with a `TemplateBudgetError` instead of freezing
 * its thread or aborting the process (V8 aborts, it does not throw, on an array over its size limit).
 */
export interface TemplateBudgets {
  /** Wall-clock time of one render, checked as it runs. */
  timeMs: number;
  /** Loop iterations of the whole render (Jinja `for` items, Mustache section passes), nested loops multiplied. */
  maxLoopIterations: number;
  /** Characters of any one value, the output included. */
  maxOutputChars: number;
  /** Items of any one list a template builds. */
  maxItems: number;
  /** Nesting of evaluation (macros calling macros); deep enough for any real template. */
  maxDepth: number;
}

export const defaultTemplateBudgets: Readonly<TemplateBudgets> = {
  timeMs: 5000,
  maxLoopIterations: 200_000,
  maxOutputChars: 4_000_000,
  maxItems: 1_000_000,
  maxDepth: 400,
};

/** A range longer than this is refused: a prompt never needs one, and building it is what used to abort the process. */
export const maxRangeLength = 1_000_000;

export class TemplateBudgetError extends Error {
  constructor(
    readonly budget: keyof TemplateBudgets | 'range',
    message: string,
  ) {
    super(message);
    this.name = 'TemplateBudgetError';
  }
}

function count(n: number): string {
  return n.toLocaleString('en');
}

/** Tracks one render's use of its budgets. */
class BudgetMeter {
  private readonly started = performance.now();
  private steps = 0;
  private iterations = 0;
  depth = 0;

  constructor(readonly budgets: TemplateBudgets) {}

  step(): void {
    // performance.now() costs little, but not nothing: every 256th step is often enough for a millisecond budget.
    if ((++this.steps & 255) === 0) this.checkTime();
  }

  checkTime(): void {
    if (performance.now() - this.started > this.budgets.timeMs) {
      throw new TemplateBudgetError('timeMs', `Rendering stopped after ${this.budgets.timeMs} ms: the template runs too long (a huge loop or runaway recursion?).`);
    }
  }

  loop(items: number): void {
    this.iterations += items;
    if (this.iterations > this.budgets.maxLoopIterations) {
      throw new TemplateBudgetError('maxLoopIterations', `Rendering stopped: the template runs over ${count(this.budgets.maxLoopIterations)} loop iterations (a huge or nested loop?).`);
    }
    this.checkTime();
  }

  text(length: number): void {
    if (length > this.budgets.maxOutputChars) {
      throw new TemplateBudgetError('maxOutputChars', `Rendering stopped: the template makes text over ${count(this.budgets.maxOutputChars)} characters long (text that doubles in a loop?).`);
    }
  }

  list(length: number): void {
    if (length > this.budgets.maxItems) throw new TemplateBudgetError('maxItems', `Rendering stopped: the template makes a list of over ${count(this.budgets.maxItems)} items.`);
  }

  enter(): void {
    if (++this.depth > this.budgets.maxDepth) throw new TemplateBudgetError('maxDepth', 'Rendering stopped: the template nests too deeply (a macro that calls itself without end?).');
  }
}

function budgetsOf(overrides: Partial<TemplateBudgets> | undefined): TemplateBudgets {
  return { ...defaultTemplateBudgets, ...overrides };
}

/** Python's `range`, refusing lengths over `maxRangeLength` before building anything. */
export function cappedRange(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new Error('range() step must not be zero');
  const length = Math.ceil((stop - start) / step);
  if (!Number.isFinite(length) || length > maxRangeLength) {
    throw new TemplateBudgetError('range', `range() of ${Number.isFinite(length) ? count(length) : 'unbounded'} items is over the limit of ${count(maxRangeLength)}.`);
  }
  const result: number[] = [];
  if (step > 0) for (let i = start; i < stop; i += step) result.push(i);
  else for (let i = start; i > stop; i += step) result.push(i);
  return result;
}

/** @huggingface/jinja's `strftime_now` (not exported by the package), so chat templates keep their globals. */
function strftimeNow(format: string): string {
  const date = new Date();
  const pad2 = (n: number): string => (n < 10 ? `0${n}` : n.toString());
  return format.replace(/%[YmdbBHM%]/g, (token) => {
    switch (token) {
      case '%Y':
        return date.getFullYear().toString();
      case '%m':
        return pad2(date.getMonth() + 1);
      case '%d':
        return pad2(date.getDate());
      case '%b':
        return new Intl.DateTimeFormat(undefined, { month: 'short' }).format(date);
      case '%B':
        return new Intl.DateTimeFormat(undefined, { month: 'long' }).format(date);
      case '%H':
        return pad2(date.getHours());
      case '%M':
        return pad2(date.getMinutes());
      default:
        return '%';
    }
  });
}

type RuntimeValue = { type: string; value: unknown };
type Evaluate = (statement: unknown, environment: Environment) => RuntimeValue;
type Program = ReturnType<typeof parse>;

/**
 * The library's interpreter with every node evaluation metered: time, loop items (charged when a `for` has its
 * iterable in hand, before it iterates), the length of every string and list, and nesting depth. Optionally with
 * Jinja2's default (lenient) undefined: a loop over a missing variable renders nothing, as in Python's Jinja2
 * (Prompty's renderer), where @huggingface/jinja would throw.
 */
class GuardedInterpreter extends Interpreter {
  constructor(environment: Environment, meter: BudgetMeter, lenientUndefined: boolean) {
    super(environment);
    const base = (Interpreter.prototype as unknown as { evaluate: Evaluate }).evaluate;
    const loopIterables = new WeakSet<object>();
    (this as unknown as { evaluate: Evaluate }).evaluate = (statement, scope) => {
      meter.step();
      meter.enter();
      try {
        const node = statement as { type?: string; iterable?: { type?: string; lhs?: object } } | undefined;
        if (node?.type === 'For' && node.iterable) loopIterables.add(node.iterable.type === 'SelectExpression' && node.iterable.lhs ? node.iterable.lhs : node.iterable);
        let value = base.call(this, statement, scope);
        if (statement && loopIterables.has(statement)) {
          if (lenientUndefined && (value.type === 'UndefinedValue' || value.type === 'NullValue')) value = base.call(this, { type: 'ArrayLiteral', value: [] }, scope);
          if (Array.isArray(value.value)) meter.loop(value.value.length);
          else if (value.value instanceof Map) meter.loop(value.value.size);
        }
        if (typeof value.value === 'string') meter.text(value.value.length);
        else if (Array.isArray(value.value)) meter.list(value.value.length);
        return value;
      } finally {
        meter.depth--;
      }
    };
  }
}

function jinjaGlobals(): Record<string, unknown> {
  return {
    false: false,
    true: true,
    none: null,
    False: false,
    True: true,
    None: null,
    range: cappedRange,
    raise_exception: (message: unknown) => {
      throw new Error(String(message));
    },
    strftime_now: strftimeNow,
  };
}

export interface GuardedJinjaOptions {
  /**
   * Chat-template whitespace (`trim_blocks` and `lstrip_blocks`, as transformers and @huggingface/jinja's `Template`
   * render chat templates); prompt bodies use Jinja2's defaults (neither).
   */
  chatTemplate?: boolean;
  /** Jinja2's lenient undefined for loops (prompt bodies); chat templates keep the library's strict one. */
  lenientUndefined?: boolean;
}

/** A Jinja template parsed once, rendered under budgets as often as needed. */
export class GuardedJinjaTemplate {
  private readonly program: Program;

  constructor(
    source: string,
    private readonly options: GuardedJinjaOptions = {},
  ) {
    this.program = parse(tokenize(source, options.chatTemplate ? { lstrip_blocks: true, trim_blocks: true } : {}));
  }

  render(values: Record<string, unknown>, budgets?: Partial<TemplateBudgets>): string {
    const meter = new BudgetMeter(budgetsOf(budgets));
    const environment = new Environment();
    for (const [name, value] of Object.entries({ ...jinjaGlobals(), ...values })) {
      if (value !== undefined) environment.set(name, value);
    }
    const result = new GuardedInterpreter(environment, meter, this.options.lenientUndefined === true).run(this.program) as RuntimeValue;
    return String(result.value);
  }
}

type MustacheContext = InstanceType<typeof Mustache.Context>;
type RenderTokens = (tokens: unknown[], context: MustacheContext, partials?: unknown, originalTemplate?: string, config?: unknown) => string;

/**
 * Renders Mustache without HTML escaping (prompts are plain text), metered like Jinja: each pass over a section's
 * tokens counts as a loop iteration, so sections nested over the same list cannot multiply without bound.
 */
export function renderGuardedMustache(template: string, view: Record<string, unknown>, budgets?: Partial<TemplateBudgets>): string {
  const meter = new BudgetMeter(budgetsOf(budgets));
  const writer = new Mustache.Writer();
  const base = (Mustache.Writer.prototype as unknown as { renderTokens: RenderTokens }).renderTokens;
  (writer as unknown as { renderTokens: RenderTokens }).renderTokens = function (this: unknown, ...args) {
    meter.loop(1);
    meter.enter();
    try {
      const text = base.apply(this, args);
      meter.text(text.length);
      return text;
    } finally {
      meter.depth--;
    }
  };
  const output = writer.render(template, view, undefined, { escape: (value: unknown) => String(value) });
  meter.text(output.length);
  return output;
}
