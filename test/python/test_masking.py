import unittest

from chatwright_train.errors import TrainError
from chatwright_train.masking import IGNORE_INDEX, convert_row, convert_rows, label_preview, label_spans
from chatwright_train.rows import Row

from fake_tokenizer import FakeTokenizer


def chat(*turns, system=None):
    messages = [{"role": "system", "content": system}] if system else []
    for index, text in enumerate(turns):
        messages.append({"role": "user" if index % 2 == 0 else "assistant", "content": text})
    return Row("train.jsonl", 1, "messages", {"messages": messages})


def trained_text(tokenizer, example):
    return tokenizer.decode([t for t, l in zip(example.input_ids, example.labels) if l != IGNORE_INDEX])


class ChatMasking(unittest.TestCase):
    def test_only_assistant_turns_and_their_end_of_turn_token_are_trained(self):
        tokenizer = FakeTokenizer()
        example, missing = convert_row(tokenizer, chat("hi there", "hello you", system="be brief"))
        self.assertEqual(missing, 0)
        # Qwen3-like: the last turn is rendered after an empty think block, which is part of what is generated.
        self.assertEqual(trained_text(tokenizer, example), "<think>\n\n</think>\n\nhello you<|im_end|>")

    def test_every_assistant_turn_of_a_multi_turn_chat_is_trained(self):
        tokenizer = FakeTokenizer()
        example, _ = convert_row(tokenizer, chat("q1", "a one", "q2", "a two"))
        self.assertEqual(trained_text(tokenizer, example), "a one<|im_end|><think>\n\n</think>\n\na two<|im_end|>")

    def test_a_reply_that_repeats_the_user_text_is_found_at_its_own_turn(self):
        tokenizer = FakeTokenizer()
        example, _ = convert_row(tokenizer, chat("echo", "echo"))
        text = tokenizer.decode(example.input_ids)
        self.assertEqual(text.count("echo"), 2)
        self.assertEqual(trained_text(tokenizer, example), "<think>\n\n</think>\n\necho<|im_end|>")

    def test_templates_that_trim_replies_still_match(self):
        tokenizer = FakeTokenizer(style="trim")
        example, _ = convert_row(tokenizer, chat("q", "  padded reply \n"))
        self.assertEqual(trained_text(tokenizer, example), "padded reply<|im_end|>")

    def test_a_template_without_end_of_turn_tokens_is_counted(self):
        tokenizer = FakeTokenizer(style="no-eot")
        example, missing = convert_row(tokenizer, chat("q", "a"))
        self.assertEqual(missing, 1)
        self.assertEqual(trained_text(tokenizer, example), "a")

    def test_a_template_that_rewrites_earlier_turns_is_incompatible(self):
        tokenizer = FakeTokenizer(style="history-changes")
        with self.assertRaises(TrainError) as caught:
            convert_rows(tokenizer, [chat("q1", "first", "q2", "second")], 512, "truncate")
        self.assertEqual(caught.exception.code, "TEMPLATE_INCOMPATIBLE")
        self.assertIn("train.jsonl:1: messages[1]", caught.exception.message)


class OtherFormats(unittest.TestCase):
    def test_prompt_completion_trains_the_completion_and_eos(self):
        tokenizer = FakeTokenizer()
        row = Row("t.jsonl", 1, "prompt_completion", {"prompt": "Say hi:", "completion": " hi"})
        example, _ = convert_row(tokenizer, row)
        self.assertEqual(trained_text(tokenizer, example), " hi<|im_end|>")
        self.assertEqual(tokenizer.decode(example.input_ids), "Say hi: hi<|im_end|>")

    def test_conversational_prompt_completion_trains_only_the_completion_turns(self):
        tokenizer = FakeTokenizer()
        row = Row("t.jsonl", 1, "prompt_completion", {
            "prompt": [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "old"},
                       {"role": "user", "content": "q2"}],
            "completion": [{"role": "assistant", "content": "new"}]})
        example, _ = convert_row(tokenizer, row)
        self.assertEqual(trained_text(tokenizer, example), "<think>\n\n</think>\n\nnew<|im_end|>")

    def test_text_trains_everything_and_ends_with_eos(self):
        tokenizer = FakeTokenizer(bos_token="<|endoftext|>")
        example, _ = convert_row(tokenizer, Row("t.jsonl", 1, "text", {"text": "plain words"}))
        self.assertEqual(tokenizer.decode(example.input_ids), "<|endoftext|>plain words<|im_end|>")
        self.assertEqual(example.labels, example.input_ids)


class ConvertRows(unittest.TestCase):
    def test_the_first_label_is_never_a_target(self):
        tokenizer = FakeTokenizer()
        examples, _ = convert_rows(tokenizer, [Row("t.jsonl", 1, "text", {"text": "a b"})], 64, "truncate")
        self.assertEqual(examples[0].labels[0], IGNORE_INDEX)

    def test_overlong_rows_are_truncated_or_dropped(self):
        tokenizer = FakeTokenizer()
        rows = [chat("q", "a long reply " * 20), chat("q", "short")]
        truncated, stats = convert_rows(tokenizer, rows, 30, "truncate")
        self.assertEqual((len(truncated), stats.truncated), (2, 1))
        self.assertTrue(all(len(e.input_ids) <= 30 for e in truncated))
        kept, stats = convert_rows(tokenizer, rows, 30, "drop")
        self.assertEqual((len(kept), stats.dropped_overlong), (1, 1))

    def test_rows_cut_before_any_reply_are_dropped_and_all_such_is_loss_mask_empty(self):
        tokenizer = FakeTokenizer()
        rows = [chat("a very long question " * 10, "reply")]
        with self.assertRaises(TrainError) as caught:
            convert_rows(tokenizer, rows, 20, "truncate")
        self.assertEqual(caught.exception.code, "LOSS_MASK_EMPTY")

    def test_a_few_unmatchable_rows_are_skipped_with_their_location(self):
        tokenizer = FakeTokenizer()
        good = [chat("q", f"reply {i}") for i in range(20)]
        bad = chat("q1", "first", "q2", "second")
        # A template rewriting history only for this row: swap the style for it alone.
        original = tokenizer.apply_chat_template

        def template(messages, **kwargs):
            tokenizer.style = "history-changes" if len(messages) >= 3 and messages[1]["content"] == "first" \
                else "qwen3"
            return original(messages, **kwargs)

        tokenizer.apply_chat_template = template
        examples, stats = convert_rows(tokenizer, good + [bad], 512, "truncate")
        self.assertEqual(len(examples), 20)
        self.assertEqual(len(stats.problems), 1)

    def test_the_preview_lists_ids_and_a_0_1_mask(self):
        tokenizer = FakeTokenizer()
        examples, _ = convert_rows(tokenizer, [chat("q", "a")], 64, "truncate")
        preview = label_preview(examples[0])
        self.assertEqual(len(preview["input_ids"]), len(preview["loss_mask"]))
        self.assertEqual(set(preview["loss_mask"]), {0, 1})


class LabelSpans(unittest.TestCase):
    def test_a_token_straddling_the_span_start_belongs_to_the_prompt(self):
        labels = label_spans([10, 11, 12], [(0, 3), (3, 6), (6, 9)], [(4, 9)])
        self.assertEqual(labels, [IGNORE_INDEX, IGNORE_INDEX, 12])

    def test_zero_width_tokens_are_never_trained(self):
        self.assertEqual(label_spans([1, 2], [(0, 0), (0, 2)], [(0, 2)]), [IGNORE_INDEX, 2])


if __name__ == "__main__":
    unittest.main()
