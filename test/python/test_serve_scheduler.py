"""The batching scheduler and per-row stopping without torch: grouping rules, static batching, per-row stop, cancel,
and the incremental decoder the transformers engine streams with."""

from __future__ import annotations

import threading
import unittest

from chatwright_serve.generation import ChatRequest, PreparedRow, ServeError
from chatwright_serve.row_state import RowResult, RowState
from chatwright_serve.scheduler import Scheduler, batch_key, pick_batch
from chatwright_serve.transformers_engine import IncrementalDecoder

from serve_support import wait_until


def row(adapter: str | None = None, temperature: float = 0.0, top_p: float = 1.0, seed: int | None = None,
        max_tokens: int = 100, stop: list[str] | None = None) -> PreparedRow:
    request = ChatRequest(model=adapter or "base", messages=[], temperature=temperature, top_p=top_p, seed=seed,
                          stop=stop or [])
    return PreparedRow(request, adapter, None, RowState(1, max_tokens, request.stop, request.cancel))


def drain(state: RowState) -> tuple[str, list[tuple[str, object]]]:
    messages = []
    while not state.messages.empty():
        messages.append(state.messages.get())
    return "".join(v for k, v in messages if k == "text"), messages


class GroupingTests(unittest.TestCase):
    def test_greedy_rows_share_a_batch_in_arrival_order_up_to_max_batch(self):
        rows = [row() for _ in range(5)]
        self.assertEqual(pick_batch(rows, 3, True), rows[:3])

    def test_rows_with_other_sampling_settings_wait_for_their_own_batch(self):
        greedy, greedy2, warm = row(), row(), row(temperature=0.5)
        hot, hot2 = row(temperature=0.8), row(temperature=0.8)
        self.assertEqual(pick_batch([greedy, hot, greedy2, warm, hot2], 8, True), [greedy, greedy2])
        self.assertEqual(pick_batch([hot, greedy2, warm, hot2], 8, True), [hot, hot2])
        self.assertNotEqual(batch_key(row(temperature=0.8, top_p=0.9), True), batch_key(hot, True))

    def test_greedy_rows_batch_whatever_their_top_p(self):
        self.assertEqual(batch_key(row(top_p=0.5), True), batch_key(row(top_p=1.0), True))

    def test_a_row_with_a_seed_runs_alone(self):
        seeded = row(seed=7)
        self.assertEqual(pick_batch([seeded, row(), row()], 8, True), [seeded])
        first = row()
        self.assertEqual(pick_batch([first, row(seed=1), row(seed=1)], 8, True), [first])

    def test_adapters_mix_when_the_engine_can_and_group_when_it_cannot(self):
        rows = [row(), row("a"), row("b"), row("a")]
        self.assertEqual(pick_batch(rows, 8, True), rows)
        self.assertEqual(pick_batch(rows, 8, False), [rows[0]])
        self.assertEqual(pick_batch(rows[1:], 8, False), [rows[1], rows[3]])


class RowStateTests(unittest.TestCase):
    def test_max_tokens_finishes_with_length(self):
        state = RowState(3, 2, [], threading.Event())
        for piece in ("a", "b", "c"):
            state.push(piece)
        text, messages = drain(state)
        self.assertEqual(text, "ab")
        self.assertEqual(messages[-1], ("done", RowResult(3, 2, "length")))

    def test_a_stop_string_split_over_tokens_is_held_back_and_cut(self):
        state = RowState(1, 100, ["END"], threading.Event())
        for piece in ("hello E", "N", "D more"):
            state.push(piece)
        text, messages = drain(state)
        self.assertEqual(text, "hello ")
        self.assertEqual(messages[-1][1].finish_reason, "stop")
        self.assertTrue(state.finished)

    def test_held_back_text_is_released_when_the_stop_string_does_not_follow(self):
        state = RowState(1, 100, ["END"], threading.Event())
        state.push("hello E")
        self.assertEqual(drain(state)[0], "hello ")
        state.push("asy")
        self.assertEqual(drain(state)[0], "Easy")
        state.push("EN")
        state.end_of_turn()
        self.assertEqual(drain(state)[0], "EN")  # the end of the answer flushes what was held

    def test_the_cancel_flag_finishes_the_row_when_the_engine_next_asks(self):
        cancel = threading.Event()
        state = RowState(1, 100, [], cancel)
        state.push("a")
        self.assertFalse(state.finished)
        cancel.set()
        self.assertTrue(state.finished)
        state.push("b")
        text, messages = drain(state)
        self.assertEqual(text, "a")
        self.assertEqual(messages[-1][1].finish_reason, "cancelled")

    def test_end_of_turn_is_not_counted(self):
        state = RowState(1, 100, [], threading.Event())
        state.push("a")
        state.end_of_turn()
        self.assertEqual(drain(state)[1][-1], ("done", RowResult(1, 1, "stop")))


class RecordingBackend:
    """A stand-in batch generator for the scheduler's tests: each row's reply is `tokens` copies of "t"; the first
    batch waits until released, so tests can queue requests behind it."""

    engine = "recording"
    base_id = "base"
    context_length = 50

    def __init__(self, mixed_adapters: bool = True) -> None:
        self.mixed_adapters = mixed_adapters
        self.batches: list[list[PreparedRow]] = []
        self.steps_per_batch: list[int] = []
        self.release = threading.Event()
        self.started = threading.Event()
        self.loaded: list[str] = []

    def prepare(self, request, adapter):
        return None, sum(len(m["content"].split()) for m in request.messages)

    def run_batch(self, rows):
        self.batches.append(rows)
        self.started.set()
        self.release.wait(10)
        steps = 0
        while not all(r.state.finished for r in rows):
            steps += 1
            for r in rows:
                if not r.state.finished:
                    r.state.push(f"t{steps} ")
        self.steps_per_batch.append(steps)

    def load_adapter(self, name, path):
        self.loaded.append(name)

    def unload_adapter(self, name):
        self.loaded.remove(name)

    def close(self):
        pass


def request(max_tokens: int | None = None, temperature: float = 0.0, words: int = 1, **fields) -> ChatRequest:
    return ChatRequest(model="base", messages=[{"role": "user", "content": "w " * words}], max_tokens=max_tokens,
                       temperature=temperature, **fields)


class SchedulerTests(unittest.TestCase):
    def scheduler(self, **options) -> tuple[Scheduler, RecordingBackend]:
        backend = RecordingBackend(options.pop("mixed_adapters", True))
        scheduler = Scheduler(backend, **options)
        scheduler.start()
        self.addCleanup(scheduler.close)
        self.addCleanup(backend.release.set)
        return scheduler, backend

    def test_requests_arriving_during_a_batch_run_together_in_the_next_one(self):
        scheduler, backend = self.scheduler(max_batch=8, max_tokens_limit=5)
        first = scheduler.submit(request(2), None)
        self.assertTrue(backend.started.wait(5))
        later = [scheduler.submit(request(n), None) for n in (1, 3, 5)]
        self.assertEqual(scheduler.queued, 3)
        backend.release.set()
        self.assertTrue(wait_until(lambda: len(backend.batches) == 2 and scheduler.active == 0))
        self.assertEqual([len(b) for b in backend.batches], [1, 3])
        self.assertEqual([r.state.completion_tokens for r in later], [1, 3, 5])  # per-row stop in one batch
        self.assertEqual(backend.steps_per_batch[1], 5)
        self.assertEqual(first.state.finish_reason, "length")

    def test_unlike_requests_are_split_into_batches_oldest_first(self):
        scheduler, backend = self.scheduler(max_batch=8)
        scheduler.submit(request(1), None)
        self.assertTrue(backend.started.wait(5))
        hot = scheduler.submit(request(1, temperature=0.7), None)
        greedy = [scheduler.submit(request(1), None) for _ in range(2)]
        backend.release.set()
        self.assertTrue(wait_until(lambda: len(backend.batches) == 3 and scheduler.active == 0))
        self.assertEqual(backend.batches[1], [hot])
        self.assertEqual(backend.batches[2], greedy)

    def test_without_max_tokens_a_row_gets_the_room_left_in_the_context(self):
        scheduler, backend = self.scheduler(max_tokens_limit=1000)
        backend.release.set()
        prepared = scheduler.submit(request(None, words=45), None)
        self.assertEqual(prepared.state.max_tokens, 5)

    def test_a_full_queue_raises_429(self):
        scheduler, backend = self.scheduler(max_batch=1, max_queue=1)
        scheduler.submit(request(1), None)
        self.assertTrue(backend.started.wait(5))
        scheduler.submit(request(1), None)
        with self.assertRaises(ServeError) as raised:
            scheduler.submit(request(1), None)
        self.assertEqual((raised.exception.status, raised.exception.code), (429, "queue_full"))

    def test_a_request_cancelled_while_waiting_never_runs(self):
        scheduler, backend = self.scheduler(max_batch=1)
        scheduler.submit(request(1), None)
        self.assertTrue(backend.started.wait(5))
        gone = scheduler.submit(request(1), None)
        kept = scheduler.submit(request(1), None)
        gone.request.cancel.set()
        backend.release.set()
        self.assertTrue(wait_until(lambda: len(backend.batches) == 2 and scheduler.active == 0))
        self.assertEqual(backend.batches[1], [kept])
        self.assertEqual(gone.state.finish_reason, "cancelled")

    def test_adapter_loads_run_between_batches_on_the_scheduler_thread(self):
        scheduler, backend = self.scheduler()
        scheduler.submit(request(1), None)
        self.assertTrue(backend.started.wait(5))
        result: list[str] = []
        def load() -> None:
            result.append(scheduler.run_task(lambda: backend.load_adapter("a", "/")) or "done")

        loader = threading.Thread(target=load)
        loader.start()
        loader.join(0.2)
        self.assertEqual(backend.loaded, [])  # the batch still runs
        backend.release.set()
        loader.join(5)
        self.assertEqual((backend.loaded, result), (["a"], ["done"]))

    def test_a_failing_batch_fails_its_rows_with_a_500(self):
        scheduler, backend = self.scheduler()
        backend.run_batch = lambda rows: (_ for _ in ()).throw(RuntimeError("CUDA out of memory"))
        prepared = scheduler.submit(request(1), None)
        kind, error = prepared.state.messages.get(timeout=5)
        self.assertEqual((kind, error.status), ("error", 500))
        self.assertIn("CUDA out of memory", error.message)

    def test_close_cancels_waiting_rows(self):
        scheduler, backend = self.scheduler(max_batch=1)
        scheduler.submit(request(1), None)
        self.assertTrue(backend.started.wait(5))
        waiting = scheduler.submit(request(1), None)
        backend.release.set()
        scheduler.close()
        self.assertEqual(waiting.state.finish_reason, "cancelled")
        with self.assertRaises(ServeError):
            scheduler.submit(request(1), None)


class ByteTokenizer:
    """Tokens are single UTF-8 bytes, so a character may need several; decode shows an incomplete one as U+FFFD."""

    def decode(self, ids, skip_special_tokens=True):
        return bytes(ids).decode("utf-8", errors="replace")


class IncrementalDecoderTests(unittest.TestCase):
    def test_pieces_never_split_a_character_and_join_to_the_whole_text(self):
        text = "héllo → wörld 😀!"
        decoder = IncrementalDecoder(ByteTokenizer())
        pieces = [decoder.add(b) for b in text.encode("utf-8")]
        self.assertEqual("".join(pieces), text)
        self.assertTrue(all("\ufffd" not in piece for piece in pieces))
        self.assertIn("", pieces)  # held back while a character was incomplete


if __name__ == "__main__":
    unittest.main()
