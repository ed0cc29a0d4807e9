import unittest

from chatwright_train.errors import TrainError
from chatwright_train.rows import find_eval_sibling, load_rows, split_eval

from support import temp_dir, write_jsonl

CHAT = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}


class LoadRows(unittest.TestCase):
    def load(self, rows, fmt="auto", max_bytes=1 << 20):
        return load_rows(write_jsonl(temp_dir(self) / "train.jsonl", rows), fmt, max_bytes)

    def error(self, rows, fmt="auto", max_bytes=1 << 20):
        with self.assertRaises(TrainError) as caught:
            self.load(rows, fmt, max_bytes)
        return caught.exception

    def test_the_format_is_detected_from_the_first_row(self):
        self.assertEqual(self.load([CHAT])[0].kind, "messages")
        self.assertEqual(self.load([{"prompt": "a", "completion": "b"}])[0].kind, "prompt_completion")
        self.assertEqual(self.load([{"text": "abc"}])[0].kind, "text")

    def test_rows_keep_their_line_numbers_past_blank_lines(self):
        rows = self.load([CHAT, "", CHAT])
        self.assertEqual([r.line for r in rows], [1, 3])

    def test_problems_are_located_by_file_line_and_field(self):
        error = self.error([CHAT, {"messages": [{"role": "user", "content": "q"},
                                                {"role": "assistant", "content": "  "}]},
                            {"messages": [{"role": "bot", "content": 3}]}])
        self.assertEqual(error.code, "DATA_INVALID")
        joined = "\n".join(error.details["errors"])
        self.assertRegex(joined, r"train\.jsonl:2: messages\[1\]\.content: an assistant reply must not be blank")
        self.assertRegex(joined, r"train\.jsonl:3: messages\[0\]\.role: must be one of")
        self.assertRegex(joined, r"train\.jsonl:3: messages\[0\]\.content: must be a string")

    def test_a_conversation_without_an_assistant_turn_is_rejected(self):
        error = self.error([{"messages": [{"role": "user", "content": "q"}]}])
        self.assertIn("no assistant turn", error.details["errors"][0])

    def test_a_system_message_must_come_first(self):
        error = self.error([{"messages": [{"role": "user", "content": "q"}, {"role": "system", "content": "s"},
                                          {"role": "assistant", "content": "a"}]}])
        self.assertIn("messages[1].role: a system message must come first", error.details["errors"][0])

    def test_invalid_json_is_located_with_its_column(self):
        error = self.error([CHAT, '{"messages": [}'])
        self.assertRegex(error.details["errors"][0], r"train\.jsonl:2:\d+: invalid JSON")

    def test_rows_of_another_format_than_the_first_are_rejected(self):
        error = self.error([CHAT, {"text": "plain"}])
        self.assertIn("train.jsonl:2: messages: must be a non-empty list", error.details["errors"][0])

    def test_conversational_prompt_completion_is_checked_as_messages(self):
        rows = self.load([{"prompt": [{"role": "user", "content": "q"}],
                           "completion": [{"role": "assistant", "content": "a"}]}])
        self.assertEqual(rows[0].kind, "prompt_completion")
        error = self.error([{"prompt": [{"role": "user", "content": "q"}],
                             "completion": [{"role": "user", "content": "a"}]}])
        self.assertIn("completion: needs an assistant message", error.details["errors"][0])

    def test_an_empty_file_is_data_empty(self):
        path = temp_dir(self) / "train.jsonl"
        path.write_text("\n\n")
        with self.assertRaises(TrainError) as caught:
            load_rows(path, "auto", 1 << 20)
        self.assertEqual(caught.exception.code, "DATA_EMPTY")

    def test_files_over_the_cap_are_refused_before_reading(self):
        error = self.error([CHAT] * 10, max_bytes=50)
        self.assertEqual(error.code, "DATA_UNREADABLE")
        self.assertIn("cap", error.message)

    def test_a_folder_is_not_a_dataset(self):
        with self.assertRaises(TrainError) as caught:
            load_rows(temp_dir(self), "auto", 1 << 20)
        self.assertEqual(caught.exception.code, "DATA_UNREADABLE")

    def test_non_utf8_lines_are_located(self):
        path = temp_dir(self) / "train.jsonl"
        path.write_bytes(b'{"text": "ok"}\n{"text": "\xff"}\n')
        with self.assertRaises(TrainError) as caught:
            load_rows(path, "auto", 1 << 20)
        self.assertIn("train.jsonl:2: not UTF-8", caught.exception.details["errors"][0])


class EvalSplit(unittest.TestCase):
    def test_a_sibling_valid_file_is_found_with_the_train_prefix_kept(self):
        folder = temp_dir(self)
        write_jsonl(folder / "chat-train.jsonl", [CHAT])
        write_jsonl(folder / "chat-valid.jsonl", [CHAT])
        self.assertEqual(find_eval_sibling(folder / "chat-train.jsonl"), folder / "chat-valid.jsonl")

    def test_a_plain_eval_file_beside_train_is_found(self):
        folder = temp_dir(self)
        write_jsonl(folder / "train.jsonl", [CHAT])
        write_jsonl(folder / "eval.jsonl", [CHAT])
        self.assertEqual(find_eval_sibling(folder / "train.jsonl"), folder / "eval.jsonl")

    def test_no_sibling_gives_none(self):
        folder = temp_dir(self)
        write_jsonl(folder / "train.jsonl", [CHAT])
        self.assertIsNone(find_eval_sibling(folder / "train.jsonl"))

    def test_the_held_out_fraction_is_seeded_and_disjoint(self):
        rows = self.rows(100)
        train, held = split_eval(rows, 0.1, seed=3)
        again_train, again_held = split_eval(rows, 0.1, seed=3)
        self.assertEqual((len(train), len(held)), (90, 10))
        self.assertEqual([r.line for r in held], [r.line for r in again_held])
        self.assertFalse({r.line for r in train} & {r.line for r in held})

    def test_tiny_sets_are_not_split(self):
        train, held = split_eval(self.rows(10), 0.2, seed=1)
        self.assertEqual((len(train), held), (10, []))

    def rows(self, count):
        return load_rows(write_jsonl(temp_dir(self) / "train.jsonl", [CHAT] * count), "auto", 1 << 20)


if __name__ == "__main__":
    unittest.main()
