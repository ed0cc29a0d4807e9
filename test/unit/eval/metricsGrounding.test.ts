import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Passage } from '../../../src/core/chat/chatTypes';
import { answerSentences } from '../../../src/core/eval/metrics/answerSentences';
import { citationAccuracy } from '../../../src/core/eval/metrics/citationAccuracy';
import { embeddingSimilarity } from '../../../src/core/eval/metrics/embeddingSimilarity';
import { faithfulness, type AssessableSentence } from '../../../src/core/eval/metrics/faithfulness';
import { contentWords, passageEvidence, supports } from '../../../src/core/eval/metrics/sentenceSupport';

const passage = (index: number, text: string): Passage => ({ index, file: `docs/p${index}.md`, startLine: 1, endLine: 3, headingPath: [], text, score: 1 });
const assessable = (answer: string): AssessableSentence[] => answerSentences(answer).map((sentence) => ({ ...sentence, words: contentWords(sentence.text) }));

const refunds = passage(1, 'Refunds are issued within 14 days of the return being received at our warehouse.');
const shipping = passage(2, 'Standard shipping takes 3 to 5 business days inside the European Union.');

describe('answer sentences and citations', () => {
  it('splits sentences and attaches each citation to the sentence it follows', () => {
    assert.deepEqual(answerSentences('Cats purr. [1] Dogs bark.[2] Fish swim [3, 4].\n- A list item'), [
      { text: 'Cats purr.', citations: [1] },
      { text: 'Dogs bark.', citations: [2] },
      { text: 'Fish swim.', citations: [3, 4] },
      { text: '- A list item', citations: [] },
    ]);
  });

  it('splits Japanese at 。 without relying on spaces', () => {
    assert.deepEqual(
      answerSentences('東京は大きい[1]。京都は古い。[2]').map((s) => s.citations),
      [[1], [2]],
    );
  });

  it('keeps content words only', () => {
    // "The", "is", "of", "the" are function words; numbers count.
    assert.deepEqual(contentWords('The refund is 14 days of the RETURN'), ['refund', '14', 'days', 'return']);
  });
});

describe('sentence support', () => {
  it('needs at least 60% of the sentence content words in one passage', () => {
    const evidence = passageEvidence(refunds);
    // refunds, issued, 14, days: 4 of 4 in the passage
    assert.equal(supports({ text: 'x', words: contentWords('Refunds are issued in 14 days.') }, evidence), true);
    // refunds, paid, cash, 14, days → 3 of 5 = 0.6: supported (the threshold is inclusive)
    assert.equal(supports({ text: 'x', words: contentWords('Refunds paid cash 14 days') }, evidence), true);
    // refunds, paid, cash, instantly, online → 1 of 5 = 0.2: not supported
    assert.equal(supports({ text: 'x', words: contentWords('Refunds paid cash instantly online') }, evidence), false);
  });

  it('accepts a paraphrase by embedding when both vectors are known and close', () => {
    const claim = { text: 'Money comes back in two weeks.', words: contentWords('Money comes back in two weeks.') };
    const vectors = new Map([
      [claim.text, new Float32Array([1, 0.1])],
      [refunds.text, new Float32Array([1, 0])],
    ]);
    assert.equal(supports(claim, passageEvidence(refunds)), false);
    assert.equal(
      supports(claim, passageEvidence(refunds), (text) => vectors.get(text)),
      true,
    );
  });
});

describe('faithfulness', () => {
  it('is the share of assessed sentences one passage supports', () => {
    // sentence 1: refunds issued 14 days → supported by passage 1
    // sentence 2: gift cards expire after three years → no passage has those words → unsupported
    // sentence 3: "Thanks!" has fewer than 3 content words → not assessed
    // score = 1 supported / 2 assessed = 0.5
    const sentences = assessable('Refunds are issued within 14 days. Gift cards expire after three years. Thanks!');
    assert.equal(faithfulness(sentences, [passageEvidence(refunds), passageEvidence(shipping)]), 0.5);
  });

  it('does not count a sentence stitched from two passages as supported', () => {
    const sentences = assessable('Refunds issued 14 days while standard shipping takes 3 business days across europe.');
    // content words (distinct): refunds issued 14 days standard shipping takes 3 business across europe = 11
    // passage 1 has refunds issued 14 days = 4/11; passage 2 has days standard shipping takes 3 business = 6/11 ≈ 0.545 ("europe" ≠ "european")
    // both below 0.6, though together they hold 9 of the 11 words
    assert.equal(faithfulness(sentences, [passageEvidence(refunds), passageEvidence(shipping)]), 0);
  });

  it('is undefined without passages or without an assessable sentence', () => {
    assert.equal(faithfulness(assessable('Refunds are issued within 14 days.'), []), undefined);
    assert.equal(faithfulness(assessable('Yes. Sure!'), [passageEvidence(refunds)]), undefined);
  });
});

describe('citation accuracy', () => {
  const evidence = [passageEvidence(refunds), passageEvidence(shipping)];

  it('counts a citation right when its passage exists and supports its sentence', () => {
    // [1] on the refund sentence: right; [2] on the refund sentence: passage 2 does not support it; [2] on the shipping sentence: right
    // 2 right of 3
    const sentences = assessable('Refunds are issued within 14 days [1, 2]. Standard shipping takes 3 to 5 business days. [2]');
    assert.equal(citationAccuracy(sentences, evidence), 2 / 3);
  });

  it('counts a citation of a passage that does not exist as wrong', () => {
    // [7] names no passage (only 1 and 2 were retrieved): 1 right ([1]) of 2
    assert.equal(citationAccuracy(assessable('Refunds are issued within 14 days [1]. Standard shipping takes 3 to 5 business days [7].'), evidence), 1 / 2);
  });

  it('only checks the number on a sentence too short to assess', () => {
    assert.equal(citationAccuracy(assessable('See the guide [2].'), evidence), 1);
    assert.equal(citationAccuracy(assessable('See the guide [3].'), evidence), 0);
  });

  it('is 0 for an answer that cites nothing though it could, and undefined without passages', () => {
    assert.equal(citationAccuracy(assessable('Refunds are issued within 14 days.'), evidence), 0);
    assert.equal(citationAccuracy(assessable('Yes.'), evidence), undefined);
    assert.equal(citationAccuracy(assessable('Refunds are issued within 14 days [1].'), []), undefined);
  });
});

describe('embedding similarity', () => {
  it('is the cosine clamped to [0, 1], undefined without both vectors', () => {
    // (1,0)·(1,1) / (1·√2) = 1/√2
    assert.ok(Math.abs(embeddingSimilarity(new Float32Array([1, 0]), new Float32Array([1, 1]))! - Math.SQRT1_2) < 1e-6);
    assert.equal(embeddingSimilarity(new Float32Array([1, 0]), new Float32Array([-1, 0])), 0);
    assert.equal(embeddingSimilarity(new Float32Array([1, 0]), undefined), undefined);
    assert.equal(embeddingSimilarity(new Float32Array([1, 0]), new Float32Array([1, 0, 0])), undefined);
  });
});
