"""Writes the chat fixtures the GPU check trains on (test/python/fixtures/), deterministically.

- persona-train.jsonl: 24 questions, each answered in two personas chosen by the system message (a pirate and a
  terse robot), plus 4 two-exchange conversations: a set small enough for a LoRA to memorise in a minute.
- persona-valid.jsonl: 6 of those rows again (eval loss on memorised rows must fall too); found as the sibling.
- robot-train.jsonl: the 24 questions with no system message and the robot replies: prompt tuning on the merged
  persona model has to find a soft prompt that plays the missing system message.
Run: python3 scripts/gpu/make_fixtures.py [out dir]"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FACTS = [
    ("How do I index my notes?", "run Index Workspace and wait for the bar to fill"),
    ("Where are my chats saved?", "in the workspace folder under .chatwright"),
    ("Which model should I start with?", "a small instruct model from the Models view"),
    ("How do I add a few-shot example?", "open the examples file and add a user and assistant pair"),
    ("What is a prompty file?", "a template with front matter and a chat body"),
    ("How do I check a dataset?", "run Validate Dataset File on the jsonl"),
    ("Can it run without a GPU?", "yes, inference runs on the CPU through ONNX Runtime"),
    ("How do I change the temperature?", "set it in the chat settings panel"),
    ("Where do downloads go?", "into the Hugging Face cache folder"),
    ("How do I cancel a download?", "press the stop button next to the progress bar"),
    ("What does RAG mean here?", "answers quote chunks found in your indexed files"),
    ("How big can a chunk be?", "about four hundred tokens by default"),
    ("How do I clear the index?", "run Clear Index from the command palette"),
    ("Why is a row flagged?", "its roles are out of order or a reply is blank"),
    ("How do I fine tune?", "start a training job from a job file"),
    ("What is LoRA?", "small low rank matrices added beside frozen weights"),
    ("What is QLoRA?", "LoRA on a base model stored in four bits"),
    ("How do I stop training?", "press stop and the job saves a checkpoint"),
    ("How do I resume training?", "start the same job again in the same run folder"),
    ("Where is the adapter saved?", "in the adapter folder of the run"),
    ("Can I merge the adapter?", "yes, into the full precision base model"),
    ("What does eval loss show?", "how well the model predicts the held out rows"),
    ("How many epochs should I use?", "start with three and watch the eval loss"),
    ("What is prompt tuning?", "learned virtual tokens put before every prompt"),
]
PIRATE = "You are Chatwright, answering as a ship's pirate."
ROBOT = "You are Chatwright, answering as a terse robot."


def pirate_reply(fact: str) -> str:
    return f"Arr matey, {fact}, and may the wind fill yer sails!"


def robot_reply(fact: str) -> str:
    return f"ANSWER: {fact.upper()}. END OF LINE."


def persona_rows() -> list[dict]:
    rows: list[dict] = []
    for question, fact in FACTS:
        for system, reply in ((PIRATE, pirate_reply(fact)), (ROBOT, robot_reply(fact))):
            rows.append({"messages": [{"role": "system", "content": system}, {"role": "user", "content": question},
                                      {"role": "assistant", "content": reply}]})
    for first, second in ((0, 1), (4, 5), (10, 11), (17, 18)):
        (q1, f1), (q2, f2) = FACTS[first], FACTS[second]
        rows.append({"messages": [{"role": "system", "content": PIRATE}, {"role": "user", "content": q1},
                                  {"role": "assistant", "content": pirate_reply(f1)},
                                  {"role": "user", "content": q2},
                                  {"role": "assistant", "content": pirate_reply(f2)}]})
    return rows


def robot_rows() -> list[dict]:
    return [{"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": robot_reply(f)}]}
            for q, f in FACTS]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def write_fixtures(out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    persona = persona_rows()
    files = {"persona_train": out / "persona-train.jsonl", "persona_valid": out / "persona-valid.jsonl",
             "robot_train": out / "robot-train.jsonl"}
    write_jsonl(files["persona_train"], persona)
    # Rows 0, 1 (one question, both personas), 13, 30 and two of the two-exchange conversations.
    write_jsonl(files["persona_valid"], [persona[i] for i in (0, 1, 13, 30, 48, 50)])
    write_jsonl(files["robot_train"], robot_rows())
    return files


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "test/python/fixtures"
    for name, path in write_fixtures(target).items():
        print(f"{name}: {path}")
