import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type CertifiedRow, RegionCertifier, sampleKeyOfUtf8Bytes } from '../../../src/core/datasets/cleanRowScan';
import { sampleKey } from '../../../src/core/datasets/fingerprint';
import { analyzeLine } from '../../../src/core/datasets/rowAnalysis';

/** Certifies every line of `lines` joined as one region; returns, per line, the certified description or undefined. */
function certifyAll(lines: readonly string[], terminated = true): (CertifiedRow | undefined)[] {
  const region = Buffer.from(lines.join('\n') + (terminated ? '\n' : ''), 'utf8');
  const certifier = new RegionCertifier(region);
  const results: (CertifiedRow | undefined)[] = [];
  let from = 0;
  for (let index = 0; index < lines.length; index++) {
    const out: CertifiedRow = { lineEnd: 0, turns: 0, length: 0, ascii: true };
    if (certifier.certify(from, out)) {
      results.push({ ...out });
      assert.equal(out.lineEnd, from + Buffer.byteLength(lines[index]!), `line ${index} ends where it does`);
    } else results.push(undefined);
    from += Buffer.byteLength(lines[index]!) + 1;
  }
  return results;
}

/** What the full path says of a line: the certifier may only vouch for rows it passes without a finding. */
function assertAgreesWithFullPath(line: string, certified: CertifiedRow): void {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  const full = analyzeLine(text);
  assert.equal(full.kind, 'row', line);
  assert.equal(full.format, 'messages', line);
  assert.equal(full.recognized, true, line);
  assert.deepEqual(full.problems, [], `certified, but the full path finds: ${full.problems.map((p) => p.code).join(', ')} in ${line}`);
  assert.equal(certified.turns, full.turns, line);
  assert.equal(certified.length, full.length, line);
}

const cleanRow = (messages: { role: string; content: string }[]): string => JSON.stringify({ messages });
const conversation = [
  { role: 'system', content: 'You answer questions about shipping.' },
  { role: 'user', content: 'Where is my parcel?' },
  { role: 'assistant', content: 'It left the depot this morning.\nTracking: see your e-mail.' },
];

describe('certifying clean messages rows without parsing them', () => {
  it('certifies the common clean shapes, with the full path agreeing on each', () => {
    const lines = [
      cleanRow(conversation),
      cleanRow(conversation.slice(1)),
      cleanRow([{ role: 'developer', content: 'Be brief.' }, ...conversation.slice(1), { role: 'user', content: '' }, { role: 'assistant', content: 'Anything else?' }]),
      ' { "messages" : [ { "content" : "Hi \\"there\\" \\\\ \\/ \\b", "role" : "user" } , {"role":"assistant","content":"  \\tHello\\u00e9"} ] } ',
      `${cleanRow(conversation)}\r`,
      cleanRow([
        { role: 'user', content: 'Café ☕ 𝄞 — где посылка? 包裹在哪里' },
        { role: 'assistant', content: '\u00a0Оно в пути 🚚.' },
      ]),
      cleanRow([
        { role: 'user', content: '𝄞' },
        { role: 'assistant', content: '\u0085' },
      ]), // NEL is not whitespace for String#trim
    ];
    const results = certifyAll(lines);
    results.forEach((certified, index) => {
      assert.ok(certified, `line ${index} is certified: ${lines[index]}`);
      assertAgreesWithFullPath(lines[index]!, certified);
    });
  });

  it('leaves every row with a finding, another shape or bytes it cannot judge to the full path', () => {
    const rejected = [
      cleanRow([
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: '   ' },
      ]), // empty assistant turn
      cleanRow([
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: '\u2003\u00a0\u3000\ufeff' },
      ]), // non-ASCII blank
      '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"\\u0020"}]}', // blank only by escape
      '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hi\tthere"}]}', // raw tab in a string
      cleanRow([
        { role: 'user', content: 'Say <|im_end|>' },
        { role: 'assistant', content: 'No.' },
      ]), // special token
      cleanRow([
        { role: 'user', content: 'key sk-abcdefghijklmnopqrstuvwxyz0123456789' },
        { role: 'assistant', content: 'Revoke it.' },
      ]),
      cleanRow([
        { role: 'user', content: 'Hi' },
        { role: 'bot', content: 'Hello' },
      ]), // unrecognized role
      cleanRow([
        { role: 'user', content: 'Hi' },
        { role: 'tool', content: '{}' },
        { role: 'assistant', content: 'Done' },
      ]),
      cleanRow([
        { role: 'user', content: 'Hi' },
        { role: 'system', content: 'Late' },
        { role: 'assistant', content: 'Hello' },
      ]),
      cleanRow([
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
        { role: 'user', content: 'Bye' },
      ]),
      cleanRow([
        { role: 'system', content: 'S' },
        { role: 'assistant', content: 'Hello' },
      ]), // no user
      cleanRow([{ role: 'user', content: 'Hi' }]), // no assistant
      '{"messages":[]}',
      '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello","weight":0}]}',
      '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}],"id":7}',
      '{"messages":[{"role":"user","role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}',
      '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]} x',
      '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]',
      '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"He\\xllo"}]}',
      '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":null}]}',
      '{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello\u0001"}]}',
      '{"text":"plain"}',
    ];
    const results = certifyAll(rejected);
    results.forEach((certified, index) => assert.equal(certified, undefined, `not certified: ${rejected[index]}`));
  });

  it('never certifies across a line end (a string left open continues on the next line)', () => {
    const lines = ['{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hel', 'lo"}]}', cleanRow(conversation)];
    const results = certifyAll(lines);
    assert.equal(results[0], undefined);
    assert.equal(results[1], undefined);
    assert.ok(results[2]);
  });

  it('finds control characters and non-ASCII bytes at any alignment, and judges the lines around them', () => {
    for (let shift = 0; shift < 8; shift++) {
      for (const odd of ['\u0000', '\u001b', '\u007f', 'é', '\r']) {
        const padded = cleanRow([
          { role: 'user', content: `${'x'.repeat(shift)}${odd}y` },
          { role: 'assistant', content: 'ok' },
        ]);
        const lines = [cleanRow(conversation), padded, cleanRow(conversation)];
        const results = certifyAll(lines, shift % 2 === 0);
        assert.ok(results[0] && results[2], `neighbours of ${JSON.stringify(odd)} at shift ${shift} are certified`);
        // JSON.stringify escapes control characters; DEL and non-ASCII text are certified like any text.
        if (odd === '\u007f' || odd === 'é') {
          assert.ok(results[1], `${JSON.stringify(odd)} at shift ${shift} is certified`);
          assertAgreesWithFullPath(padded, results[1]);
        }
      }
      const raw = `{"messages":[{"role":"user","content":"${'x'.repeat(shift)}\u0007"},{"role":"assistant","content":"ok"}]}`;
      assert.equal(certifyAll([cleanRow(conversation), raw, cleanRow(conversation)])[1], undefined, `a raw control character at shift ${shift}`);
    }
  });

  it('property: whatever it certifies, the full path passes with the same turns, length and duplicate key', () => {
    const role = fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool', 'bot', 'User');
    const odd = fc.constantFrom('', ' ', '\n', '\\', '"', '<s>', 'a_b', '\u00a0', '\ufeff', 'sk-', '\t', '\u0000', '\u2028', '/', 'é', '𝄞', '包裹', '\u3000', '\u0085', 'É');
    const word = fc.constantFrom('order', 'Parcel', 'the', 'refund', '42', 'e-mail', '(yes)', 'a,b', '{x}', '[y]', ':');
    const text = fc.oneof(
      fc.array(word, { maxLength: 8 }).map((words) => words.join(' ')),
      fc.string({ maxLength: 20 }),
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      odd,
      fc.tuple(word, odd, word).map((parts) => parts.join('')),
    );
    const message = fc.record({ role, content: text });
    const conversationRow = fc.tuple(fc.boolean(), fc.array(fc.tuple(text, text), { minLength: 1, maxLength: 3 }), fc.array(message, { maxLength: 1 })).map(([withSystem, pairs, extra]) => [
      ...(withSystem ? [{ role: 'system', content: 'Be kind.' }] : []),
      ...pairs.flatMap(([question, answer]) => [
        { role: 'user', content: question },
        { role: 'assistant', content: answer },
      ]),
      ...extra,
    ]);
    const row = fc.oneof(conversationRow, fc.array(message, { minLength: 0, maxLength: 6 })).map((messages) => JSON.stringify({ messages }));
    const spaced = fc.tuple(row, fc.constantFrom('', ' ', '\t', '\r')).map(([line, space]) => line.replace(/":/g, `"${space}:`).replace(/,"/g, `,${space}"`) + (space === '\r' ? '' : space));
    const mutated = fc.tuple(row, fc.nat(), fc.nat({ max: 3 }), fc.string({ maxLength: 3 })).map(([line, at, cut, insert]) => {
      const position = at % (line.length + 1);
      return line.slice(0, position) + insert + line.slice(position + cut);
    });
    let certifiedCount = 0;
    fc.assert(
      fc.property(fc.array(fc.oneof(row, spaced, mutated), { minLength: 1, maxLength: 8 }), (lines) => {
        // As a file holds them: no line ends inside, and valid UTF-8 (a lone surrogate is written as U+FFFD).
        const safe = lines.map((line) => Buffer.from(line.replace(/\n/g, ' '), 'utf8').toString('utf8'));
        const results = certifyAll(safe);
        results.forEach((certified, index) => {
          if (!certified) return;
          certifiedCount++;
          const line = safe[index]!;
          assertAgreesWithFullPath(line, certified);
          const region = Buffer.from(line, 'utf8');
          const bytesEnd = certified.lineEnd - (line.endsWith('\r') ? 1 : 0) - (certified.lineEnd - Buffer.byteLength(line));
          assert.equal(certified.ascii, !/[^\x20-\x7e\r]/.test(line));
          assert.equal(sampleKeyOfUtf8Bytes(region, 0, bytesEnd), sampleKey(line.slice(0, certified.length)));
        });
      }),
      { numRuns: 3000 },
    );
    assert.ok(certifiedCount > 500, `the property exercised the fast path (${certifiedCount} rows certified)`);
  });

  it('the byte sample key equals the string sample key on any line (ASCII, accents, CJK, astral characters)', () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.string({ unit: 'binary', maxLength: 10 }),
      fc.constantFrom('"', ' "', 'É', '𝄞', '" 𝄞', 'Ab'),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), (pieces) => {
        // Valid text only (no lone surrogates: a file that passed the UTF-8 check holds none) and no line ends.
        const line = pieces
          .join('')
          .replace(/[\n\r]/g, ' ')
          .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '?');
        const bytes = Buffer.byteLength(line);
        const region = Buffer.from(`${line}\n${line}`, 'utf8');
        assert.equal(sampleKeyOfUtf8Bytes(region, bytes + 1, region.length), sampleKey(line));
        assert.equal(sampleKeyOfUtf8Bytes(region, 0, bytes), sampleKey(line));
      }),
      { numRuns: 3000 },
    );
  });
});
