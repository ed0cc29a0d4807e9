import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectRowFormat } from '../../../src/core/datasets/formats';
import { convertLineToMessages } from '../../../src/core/datasets/rowAnalysis';
import { renderForCounting } from '../../../src/core/datasets/tokenCount';
import { validateDataset, validateDatasetText, type DatasetFinding } from '../../../src/core/datasets/validateDataset';

/** Applies a finding's fix to the text, as an editor would. */
function applyFix(text: string, finding: DatasetFinding): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((sum, line) => sum + line.length + 1, 0) + p.character;
  const edits = [...finding.fix!.edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let result = text;
  for (const edit of edits) result = result.slice(0, offset(edit.range.start)) + edit.newText + result.slice(offset(edit.range.end));
  return result;
}

const chat = (i: number) =>
  JSON.stringify({
    messages: [
      { role: 'user', content: `Question ${i}?` },
      { role: 'assistant', content: `Answer ${i}.` },
    ],
  });
const padded = (...rows: string[]) => [...rows, ...Array.from({ length: 10 }, (_, i) => chat(i))].join('\n') + '\n';

describe('format detection', () => {
  const cases: [string, unknown][] = [
    ['messages', { messages: [] }],
    ['prompt-completion', { prompt: 'a', completion: 'b' }],
    ['conversational-prompt-completion', { prompt: [{ role: 'user', content: 'a' }], completion: [{ role: 'assistant', content: 'b' }] }],
    ['text', { text: 'a', id: 3 }],
    ['preference', { chosen: 'a', rejected: 'b' }],
    ['preference', { prompt: 'q', chosen: 'a', rejected: 'b' }],
    ['unpaired-preference', { prompt: 'q', completion: 'a', label: true }],
    ['alpaca', { instruction: 'a', input: '', output: 'b' }],
    ['sharegpt', { conversations: [{ from: 'human', value: 'a' }] }],
    ['segments', { segments: [{ text: 'a', label: true }] }],
  ];
  for (const [format, row] of cases) {
    it(`detects ${format} from ${JSON.stringify(row)}`, () => assert.equal(detectRowFormat(row as Record<string, unknown>), format));
  }
  it('does not take a log line with a `text` field for training data', () => {
    assert.equal(detectRowFormat({ text: 'served', level: 'info', ts: 1 }), undefined);
  });
});

describe('OpenAI chat checks', () => {
  it('accepts an assistant tool call without content, a matching tool result, and ending on the call', () => {
    const row = JSON.stringify({
      messages: [
        { role: 'system', content: 'Control the drone.' },
        { role: 'user', content: 'Take off' },
        { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'takeoff', arguments: '{"altitude": 100}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'ok' },
        { role: 'assistant', tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'land', arguments: '{}' } }] },
      ],
      tools: [{ type: 'function', function: { name: 'takeoff', parameters: {} } }],
      parallel_tool_calls: false,
    });
    assert.deepEqual(validateDatasetText(padded(row)), []);
  });

  it('points at the role value and offers the rename, which yields a clean row', () => {
    const row = '{"messages": [{"role": "human", "content": "hi"}, {"role": "assistant", "content": "hello"}]}';
    const text = padded(row);
    const [finding] = validateDatasetText(text).filter((f) => f.code === 'unrecognized-role');
    assert.ok(finding);
    assert.equal(row.slice(finding.range.start.character, finding.range.end.character), '"human"');
    assert.equal(finding.fix?.title, 'Rename the role to "user"');
    assert.deepEqual(validateDatasetText(applyFix(text, finding)), []);
  });

  it('re-serializes object arguments as a JSON string', () => {
    const row = JSON.stringify({
      messages: [
        { role: 'user', content: 'w?' },
        { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: { city: 'Paris' } } }] },
      ],
    });
    const text = padded(row);
    const finding = validateDatasetText(text).find((f) => f.code === 'tool-arguments-not-string')!;
    const fixed = applyFix(text, finding);
    assert.deepEqual(validateDatasetText(fixed), []);
    const parsed = JSON.parse(fixed.split('\n')[0]!) as { messages: { tool_calls?: { function: { arguments: string } }[] }[] };
    assert.equal(parsed.messages[1]!.tool_calls![0]!.function.arguments, '{"city":"Paris"}');
  });

  it('reports a tool result whose id matches no call', () => {
    const row = JSON.stringify({
      messages: [
        { role: 'user', content: 'w?' },
        { role: 'assistant', tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'b', content: '1' },
        { role: 'assistant', content: 'done' },
      ],
    });
    const finding = validateDatasetText(padded(row)).find((f) => f.code === 'tool-without-call');
    assert.ok(finding);
    assert.equal(row.slice(finding.range.start.character, finding.range.end.character), '"b"');
  });

  it('accepts content as a list of text parts, and weight 0 or 1', () => {
    const row = JSON.stringify({
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
        { role: 'assistant', content: 'a', weight: 0 },
        { role: 'user', content: 'again' },
        { role: 'assistant', content: 'b', weight: 1 },
      ],
    });
    assert.deepEqual(validateDatasetText(padded(row)), []);
  });
});

describe('duplicates, file-level checks and fixes', () => {
  it('points a duplicate at its first occurrence and deletes it with the fix', () => {
    const text = padded(chat(3));
    const finding = validateDatasetText(text).find((f) => f.code === 'duplicate-row')!;
    assert.equal(finding.range.start.line, 4);
    assert.equal(finding.relatedLine, 0);
    assert.deepEqual(validateDatasetText(applyFix(text, finding)), []);
  });

  it('treats rows that differ only in case or whitespace as near duplicates', () => {
    const a = '{"messages": [{"role": "user", "content": "Hello  World"}, {"role": "assistant", "content": "Hi"}]}';
    const b = '{"messages":[{"role":"user","content":"hello world"},{"role":"assistant","content":"hi"}]}';
    const codes = validateDatasetText(padded(a, b)).map((f) => f.code);
    assert.deepEqual(codes, ['near-duplicate-row']);
  });

  it('removes a BOM with its fix and keeps columns right after it', () => {
    const text = `\ufeff${padded('{"messages": [{"role": "bot", "content": "x"}]}')}`;
    const findings = validateDatasetText(text);
    const bom = findings.find((f) => f.code === 'bom')!;
    assert.deepEqual(bom.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } });
    const role = findings.find((f) => f.code === 'unrecognized-role')!;
    assert.equal(text.split('\n')[0]!.slice(role.range.start.character, role.range.end.character), '"bot"');
    assert.equal(applyFix(text, bom), text.slice(1));
  });

  it('says a truncated last line is truncated, not just invalid', () => {
    const text = `${chat(1)}\n${chat(2)}\n{"messages": [{"role": "us`;
    const codes = validateDatasetText(text, { minRows: 0 }).map((f) => f.code);
    assert.deepEqual(codes, ['truncated-last-line']);
  });

  it('advises few-shot prompting or RAG for a tiny file, and can be told not to', () => {
    const finding = validateDatasetText(`${chat(1)}\n`).find((f) => f.code === 'too-few-rows');
    assert.match(finding!.message, /few-shot/);
    assert.match(finding!.message, /RAG/);
    assert.deepEqual(validateDatasetText(`${chat(1)}\n`, { minRows: 0 }), []);
  });

  it('checks every row as the configured format', () => {
    const codes = validateDatasetText(padded('{"text": "plain"}'), { format: 'messages' }).map((f) => f.code);
    assert.ok(codes.includes('format-mismatch'));
    assert.ok(codes.includes('missing-messages'));
  });
});

describe('conversion to OpenAI messages', () => {
  it('converts a ShareGPT row', () => {
    const converted = convertLineToMessages('{"conversations": [{"from": "system", "value": "S"}, {"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]}');
    assert.equal(converted, '{"messages":[{"role":"system","content":"S"},{"role":"user","content":"Q"},{"role":"assistant","content":"A"}]}');
  });
  it('converts an Alpaca row, joining instruction and input', () => {
    const converted = convertLineToMessages('{"instruction": "Translate", "input": "hola", "output": "hello"}');
    assert.equal(converted, '{"messages":[{"role":"user","content":"Translate\\n\\nhola"},{"role":"assistant","content":"hello"}]}');
  });
  it('refuses ShareGPT tool turns it cannot convert losslessly', () => {
    assert.equal(convertLineToMessages('{"conversations": [{"from": "human", "value": "Q"}, {"from": "function_call", "value": "{}"}]}'), undefined);
  });
});

describe('token rendering', () => {
  it('renders chat rows with the ChatML layout of the default Qwen3 template', () => {
    assert.equal(
      renderForCounting(
        {
          messages: [
            { role: 'user', content: 'hi' },
            { role: 'assistant', content: 'yo' },
          ],
        },
        'messages',
      ),
      '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nyo<|im_end|>\n',
    );
  });
  it('reports stats: turns and formats', () => {
    const { stats } = validateDataset(padded());
    assert.deepEqual(stats.turns, [[2, 10]]);
    assert.deepEqual(stats.formats, { messages: 10 });
  });
});

describe('token counting with the default Qwen3 tokenizer', () => {
  it('counts a row as its rendered ChatML text, special tokens as one token each', async () => {
    const { loadTokenCounter } = await import('../../../src/core/datasets/tokenizer');
    const { RowTokenCounter } = await import('../../../src/core/datasets/tokenCount');
    const counter = await loadTokenCounter();
    const rows = new RowTokenCounter(counter);
    const samples = [
      {
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Héllo, wörld! 你好' },
          { role: 'assistant', content: 'Hi.\n\n  Indented   code:\n\tx = 1' },
        ],
      },
      {
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: '' },
          { role: 'assistant', content: '<tool_call> {"a": 1}' },
        ],
      },
    ];
    for (const row of samples) {
      assert.equal(rows.count(row, 'messages'), counter.count(renderForCounting(row, 'messages')));
      assert.equal(rows.count(row, 'messages'), counter.count(renderForCounting(row, 'messages')));
    }
    assert.equal(counter.count('<|im_start|>'), 1);
  });
});

describe("a model's own tokenizer and chat template", () => {
  it('renders rows with the chat template of a tokenizer given by path, as its trainer would', async () => {
    const { loadTokenCounter, defaultTokenizerPath } = await import('../../../src/core/datasets/tokenizer');
    const { RowTokenCounter } = await import('../../../src/core/datasets/tokenCount');
    const counter = await loadTokenCounter(defaultTokenizerPath());
    const row = {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ],
    };
    const rendered = counter.renderChat?.(row.messages);
    // Qwen3's own template adds an empty thinking block to the final assistant turn.
    assert.equal(rendered, '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nhello<|im_end|>\n');
    assert.equal(new RowTokenCounter(counter).count(row, 'messages'), counter.count(rendered ?? ''));
  });
});
