"""Stable error codes: the TypeScript side keys its messages and actions on `code`, never on the wording."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# code -> what the user can do about it. Kept in one table so python/README.md and the tests can list them.
ERROR_ACTIONS: dict[str, str] = {
    "CONFIG_INVALID": "Fix the job file at the field named in the message.",
    "CONFIG_UNREADABLE": "Check that the resolved config file exists and is JSON (or YAML with PyYAML installed).",
    "DATA_UNREADABLE": "Check the dataset path, its permissions and that it is UTF-8 JSON Lines.",
    "DATA_INVALID": "Fix the rows listed (file:line: field: problem), or remove them.",
    "DATA_EMPTY": "The dataset has no usable rows after checks; add rows or relax max_seq_length.",
    "LOSS_MASK_EMPTY": "No token would be trained on: check that rows have assistant replies/completions and that "
    "max_seq_length keeps them (every label is -100).",
    "NO_CHAT_TEMPLATE": "The tokenizer has no chat template: pick an instruct/chat model, set `data.chat_template`, "
    "or convert the data to prompt/completion or text.",
    "TEMPLATE_INCOMPATIBLE": "The chat template renders conversations in a way the assistant turns cannot be located "
    "in; set `data.chat_template` to a standard template or use prompt/completion data.",
    "PACKAGES_MISSING": "Install the missing packages with the command given, then run the job again.",
    "NO_GPU_FOR_QLORA": "QLoRA needs a CUDA GPU and bitsandbytes; use method `lora` or run on a CUDA machine.",
    "MODEL_LOAD_FAILED": "Check that the model folder holds config.json, the weights and the tokenizer files.",
    "OUT_OF_MEMORY": "Lower per_device_batch_size or max_seq_length, enable gradient_checkpointing, or use QLoRA.",
    "RESUME_FAILED": "The checkpoint could not be resumed; start a new run or point `training.resume` at another "
    "checkpoint.",
    "MERGE_FAILED": "Merging needs the unquantized base model and enough memory for it in bf16.",
    "TRAINING_FAILED": "See the message and the log; report it with events.jsonl if it persists.",
    "DISTRIBUTED_ENV_INVALID": "The launcher set RANK/LOCAL_RANK/WORLD_SIZE/LOCAL_WORLD_SIZE inconsistently: start the "
    "trainer through the job (accelerate launch), not by hand with these variables set.",
    # The serving job's (python/chatwright_serve) codes.
    "MODEL_NOT_FOUND": "Check the model id or folder: a folder needs config.json, the weights and the tokenizer files; "
    "a Hub id must be in the local cache when offline.",
    "ADAPTER_INVALID": "Point --adapter at a finished run's adapter/ folder (PEFT adapter_config.json and weights) "
    "trained on the same base model.",
    "PORT_IN_USE": "Another process listens on that port: stop it or pass another --port (0 picks a free one).",
    "API_KEY_REQUIRED": "Listening beyond loopback needs an API key in the CHATWRIGHT_SERVE_API_KEY environment "
    "variable.",
    "ENGINE_FAILED": "The inference engine stopped; see the message and the log (for vLLM, its own output).",
}


@dataclass
class TrainError(Exception):
    """An expected failure with a stable code; becomes one `error` event."""

    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in ERROR_ACTIONS:
            raise ValueError(f"unknown error code {self.code!r}")
        super().__init__(f"{self.code}: {self.message}")

    @property
    def action(self) -> str:
        return ERROR_ACTIONS[self.code]
