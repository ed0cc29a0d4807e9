"""Batch plans and collation.

A plan is fixed before training: a list of batches, each a list of example indices. The Trainer then sees one
dataset item per batch (batch size 1 to the DataLoader) and shuffles the batches with the job's seed, so resuming
skips exactly the batches already trained, whatever the transformers version's sampler options are.

- `padding_free`: the batch's sequences are concatenated into one row with position_ids restarting at 0 for each,
  and no attention mask; attention kernels that read sequence boundaries from position_ids (flash attention, flex
  attention; transformers' sdpa/eager too, through a block-diagonal mask) keep sequences apart.
- `grouped`: sequences of similar length share a batch (sorted within windows of 64 batches, as transformers'
  LengthGroupedSampler does), padded to the longest, rounded up to a multiple of 8 for tensor cores.
- `padded`: batches in seeded random order, padded to the longest."""

from __future__ import annotations

import random
from typing import Any

from .masking import IGNORE_INDEX, Example

GROUPING_WINDOW_BATCHES = 64
PAD_MULTIPLE = 8


def plan_batches(lengths: list[int], batch_size: int, mode: str, seed: int) -> list[list[int]]:
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = list(range(len(lengths)))
    random.Random(seed).shuffle(order)
    if mode == "grouped":
        window = batch_size * GROUPING_WINDOW_BATCHES
        grouped: list[int] = []
        for start in range(0, len(order), window):
            grouped += sorted(order[start:start + window], key=lambda i: -lengths[i])
        order = grouped
    return [order[start:start + batch_size] for start in range(0, len(order), batch_size)]


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def collate_padding_free(examples: list[Example]) -> dict[str, Any]:
    """Plain lists; `to_tensors` makes the torch tensors."""
    input_ids: list[int] = []
    labels: list[int] = []
    position_ids: list[int] = []
    for example in examples:
        input_ids += example.input_ids
        # The first token of each sequence must not be predicted from the previous sequence's last one.
        labels += [IGNORE_INDEX] + example.labels[1:]
        position_ids += list(range(len(example.input_ids)))
    return {"input_ids": [input_ids], "labels": [labels], "position_ids": [position_ids],
            "num_tokens": len(input_ids)}


def collate_padded(examples: list[Example], pad_token_id: int, pad_multiple: int = PAD_MULTIPLE) -> dict[str, Any]:
    width = _round_up(max(len(e.input_ids) for e in examples), pad_multiple)
    input_ids, labels, attention_mask = [], [], []
    for example in examples:
        pad = width - len(example.input_ids)
        input_ids.append(example.input_ids + [pad_token_id] * pad)
        labels.append(example.labels + [IGNORE_INDEX] * pad)
        attention_mask.append([1] * len(example.input_ids) + [0] * pad)
    return {"input_ids": input_ids, "labels": labels, "attention_mask": attention_mask,
            "num_tokens": sum(len(e.input_ids) for e in examples)}


def collate(examples: list[Example], mode: str, pad_token_id: int) -> dict[str, Any]:
    if mode == "padding_free":
        return collate_padding_free(examples)
    return collate_padded(examples, pad_token_id)


def to_tensors(batch: dict[str, Any]) -> dict[str, Any]:
    import torch  # noqa: PLC0415 - lazy: the pure parts run without torch

    return {key: (torch.tensor(value, dtype=torch.long) if isinstance(value, list) else value)
            for key, value in batch.items()}


class PlannedBatches:
    """A map-style dataset whose items are whole batches of a plan."""

    def __init__(self, examples: list[Example], plan: list[list[int]]) -> None:
        self.examples = examples
        self.plan = plan

    def __len__(self) -> int:
        return len(self.plan)

    def __getitem__(self, index: int) -> list[Example]:
        return [self.examples[i] for i in self.plan[index]]


class BatchCollator:
    """Takes the DataLoader's list of one planned batch and builds the tensors."""

    def __init__(self, mode: str, pad_token_id: int) -> None:
        self.mode = mode
        self.pad_token_id = pad_token_id

    def __call__(self, items: list[list[Example]]) -> dict[str, Any]:
        examples = [example for batch in items for example in batch]
        return to_tensors(collate(examples, self.mode, self.pad_token_id))
