"""A tokenizer stand-in for the masking tests: words, spaces and newlines are tokens, special tokens are matched
whole, ids are given in order of first sight. Its chat template mimics Qwen3's quirk of rendering the last
assistant turn with an empty think block."""

from __future__ import annotations

import re
from typing import Any

SPECIALS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]
_PATTERN = re.compile("|".join(re.escape(s) for s in SPECIALS) + r"|\w+|\s|[^\w\s]")


class FakeTokenizer:
    def __init__(self, style: str = "qwen3", eos_token: str | None = "<|im_end|>", bos_token: str | None = None,
                 chat_template: str | None = "fake") -> None:
        self.style = style
        self.eos_token = eos_token
        self.bos_token = bos_token
        self.pad_token = "<|endoftext|>"
        self.all_special_tokens = list(SPECIALS)
        self.chat_template = chat_template
        self.vocab: dict[str, int] = {token: index for index, token in enumerate(SPECIALS)}

    @property
    def eos_token_id(self) -> int | None:
        return self.token_id(self.eos_token) if self.eos_token else None

    def token_id(self, token: str) -> int:
        if token not in self.vocab:
            self.vocab[token] = len(self.vocab)
        return self.vocab[token]

    def __call__(self, text: str, add_special_tokens: bool = True, return_offsets_mapping: bool = False
                 ) -> dict[str, Any]:
        ids, offsets = [], []
        if add_special_tokens and self.bos_token:
            ids.append(self.token_id(self.bos_token))
            offsets.append((0, 0))
        for match in _PATTERN.finditer(text):
            ids.append(self.token_id(match.group()))
            offsets.append((match.start(), match.end()))
        result: dict[str, Any] = {"input_ids": ids}
        if return_offsets_mapping:
            result["offset_mapping"] = offsets
        return result

    def decode(self, ids: list[int]) -> str:
        reverse = {index: token for token, index in self.vocab.items()}
        return "".join(reverse[i] for i in ids)

    def apply_chat_template(self, messages: list[dict[str, Any]], tokenize: bool = False,
                            add_generation_prompt: bool = False, **_: Any) -> str:
        assert not tokenize
        out = []
        last_user = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=-1)
        for index, message in enumerate(messages):
            content = message["content"]
            if self.style == "trim":
                content = content.strip()
            if message["role"] == "assistant":
                body = content
                if self.style == "qwen3" and index > last_user and index == len(messages) - 1:
                    body = "<think>\n\n</think>\n\n" + content
                if self.style == "history-changes" and index < len(messages) - 1:
                    body = content.upper()
                end = "" if self.style == "no-eot" else "<|im_end|>"
                out.append(f"<|im_start|>assistant\n{body}{end}\n")
            else:
                out.append(f"<|im_start|>{message['role']}\n{content}<|im_end|>\n")
        if add_generation_prompt:
            out.append("<|im_start|>assistant\n")
        return "".join(out)
