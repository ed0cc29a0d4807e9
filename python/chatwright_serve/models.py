"""The served model ids: the base model and its adapters, each adapter a model id of its own with the base as
`parent` (as vLLM lists LoRA modules). Adapters named with `--adapter` are known from the start and loaded on first
use; `POST /v1/adapters/load` loads one now, `/unload` drops it. Loading runs on the scheduler's thread between
batches, so a generation never sees the model change under it."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import Future
from typing import Any

from .adapters import AdapterInvalid, check_adapter, check_adapter_name, check_under_roots
from .generation import ServeError
from .scheduler import Scheduler


class ModelRegistry:
    def __init__(self, base_id: str, served_model: str, scheduler: Scheduler,
                 adapter_roots: list[str] | None = None) -> None:
        self.base_id = base_id
        # The folders POST /v1/adapters/load may load from (--adapter-root); without any, the folders holding the
        # --adapter folders; with neither, none.
        self._adapter_roots = [os.path.realpath(root) for root in adapter_roots or []]
        self._default_roots: list[str] = []
        self.served_model = served_model  # what --model named: adapters' base_model_name_or_path is checked against it
        self.scheduler = scheduler
        self._known: dict[str, str] = {}
        self._loaded: set[str] = set()
        self._loading: dict[str, Future[None]] = {}  # adapters being loaded now: waiters share the outcome
        self._lock = threading.Lock()
        self._created = int(time.time())

    def add_known(self, name: str, path: str) -> None:
        """An adapter from the command line (checked now, loaded on first use). Raises AdapterInvalid."""
        if name == self.base_id:
            raise AdapterInvalid(f"adapter name {name!r} is the base model's id")
        check_adapter(name, path, self.served_model)
        self._known[name] = path
        parent = os.path.dirname(os.path.realpath(path))
        if parent not in self._default_roots:
            self._default_roots.append(parent)

    @property
    def adapter_roots(self) -> list[str]:
        return self._adapter_roots or self._default_roots

    def check_path(self, path: object) -> str:
        """A path a caller asks to load, resolved, when it lies under an adapter root. Raises AdapterInvalid."""
        return check_under_roots(path, self.adapter_roots)

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
        Raises ServeError 404 for an unknown id. The load waits for the running batch: it happens outside the lock
        (so /v1/models and other requests answer meanwhile), once per adapter (later requests wait on its Future)."""
        if model == self.base_id:
            return None
        with self._lock:
            path = self._known.get(model)
            if path is None:
                raise ServeError(404, f"The model `{model}` does not exist.", "model", "model_not_found")
            if model in self._loaded:
                return model
            pending = self._loading.get(model)
            if pending is None:
                pending = self._loading[model] = Future()
                owner = True
            else:
                owner = False
        if owner:
            self._load_known(model, path, pending)
        try:
            pending.result()
        except AdapterInvalid as error:
            raise ServeError(400, f"Adapter {model!r} could not be loaded: {error}", "model",
                             "adapter_invalid") from error
        return model

    def _load_known(self, name: str, path: str, pending: Future[None]) -> None:
        """Loads a known adapter on the scheduler's thread and settles `pending` with the outcome."""
        try:
            self.scheduler.run_task(lambda: self.scheduler.backend.load_adapter(name, path))
            with self._lock:
                current = self._known.get(name) == path
                if current:
                    self._loaded.add(name)
            if not current:  # unloaded (or replaced) while it loaded: take it out again
                self.scheduler.run_task(lambda: self.scheduler.backend.unload_adapter(name))
                raise ServeError(404, f"The model `{name}` does not exist.", "model", "model_not_found")
            pending.set_result(None)
        except BaseException as error:  # noqa: BLE001 - every waiter hears the same outcome
            pending.set_exception(error)
        finally:
            with self._lock:
                if self._loading.get(name) is pending:
                    del self._loading[name]

    def load(self, name: object, path: object) -> dict[str, Any]:
        try:
            check_adapter_name(name)
            if name == self.base_id:
                raise AdapterInvalid(f"adapter name {name!r} is the base model's id")
        except AdapterInvalid as error:
            raise ServeError(400, str(error), "name", "invalid_value") from error
        try:
            path = self.check_path(path)
            check_adapter(name, path, self.served_model)
        except AdapterInvalid as error:
            raise ServeError(400, str(error), "path", "adapter_invalid") from error
        assert isinstance(name, str) and isinstance(path, str)
        pending: Future[None] = Future()
        with self._lock:  # the name is taken while it loads, so a second load of it is refused at once
            if name in self._known or name in self._loading:
                raise ServeError(400, f"An adapter named {name!r} is already loaded; unload it first.", "name",
                                 "adapter_exists")
            self._loading[name] = pending
        try:
            self.scheduler.run_task(lambda: self.scheduler.backend.load_adapter(name, path))
            with self._lock:
                self._known[name] = path
                self._loaded.add(name)
            pending.set_result(None)
        except AdapterInvalid as error:
            pending.set_exception(error)
            raise ServeError(400, str(error), "path", "adapter_invalid") from error
        except BaseException as error:
            pending.set_exception(error)
            raise
        finally:
            with self._lock:
                if self._loading.get(name) is pending:
                    del self._loading[name]
        return {"object": "adapter", "id": name, "parent": self.base_id, "path": path, "loaded": True}

    def unload(self, name: object) -> dict[str, Any]:
        if not isinstance(name, str) or not name:
            raise ServeError(400, "name must be the adapter's id", "name", "invalid_value")
        with self._lock:
            if name not in self._known:
                raise ServeError(404, f"No adapter named {name!r} is loaded.", "name", "model_not_found")
            engaged = name in self._loaded or name in self._loading
            del self._known[name]
            self._loaded.discard(name)
        if engaged:  # tasks run in order: a load already queued runs before this unload
            self.scheduler.run_task(lambda: self.scheduler.backend.unload_adapter(name))
        return {"object": "adapter", "id": name, "parent": self.base_id, "loaded": False}
