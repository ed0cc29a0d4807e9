"""The served model ids: the base model and its adapters, each adapter a model id of its own with the base as
`parent` (as vLLM lists LoRA modules). Adapters named with `--adapter` are known from the start and loaded on first
use; `POST /v1/adapters/load` loads one now, `/unload` drops it. Loading runs on the scheduler's thread between
batches, so a generation never sees the model change under it."""

from __future__ import annotations

import threading
import time
from typing import Any

from .adapters import AdapterInvalid, check_adapter, check_adapter_name
from .generation import ServeError
from .scheduler import Scheduler


class ModelRegistry:
    def __init__(self, base_id: str, served_model: str, scheduler: Scheduler) -> None:
        self.base_id = base_id
        self.served_model = served_model  # what --model named: adapters' base_model_name_or_path is checked against it
        self.scheduler = scheduler
        self._known: dict[str, str] = {}
        self._loaded: set[str] = set()
        self._lock = threading.Lock()
        self._created = int(time.time())

    def add_known(self, name: str, path: str) -> None:
        """An adapter from the command line (checked now, loaded on first use). Raises AdapterInvalid."""
        if name == self.base_id:
            raise AdapterInvalid(f"adapter name {name!r} is the base model's id")
        check_adapter(name, path, self.served_model)
        self._known[name] = path

    def ids(self) -> list[dict[str, Any]]:
        with self._lock:
            names = sorted(self._known)
        return [{"id": self.base_id, "parent": None}, *({"id": name, "parent": self.base_id} for name in names)]

    def listing(self) -> list[dict[str, Any]]:
        entries = []
        for entry in self.ids():
            entries.append({"id": entry["id"], "object": "model", "created": self._created, "owned_by": "chatwright",
                            "parent": entry["parent"], "root": entry["id"] if entry["parent"] is None else
                            self._known.get(entry["id"], entry["id"]),
                            "max_model_len": self.scheduler.backend.context_length})
        return entries

    def resolve(self, model: str) -> str | None:
        """The adapter a request's `model` names (None: the base model), loading a known adapter on first use.
        Raises ServeError 404 for an unknown id."""
        if model == self.base_id:
            return None
        with self._lock:
            path = self._known.get(model)
            if path is None:
                raise ServeError(404, f"The model `{model}` does not exist.", "model", "model_not_found")
            if model in self._loaded:
                return model
            try:
                self.scheduler.run_task(lambda: self.scheduler.backend.load_adapter(model, path))
            except AdapterInvalid as error:
                raise ServeError(400, f"Adapter {model!r} could not be loaded: {error}", "model",
                                 "adapter_invalid") from error
            self._loaded.add(model)
            return model

    def load(self, name: object, path: object) -> dict[str, Any]:
        try:
            check_adapter_name(name)
            if name == self.base_id:
                raise AdapterInvalid(f"adapter name {name!r} is the base model's id")
        except AdapterInvalid as error:
            raise ServeError(400, str(error), "name", "invalid_value") from error
        try:
            check_adapter(name, path, self.served_model)
        except AdapterInvalid as error:
            raise ServeError(400, str(error), "path", "adapter_invalid") from error
        assert isinstance(name, str) and isinstance(path, str)
        with self._lock:
            if name in self._known:
                raise ServeError(400, f"An adapter named {name!r} is already loaded; unload it first.", "name",
                                 "adapter_exists")
            try:
                self.scheduler.run_task(lambda: self.scheduler.backend.load_adapter(name, path))
            except AdapterInvalid as error:
                raise ServeError(400, str(error), "path", "adapter_invalid") from error
            self._known[name] = path
            self._loaded.add(name)
        return {"object": "adapter", "id": name, "parent": self.base_id, "path": path, "loaded": True}

    def unload(self, name: object) -> dict[str, Any]:
        if not isinstance(name, str) or not name:
            raise ServeError(400, "name must be the adapter's id", "name", "invalid_value")
        with self._lock:
            if name not in self._known:
                raise ServeError(404, f"No adapter named {name!r} is loaded.", "name", "model_not_found")
            if name in self._loaded:
                self.scheduler.run_task(lambda: self.scheduler.backend.unload_adapter(name))
            del self._known[name]
            self._loaded.discard(name)
        return {"object": "adapter", "id": name, "parent": self.base_id, "loaded": False}
