"""Rows -> (input_ids, labels) with the loss only where the model should learn: assistant turns (each ending in its
end-of-turn token), completions, or all of a plain text.

Assistant spans are found on the rendered text, not by template-specific markers: for assistant turn i, the
conversation up to turn i rendered with the generation prompt must be a prefix of the whole conversation (that is
what inference will feed the model); the turn's content is then searched for from there, and the end-of-turn special
token right after it is included. This works for any template that renders earlier turns the same whatever follows
them — including templates that render the *last* turn differently (Qwen3 adds an empty think block), which
rendering prefix by prefix and diffing would get wrong. Tokens are labelled from the tokenizer's character offsets.

The tokenizer is duck-typed (`apply_chat_template`, `__call__` with offsets, `eos_token`, `all_special_tokens`), so
this module needs no transformers and is tested with a small fake."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import TrainError
from .rows import Row

IGNORE_INDEX = -100


class ChatTokenizer(Protocol):
    eos_token: str | None
    all_special_tokens: list[str]

    def apply_chat_template(self, conversation: list[dict[str, Any]], **kwargs: Any) -> Any: ...

    def __call__(self, text: str, **kwargs: Any) -> Any: ...


@dataclass
class Example:
    input_ids: list[int]
    labels: list[int]
    source: str  # file:line

    @property
    def trained_tokens(self) -> int:
        return sum(1 for label in self.labels if label != IGNORE_INDEX)


@dataclass
class ConversionStats:
    rows: int = 0
    examples: int = 0
    truncated: int = 0
    dropped_overlong: int = 0
    dropped_no_labels: int = 0
    missing_end_of_turn: int = 0
    tokens: int = 0
    trained_tokens: int = 0
    problems: list[str] = field(default_factory=list)


class RowConversionError(Exception):
    """A row the template cannot be made to fit; the message is located."""


def _render(tokenizer: ChatTokenizer, messages: list[dict[str, Any]], generation_prompt: bool,
            template_kwargs: dict[str, Any]) -> str:
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt,
                                         **template_kwargs)
    if not isinstance(text, str):
        raise RowConversionError("the chat template did not render to text")
    return text


def _end_of_turn_length(text: str, position: int, special_tokens: list[str]) -> int:
    """Length of the special token that closes the turn at `position` (the longest that matches), else 0."""
    best = 0
    for token in special_tokens:
        if token and text.startswith(token, position) and len(token) > best:
            best = len(token)
    return best


def assistant_spans(tokenizer: ChatTokenizer, messages: list[dict[str, Any]], where: str,
                    template_kwargs: dict[str, Any] | None = None,
                    first_trained_turn: int = 0) -> tuple[str, list[tuple[int, int]], int]:
    """(full text, [start, end) character spans to train on, number of turns with no end-of-turn token found).
    Only assistant turns at index >= first_trained_turn are trained (prompt/completion keeps the prompt's out)."""
    kwargs = template_kwargs or {}
    full = _render(tokenizer, messages, False, kwargs)
    specials = sorted({t for t in (getattr(tokenizer, "all_special_tokens", None) or []) if isinstance(t, str)}
                      | ({tokenizer.eos_token} if getattr(tokenizer, "eos_token", None) else set()), key=len,
                      reverse=True)
    spans: list[tuple[int, int]] = []
    missing_end = 0
    cursor = 0
    for index, message in enumerate(messages):
        if message.get("role") != "assistant" or index < first_trained_turn:
            continue
        prompt = _render(tokenizer, messages[:index], True, kwargs) if index > 0 else ""
        if not full.startswith(prompt):
            raise RowConversionError(
                f"{where}: messages[{index}]: the chat template renders the conversation before this reply "
                "differently when more turns follow, so the reply's position cannot be found")
        start = max(len(prompt), cursor)
        content = message["content"]
        found = full.find(content, start)
        if found < 0:
            # Templates commonly trim replies (`content | trim`).
            content = content.strip()
            found = full.find(content, start) if content else -1
        if found < 0:
            raise RowConversionError(f"{where}: messages[{index}].content: the chat template changes the reply's "
                                     "text, so its tokens cannot be located")
        end = found + len(content)
        eot = _end_of_turn_length(full, end, specials)
        if eot == 0:
            # Some templates put a space or newline between the reply and the end-of-turn token.
            stripped = len(full) - len(full[end:].lstrip(" \n")) if end < len(full) else end
            eot = _end_of_turn_length(full, stripped, specials)
            if eot:
                end = stripped
        if eot == 0:
            missing_end += 1
        spans.append((start, end + eot))
        cursor = end + eot
    return full, spans, missing_end


def _tokenize_with_offsets(tokenizer: ChatTokenizer, text: str) -> tuple[list[int], list[tuple[int, int]]]:
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids = list(encoded["input_ids"])
    offsets = [tuple(pair) for pair in encoded["offset_mapping"]]
    if len(ids) != len(offsets):
        raise RowConversionError("the tokenizer returned offsets that do not match its tokens")
    return ids, offsets  # type: ignore[return-value]


def label_spans(ids: list[int], offsets: list[tuple[int, int]], spans: list[tuple[int, int]]) -> list[int]:
    """A token is trained when it starts inside a span (a token straddling the start belongs to the prompt, as it
    would at inference)."""
    labels = [IGNORE_INDEX] * len(ids)
    span_index = 0
    for position, (start, end) in enumerate(offsets):
        if end <= start:
            continue
        while span_index < len(spans) and spans[span_index][1] <= start:
            span_index += 1
        if span_index < len(spans) and spans[span_index][0] <= start < spans[span_index][1]:
            labels[position] = ids[position]
    return labels


def _eos_id(tokenizer: Any) -> int | None:
    eos_id = getattr(tokenizer, "eos_token_id", None)
    return eos_id if isinstance(eos_id, int) else None


def convert_row(tokenizer: ChatTokenizer, row: Row, template_kwargs: dict[str, Any] | None = None
                ) -> tuple[Example, int]:
    """One row -> (Example, turns missing an end-of-turn token). Raises RowConversionError (located)."""
    value = row.value
    where = row.location
    if row.kind == "messages":
        full, spans, missing = assistant_spans(tokenizer, value["messages"], where, template_kwargs)
        ids, offsets = _tokenize_with_offsets(tokenizer, full)
        return Example(ids, label_spans(ids, offsets, spans), where), missing
    if row.kind == "prompt_completion":
        prompt, completion = value["prompt"], value["completion"]
        if isinstance(prompt, list):
            messages = list(prompt) + list(completion)
            full, spans, missing = assistant_spans(tokenizer, messages, where, template_kwargs,
                                                   first_trained_turn=len(prompt))
            ids, offsets = _tokenize_with_offsets(tokenizer, full)
            return Example(ids, label_spans(ids, offsets, spans), where), missing
        prompt_ids, _ = _tokenize_with_offsets(tokenizer, prompt) if prompt else ([], [])
        completion_ids, _ = _tokenize_with_offsets(tokenizer, completion)
        eos = _eos_id(tokenizer)
        tail = [eos] if eos is not None and (not completion_ids or completion_ids[-1] != eos) else []
        ids = prompt_ids + completion_ids + tail
        labels = [IGNORE_INDEX] * len(prompt_ids) + completion_ids + tail
        return Example(ids, labels, where), 0 if eos is not None else 1
    if row.kind == "text":
        encoded = tokenizer(value["text"], add_special_tokens=True)
        ids = list(encoded["input_ids"])
        eos = _eos_id(tokenizer)
        if eos is not None and (not ids or ids[-1] != eos):
            ids.append(eos)
        return Example(ids, list(ids), where), 0 if eos is not None else 1
    raise RowConversionError(f"{where}: unknown format {row.kind!r}")


def convert_rows(tokenizer: ChatTokenizer, rows: list[Row], max_seq_length: int, overlong: str,
                 template_kwargs: dict[str, Any] | None = None) -> tuple[list[Example], ConversionStats]:
    """All rows -> examples, applying the length policy. Raises TEMPLATE_INCOMPATIBLE when rows cannot be
    converted, LOSS_MASK_EMPTY when no token at all would be trained on."""
    stats = ConversionStats(rows=len(rows))
    examples: list[Example] = []
    for row in rows:
        try:
            example, missing = convert_row(tokenizer, row, template_kwargs)
        except RowConversionError as error:
            stats.problems.append(str(error))
            continue
        stats.missing_end_of_turn += missing
        if len(example.input_ids) > max_seq_length:
            if overlong == "drop":
                stats.dropped_overlong += 1
                continue
            stats.truncated += 1
            example = Example(example.input_ids[:max_seq_length], example.labels[:max_seq_length], example.source)
        # The first label is never a target: nothing precedes it to predict it from.
        if example.labels:
            example.labels[0] = IGNORE_INDEX
        if example.trained_tokens == 0:
            stats.dropped_no_labels += 1
            continue
        stats.tokens += len(example.input_ids)
        stats.trained_tokens += example.trained_tokens
        examples.append(example)
    stats.examples = len(examples)
    if stats.problems and len(stats.problems) * 10 >= max(1, len(rows)):
        raise TrainError("TEMPLATE_INCOMPATIBLE", f"{len(stats.problems)} of {len(rows)} rows could not be matched "
                                                  f"to the chat template; first: {stats.problems[0]}",
                         {"errors": stats.problems[:20]})
    if not examples:
        raise TrainError("LOSS_MASK_EMPTY", f"all {len(rows)} rows have every label at -100 after conversion "
                                            f"(dropped: {stats.dropped_no_labels} with no trained token, "
                                            f"{stats.dropped_overlong} over max_seq_length={max_seq_length})")
    return examples, stats


def label_preview(example: Example) -> dict[str, Any]:
    """The shape the TypeScript loss-mask preview is compared against."""
    return {"source": example.source, "input_ids": example.input_ids,
            "loss_mask": [0 if label == IGNORE_INDEX else 1 for label in example.labels]}
