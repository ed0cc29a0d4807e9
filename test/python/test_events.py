import io
import json
import math
import unittest

from chatwright_train import EVENT_PROTOCOL_VERSION
from chatwright_train.events import EventWriter, replay

from support import temp_dir


class EventWriterTests(unittest.TestCase):
    def test_events_go_to_the_file_and_stdout_as_the_same_json_lines(self):
        run = temp_dir(self)
        echo = io.StringIO()
        with EventWriter(run, echo=echo) as events:
            events.phase("probing")
            events.emit("step", step=1, loss=2.5)
        file_lines = (run / "events.jsonl").read_text().splitlines()
        self.assertEqual(file_lines, echo.getvalue().splitlines())
        first, second = (json.loads(line) for line in file_lines)
        self.assertEqual((first["v"], first["seq"], first["event"], first["phase"]),
                         (EVENT_PROTOCOL_VERSION, 1, "phase", "probing"))
        self.assertEqual((second["seq"], second["step"], second["loss"]), (2, 1, 2.5))

    def test_seq_continues_across_writers_on_the_same_run_folder(self):
        run = temp_dir(self)
        with EventWriter(run, echo=None) as events:
            events.phase("training")
        with EventWriter(run, echo=None) as events:
            record = events.phase("training")
        self.assertEqual(record["seq"], 2)

    def test_non_finite_numbers_become_null(self):
        run = temp_dir(self)
        with EventWriter(run, echo=None) as events:
            events.emit("step", loss=math.nan, grad_norm=math.inf)
        event = next(replay(run / "events.jsonl"))
        self.assertIsNone(event["loss"])
        self.assertIsNone(event["grad_norm"])

    def test_an_unknown_phase_is_a_programming_error(self):
        with EventWriter(temp_dir(self), echo=None) as events, self.assertRaises(ValueError):
            events.phase("sleeping")

    def test_error_events_carry_code_message_and_action(self):
        run = temp_dir(self)
        with EventWriter(run, echo=None) as events:
            events.error("LOSS_MASK_EMPTY", "no labels", "add replies", errors=["a:1: x"])
        event = next(replay(run / "events.jsonl"))
        self.assertEqual((event["code"], event["message"], event["action"], event["errors"]),
                         ("LOSS_MASK_EMPTY", "no labels", "add replies", ["a:1: x"]))


class ReplayTests(unittest.TestCase):
    def test_replay_skips_a_torn_last_line_and_garbage(self):
        run = temp_dir(self)
        with EventWriter(run, echo=None) as events:
            events.phase("probing")
            events.phase("training")
        with open(run / "events.jsonl", "a", encoding="utf-8") as handle:
            handle.write("not json\n[1]\n{\"seq\": 9, \"event\": \"st")
        self.assertEqual([e["seq"] for e in replay(run / "events.jsonl")], [1, 2])

    def test_replay_resumes_after_a_seq(self):
        run = temp_dir(self)
        with EventWriter(run, echo=None) as events:
            for _ in range(4):
                events.emit("step")
        self.assertEqual([e["seq"] for e in replay(run / "events.jsonl", after_seq=2)], [3, 4])

    def test_replay_of_a_missing_file_is_empty(self):
        self.assertEqual(list(replay(temp_dir(self) / "events.jsonl")), [])


if __name__ == "__main__":
    unittest.main()
