import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readBoundedText } from '../../core/files/boundedRead';
import { cliWorkspaceRoot } from '../../core/prompts/promptyFile';
import { type RenderedPrompt } from '../../core/prompts/renderPrompt';
import { RenderFailure } from '../../core/prompts/renderErrors';
import { defaultRenderWorkerScript, RenderSandbox } from '../../core/prompts/renderSandbox';
import { describeFileNameError, escapeControlCharacters, escapeFileName } from '../../core/files/fileNames';
import { ExitCode, UsageError, type CliCommand } from '../io';

/** `name=value`: the value is JSON when it parses as JSON (numbers, lists, objects), else the text as is. */
export function parseInputAssignment(assignment: string): [string, unknown] {
  const equals = assignment.indexOf('=');
  if (equals <= 0) throw new UsageError(`--input needs name=value, got '${assignment}'`);
  const name = assignment.slice(0, equals);
  const raw = assignment.slice(equals + 1);
  if (!/^[A-Za-z_][\w]*$/.test(name)) throw new UsageError(`'${name}' is not a variable name`);
  try {
    const value: unknown = JSON.parse(raw);
    return [name, typeof value === 'object' || typeof value === 'number' || typeof value === 'boolean' ? value : raw];
  } catch {
    return [name, raw];
  }
}

function formatMessages(rendered: RenderedPrompt): string {
  return rendered.messages
    .map((message) => `${message.role}:${message.source === 'example' ? '  (example)' : ''}${message.tokens !== undefined ? `  [${message.tokens} tokens]` : ''}\n${message.content}\n`)
    .join('\n');
}

export const renderCommand: CliCommand = {
  name: 'render',
  summary: 'Render a .prompty template: the messages, or the exact prompt string a model receives',
  usage: `chatwright render <file.prompty> [options]

Renders the template with its sample inputs (overridden by --input), inserts its few-shot examples, and prints
the prompt string the model receives when the model (the template's, or --model) is in the local Hugging Face cache
or a folder with a chat template; otherwise the messages. Rendering runs in a sandbox with a time limit.

Options:
  --input name=value     set an input (repeatable); JSON values (numbers, lists, objects) are parsed
  --inputs <file.json>   set inputs from a JSON object
  --model <id|path>      apply this model's chat template and count its tokens
  --output <what>        prompt (default when a chat template is known), messages, or json
  --timeout <ms>         stop a render that runs longer (default 5000)
  --show-env             print the values of \${env:NAME} references (shown as «env:NAME» by default)

Exit codes: 0 rendered, 1 the template cannot be rendered, 2 usage error or a model whose chat template fails.`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        input: { type: 'string', multiple: true, default: [] },
        inputs: { type: 'string' },
        model: { type: 'string' },
        output: { type: 'string' },
        timeout: { type: 'string' },
        'show-env': { type: 'boolean', default: false },
      },
    });
    if (positionals.length !== 1) throw new UsageError('render needs exactly one .prompty file');
    const output = values.output;
    if (output !== undefined && !['prompt', 'messages', 'json'].includes(output)) throw new UsageError(`--output must be prompt, messages or json, got '${output}'`);
    const timeout = values.timeout === undefined ? 5000 : Number(values.timeout);
    if (!Number.isFinite(timeout) || timeout < 100) throw new UsageError(`--timeout needs a number of milliseconds (at least 100), got '${values.timeout}'`);
    const file = positionals[0]!;
    const path = resolve(io.cwd, file);
    let text: string;
    try {
      text = await readBoundedText(path, { kind: 'template' });
    } catch (error) {
      io.stderr.write(`${escapeFileName(file)}: cannot read: ${describeFileNameError(file, error)}\n`);
      return ExitCode.usage;
    }
    const inputs: Record<string, unknown> = {};
    if (values.inputs) {
      try {
        const parsed: unknown = JSON.parse(await readBoundedText(resolve(io.cwd, values.inputs), { kind: 'template' }));
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('it must hold a JSON object of name → value');
        Object.assign(inputs, parsed);
      } catch (error) {
        throw new UsageError(`--inputs ${values.inputs}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    for (const assignment of values.input) {
      const [name, value] = parseInputAssignment(assignment);
      inputs[name] = value;
    }
    const model = values.model === undefined ? undefined : /^\.{0,2}[\\/]/.test(values.model) ? resolve(io.cwd, values.model) : values.model;
    const sandbox = new RenderSandbox({ workerScript: defaultRenderWorkerScript(), timeoutMs: timeout });
    try {
      const rendered = await sandbox.render({
        text,
        templatePath: path,
        workspaceRoots: [cliWorkspaceRoot(path, io.cwd)],
        inputs,
        ...(model !== undefined ? { model } : {}),
        env: { ...io.env },
        showEnv: values['show-env'],
      });
      for (const warning of rendered.warnings) io.stderr.write(`${escapeFileName(file)}: warning: ${escapeControlCharacters(warning)}\n`);
      if (rendered.environmentVariables && !values['show-env'])
        io.stderr.write(`${escapeFileName(file)}: note: read from the environment: ${rendered.environmentVariables.join(', ')} (shown as «env:NAME»; --show-env prints the values)\n`);
      if (output === 'json') io.stdout.write(`${JSON.stringify(rendered, null, 2)}\n`);
      else if (output === 'messages' || rendered.prompt === undefined) {
        if (output === 'prompt' && rendered.modelHint) io.stderr.write(`${escapeFileName(file)}: ${escapeControlCharacters(rendered.modelHint)}\n`);
        io.stdout.write(formatMessages(rendered));
      } else io.stdout.write(rendered.prompt.endsWith('\n') ? rendered.prompt : `${rendered.prompt}\n`);
      if (rendered.totalTokens !== undefined) io.stderr.write(`${rendered.totalTokens} tokens${rendered.model?.contextWindow ? ` of a ${rendered.model.contextWindow}-token context window` : ''}\n`);
      return ExitCode.ok;
    } catch (error) {
      io.stderr.write(`${escapeFileName(file)}: cannot render: ${escapeControlCharacters(error instanceof Error ? error.message : String(error))}\n`);
      // The model named by --model (or the template) is the input at fault, not the template being rendered.
      return error instanceof RenderFailure && error.origin === 'model' ? ExitCode.usage : ExitCode.findings;
    } finally {
      await sandbox.dispose();
    }
  },
};
