#!/usr/bin/env python3
"""Reference peer for the dataset benchmark: the format checks of OpenAI's cookbook notebook
"Data preparation and analysis for chat model fine-tuning", written with the standard library only.

It streams the file line by line (json.loads per line, as the notebook's checks would on a JSONL file) and counts
each error category the notebook counts: data_type, missing_messages_list, message_missing_key,
message_unrecognized_key, unrecognized_role, missing_content, example_missing_assistant_message. Token counting
(tiktoken) is left out, as in the benchmark's structural run. Invalid JSON lines are counted as `invalid_json`
(the notebook would stop on them).

Usage: python3 bench/peers/openai_cookbook_checks.py <file.jsonl>   (prints one JSON line with the counts)
"""
import json
import sys
from collections import defaultdict


def check(path):
    format_errors = defaultdict(int)
    rows = 0
    with open(path, "r", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.strip():
                continue
            rows += 1
            try:
                ex = json.loads(line)
            except json.JSONDecodeError:
                format_errors["invalid_json"] += 1
                continue
            if not isinstance(ex, dict):
                format_errors["data_type"] += 1
                continue
            messages = ex.get("messages", None)
            if not messages:
                format_errors["missing_messages_list"] += 1
                continue
            for message in messages:
                if "role" not in message or "content" not in message:
                    format_errors["message_missing_key"] += 1
                if any(k not in ("role", "content", "name", "function_call", "weight") for k in message):
                    format_errors["message_unrecognized_key"] += 1
                if message.get("role", None) not in ("system", "user", "assistant", "function"):
                    format_errors["unrecognized_role"] += 1
                content = message.get("content", None)
                function_call = message.get("function_call", None)
                if (not content and not function_call) or not isinstance(content, str):
                    format_errors["missing_content"] += 1
            if not any(message.get("role", None) == "assistant" for message in messages):
                format_errors["example_missing_assistant_message"] += 1
    return rows, dict(format_errors)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    rows, errors = check(sys.argv[1])
    print(json.dumps({"rows": rows, "format_errors": errors}))
