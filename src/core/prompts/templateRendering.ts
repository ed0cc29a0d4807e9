import { Environment, Interpreter, parse, tokenize } from '@huggingface/jinja';
import { renderMustache } from './mustacheAnalysis';
import { type TemplateFormat } from './promptyDocument';

type RuntimeValue = { type: string; value: unknown };
type Evaluate = (statement: unknown, environment: Environment) => RuntimeValue;

/**
 * An interpreter with Jinja2's default (lenient) undefined: a loop over a missing variable renders nothing, as in
 * Python's Jinja2 (Prompty's renderer), where @huggingface/jinja would throw. Everything else is the library's.
 */
class PromptInterpreter extends Interpreter {
  private readonly loopIterables = new WeakSet<object>();

  constructor(environment: Environment) {
    super(environment);
    const base = (Interpreter.prototype as unknown as { evaluate: Evaluate }).evaluate;
    (this as unknown as { evaluate: Evaluate }).evaluate = (statement, environment) => {
      const node = statement as { type?: string; iterable?: { type?: string; lhs?: object } } | undefined;
      if (node?.type === 'For' && node.iterable) this.loopIterables.add(node.iterable.type === 'SelectExpression' && node.iterable.lhs ? node.iterable.lhs : node.iterable);
      const value = base.call(this, statement, environment);
      if (statement && this.loopIterables.has(statement) && (value.type === 'UndefinedValue' || value.type === 'NullValue')) {
        return base.call(this, { type: 'ArrayLiteral', value: [] }, environment);
      }
      return value;
    };
  }
}

/**
 * A range longer than this is refused: a prompt never needs it, and a huge array can hit V8's array-size limit,
 * which aborts the whole process (not just the worker) instead of throwing.
 */
export const maxRangeLength = 1_000_000;

function range(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new Error('range() step must not be zero');
  const length = Math.ceil((stop - start) / step);
  if (!Number.isFinite(length) || length > maxRangeLength) throw new Error(`range() of ${Number.isFinite(length) ? length.toLocaleString('en') : 'unbounded'} items is over the limit of ${maxRangeLength.toLocaleString('en')}.`);
  const result: number[] = [];
  if (step > 0) for (let i = start; i < stop; i += step) result.push(i);
  else for (let i = start; i > stop; i += step) result.push(i);
  return result;
}

/**
 * Renders a Prompty body with Jinja2's defaults (no trim_blocks/lstrip_blocks, unlike chat templates) or Mustache
 * (no HTML escaping). Values are plain JSON-like data.
 */
export function renderTemplateBody(body: string, format: TemplateFormat, values: Record<string, unknown>): string {
  if (format === 'mustache') return renderMustache(body, values);
  const program = parse(tokenize(body, {}));
  const environment = new Environment();
  const globals: Record<string, unknown> = {
    false: false,
    true: true,
    none: null,
    False: false,
    True: true,
    None: null,
    range,
    raise_exception: (message: unknown) => {
      throw new Error(String(message));
    },
  };
  for (const [name, value] of Object.entries({ ...globals, ...values })) {
    if (value !== undefined) environment.set(name, value);
  }
  const result = new PromptInterpreter(environment).run(program) as RuntimeValue;
  return String(result.value);
}
