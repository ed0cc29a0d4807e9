// Writes a synthetic OpenAI-chat fine-tuning file for the benchmark: realistic row sizes, a seeded mix of defects
// (about 1 row in 1,000: broken JSON, unknown roles, missing content, duplicates), streamed so memory stays small.
// Usage: node bench/datasets/generateChatFile.mjs <out.jsonl> [rows=1000000] [seed=1]
import { createWriteStream } from 'node:fs';

const [out = '/tmp/chatwright-bench-chat.jsonl', rowsArg = '1000000', seedArg = '1'] = process.argv.slice(2);
const rows = Number(rowsArg);
let seed = Number(seedArg) >>> 0 || 1;
const random = () => {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 0x100000000;
};
const words =
  'the a model data train answer question user assistant system prompt token file line value check format reply help please thanks order ship refund account password reset error network server client request response update delivery package time date price'.split(
    ' ',
  );
const sentence = (n) => {
  let s = '';
  for (let i = 0; i < n; i++) s += (i ? ' ' : '') + words[Math.floor(random() * words.length)];
  return s.charAt(0).toUpperCase() + s.slice(1) + '.';
};
const system = { role: 'system', content: 'You are a helpful support assistant for an online shop. Answer briefly and politely.' };
const stream = createWriteStream(out);
let previous = '';
let written = 0;
function row(i) {
  const turns = 1 + Math.floor(random() * 3);
  const messages = [system];
  for (let t = 0; t < turns; t++) {
    messages.push({ role: 'user', content: sentence(8 + Math.floor(random() * 20)) });
    messages.push({ role: 'assistant', content: sentence(15 + Math.floor(random() * 40)) });
  }
  const defect = random();
  if (defect < 0.0002) return previous; // exact duplicate
  let line = JSON.stringify({ messages });
  if (defect < 0.0004)
    line = line.slice(0, -3); // broken JSON
  else if (defect < 0.0006) line = line.replace('"role":"assistant"', '"role":"bot"');
  else if (defect < 0.0008) line = line.replace(/,"content":"[^"]*"}]}$/, '}]}');
  else if (defect < 0.001) line = JSON.stringify({ messages: messages.slice(0, 2) }); // no assistant
  previous = line;
  return line;
}
let i = 0;
function pump() {
  while (i < rows) {
    const ok = stream.write(row(i) + '\n');
    written++;
    i++;
    if (!ok) return void stream.once('drain', pump);
  }
  stream.end(() => console.log(`wrote ${written} rows to ${out}`));
}
pump();
