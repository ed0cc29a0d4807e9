import { parseArgs } from 'node:util';
import { type ChatTurn } from '../../core/text/chatTurn';
import { InferenceEngine } from '../../core/inference/inferenceEngine';
import { ExitCode, UsageError, type CliCommand } from '../io';
import { decimal, engineArgOptions, engineSettings, engineUsage, integer, modelArgs, readAll } from './engineOptions';

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'Chat with a local ONNX model: streams the answer to stdout, stats to stderr',
  usage: `chatwright run --model <id|path> [options] "prompt"

Streams the model's answer to a chat prompt to stdout as it is generated, then prints statistics (prompt tokens,
time to first token, tokens/s, why it stopped) to stderr. The prompt is the arguments, or stdin when none is given.
Ctrl-C stops the answer after the current token.

Options:
${engineUsage}
  --system <text>        a system message before the prompt
  --max-tokens <n>       most tokens to generate (default: the model's generation_config, else 512)
  --temperature <t>      0 = greedy; default from the model's generation_config
  --top-k <k>, --top-p <p>, --min-p <p>, --repetition-penalty <r>
  --seed <n>             reproducible sampling
  --stop <text>          stop before this text (repeatable)
  --no-thinking          pass enable_thinking=false to the chat template (Qwen3 and similar)
  --json                 print one JSON object {text, stats} at the end instead of streaming`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...engineArgOptions,
        system: { type: 'string' },
        'max-tokens': { type: 'string' },
        temperature: { type: 'string' },
        'top-k': { type: 'string' },
        'top-p': { type: 'string' },
        'min-p': { type: 'string' },
        'repetition-penalty': { type: 'string' },
        seed: { type: 'string' },
        stop: { type: 'string', multiple: true },
        'no-thinking': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    });
    const { model, dtype } = modelArgs(values, io.cwd);
    const settings = engineSettings(values);
    const prompt = positionals.length > 0 ? positionals.join(' ') : (await readAll(io.stdin)).trim();
    if (!prompt) throw new UsageError('give a prompt as arguments or on stdin');
    const messages: ChatTurn[] = [];
    if (values.system) messages.push({ role: 'system', content: values.system });
    messages.push({ role: 'user', content: prompt });
    const options = {
      ...(values['max-tokens'] !== undefined ? { maxNewTokens: integer('--max-tokens', values['max-tokens'], 0) } : {}),
      ...defined('temperature', decimal('--temperature', values.temperature)),
      ...defined('topK', decimal('--top-k', values['top-k'])),
      ...defined('topP', decimal('--top-p', values['top-p'])),
      ...defined('minP', decimal('--min-p', values['min-p'])),
      ...defined('repetitionPenalty', decimal('--repetition-penalty', values['repetition-penalty'])),
      ...(values.seed !== undefined ? { seed: integer('--seed', values.seed, 0) } : {}),
      ...(values.stop ? { stop: values.stop } : {}),
      ...(values['no-thinking'] ? { templateVariables: { enable_thinking: false } } : {}),
    };

    const engine = new InferenceEngine(settings, {}, io.env);
    const controller = new AbortController();
    const onInterrupt = (): void => controller.abort();
    process.once('SIGINT', onInterrupt);
    try {
      const generator = await engine.generator(model, dtype);
      if (generator.fallbackReason) io.stderr.write(`${generator.fallbackReason}\n`);
      const result = await generator.generate(messages, options, values.json ? undefined : (delta) => io.stdout.write(delta), controller.signal);
      const { stats } = result;
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ model: generator.modelKey, text: result.text, stats })}\n`);
      } else {
        io.stdout.write('\n');
        io.stderr.write(
          `${stats.promptTokens} prompt tokens, ${stats.generatedTokens} generated (${stats.finishReason}); first token after ${Math.round(stats.timeToFirstTokenMs)} ms, ${stats.tokensPerSecond.toFixed(1)} tokens/s on ${stats.provider.toUpperCase()}\n`,
        );
      }
      return ExitCode.ok;
    } finally {
      process.removeListener('SIGINT', onInterrupt);
      await engine.dispose();
    }
  },
};

function defined<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}
