import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerTokens, normalizeAnswer } from '../../../src/core/eval/metrics/answerText';
import { exactMatch, normalizedExactMatch } from '../../../src/core/eval/metrics/exactMatch';
import { longestCommonSubsequence, rougeL, rougeLTokenCap } from '../../../src/core/eval/metrics/rougeL';
import { tokenF1 } from '../../../src/core/eval/metrics/tokenF1';

const close = (actual: number, expected: number): void => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} is not ${expected}`);

describe('answer normalization', () => {
  it('lower-cases, drops punctuation and the English articles, and collapses whitespace, as SQuAD does', () => {
    assert.equal(normalizeAnswer('  The  Quick, brown fox -- an "idea"!\n'), 'quick brown fox idea');
    assert.equal(normalizeAnswer("Don't stop."), 'dont stop');
  });

  it('folds full-width and compatibility forms with NFKC', () => {
    assert.equal(normalizeAnswer('ＡＢＣ１２３'), 'abc123');
    assert.equal(normalizeAnswer('ﬁle'), 'file'); // the "fi" ligature U+FB01
  });

  it('treats a decomposed accent as the precomposed letter, and keeps accents apart from their bare letters', () => {
    assert.equal(normalizeAnswer('Cafe\u0301'), normalizeAnswer('Café'));
    assert.notEqual(normalizeAnswer('año'), normalizeAnswer('ano'));
  });

  it('folds German ß to ss, so Straße and STRASSE are the same word', () => {
    assert.equal(normalizeAnswer('Straße'), 'strasse');
    assert.equal(normalizedExactMatch('Straße', 'STRASSE'), 1);
  });

  it('leaves Turkish dotless ı as it is (no locale is assumed)', () => {
    assert.equal(normalizeAnswer('ılık'), 'ılık');
    assert.equal(normalizedExactMatch('ılık', 'ilik'), 0);
  });

  it('makes each Han, Hiragana and Katakana character a word and keeps Hangul words whole', () => {
    assert.deepEqual(answerTokens('東京は日本の首都です。'), ['東', '京', 'は', '日', '本', 'の', '首', '都', 'で', 'す']);
    assert.deepEqual(answerTokens('GPUはH100'), ['gpu', 'は', 'h100']);
    assert.deepEqual(answerTokens('서울은 수도입니다.'), ['서울은', '수도입니다']);
  });

  it('gives no words for an empty or punctuation-only text', () => {
    assert.deepEqual(answerTokens(''), []);
    assert.deepEqual(answerTokens(' ...!? '), []);
  });

  it('drops separators inside numbers as SQuAD does (documented): 3.5 is 35, 1,000 is 1000', () => {
    assert.deepEqual(answerTokens('Version 3.5 costs $1,000.'), ['version', '35', 'costs', '1000']);
    assert.equal(normalizeAnswer('3.5'), normalizeAnswer('35'));
  });
});

describe('exact match', () => {
  it('compares trimmed strings character for character', () => {
    assert.equal(exactMatch('  Paris\n', 'Paris'), 1);
    assert.equal(exactMatch('paris', 'Paris'), 0);
    assert.equal(exactMatch('', ''), 1);
  });

  it('normalized exact match ignores case, punctuation, articles and spacing', () => {
    assert.equal(normalizedExactMatch('The Eiffel  Tower.', 'eiffel tower'), 1);
    assert.equal(normalizedExactMatch('Eiffel Tower in Paris', 'eiffel tower'), 0);
    assert.equal(normalizedExactMatch('', '...'), 1);
  });
});

describe('token F1', () => {
  it('counts shared words with multiplicity (SQuAD)', () => {
    // answer: the cat the cat sat → normalized [cat, cat, sat] (articles out); reference: a cat sat on the mat → [cat, sat, on, mat]
    // shared with multiplicity: cat ×min(2,1)=1, sat 1 → 2; precision 2/3, recall 2/4; F1 = 2·(2/3)(1/2)/(2/3+1/2) = (2/3)/(7/6) = 4/7
    close(tokenF1(answerTokens('the cat the cat sat'), answerTokens('a cat sat on the mat')), 4 / 7);
  });

  it('is 1 for identical texts and 0 with no shared word', () => {
    assert.equal(tokenF1(['x', 'y'], ['x', 'y']), 1);
    assert.equal(tokenF1(['x'], ['y']), 0);
  });

  it('is 1 when both are empty and 0 when only one is', () => {
    assert.equal(tokenF1([], []), 1);
    assert.equal(tokenF1([], ['paris']), 0);
    assert.equal(tokenF1(['paris'], []), 0);
  });

  it('scores Chinese by characters', () => {
    // 北京是首都 → 北 京 是 首 都 (5); 首都是北京 → 首 都 是 北 京 (5): all 5 shared → P = R = 1
    assert.equal(tokenF1(answerTokens('北京是首都'), answerTokens('首都是北京')), 1);
    // 北京 (2) vs 北京大学 (4): 2 shared; P = 1, R = 1/2, F1 = 2·1·(1/2)/(3/2) = 2/3
    close(tokenF1(answerTokens('北京'), answerTokens('北京大学')), 2 / 3);
  });
});

describe('ROUGE-L', () => {
  it('finds the longest common subsequence', () => {
    // a b c d e vs a c e f: LCS = a c e (3)
    assert.equal(longestCommonSubsequence(['a', 'b', 'c', 'd', 'e'], ['a', 'c', 'e', 'f']), 3);
    assert.equal(longestCommonSubsequence(['x', 'y'], ['y', 'x']), 1);
  });

  it('is the F-measure of the LCS against both lengths', () => {
    // answer: police killed the gunman → [police, killed, gunman] (3); reference: the gunman was killed by police → [gunman, was, killed, by, police] (5)
    // LCS: [killed] or [police]… any single word in order; "gunman" comes after "killed" in the answer but before it in the reference → LCS = 1
    // P = 1/3, R = 1/5, F = 2·(1/15)/(8/15) = 1/4
    close(rougeL(answerTokens('police killed the gunman'), answerTokens('the gunman was killed by police')), 1 / 4);
    // answer: cat sat on mat (4); reference: cat was sat on the mat → [cat, was, sat, on, mat] (5); LCS = cat sat on mat = 4
    // P = 1, R = 4/5, F = 2·(4/5)/(9/5) = 8/9
    close(rougeL(answerTokens('cat sat on mat'), answerTokens('cat was sat on the mat')), 8 / 9);
  });

  it('rewards order where token F1 does not', () => {
    const answer = answerTokens('mat the on sat cat');
    const reference = answerTokens('cat sat on the mat');
    assert.equal(tokenF1(answer, reference), 1);
    assert.ok(rougeL(answer, reference) < 1);
  });

  it('is 1 when both are empty and 0 when only one is', () => {
    assert.equal(rougeL([], []), 1);
    assert.equal(rougeL([], ['x']), 0);
    assert.equal(rougeL(['x'], []), 0);
  });

  it('compares only the first words of texts longer than its cap', () => {
    const long = Array.from({ length: rougeLTokenCap + 500 }, (_, i) => `w${i}`);
    // Words past the cap are ignored: identical first 4,000 words score 1 although the tails differ.
    assert.equal(rougeL(long, [...long.slice(0, rougeLTokenCap), 'other']), 1);
  });
});
