"""The transformers engine's parts that run without torch: where it imports transformers' generation classes from
(checked against the installed transformers when there is one), and how a failed PEFT load is undone (over a
stand-in of PEFT's PeftModel, since PEFT needs torch)."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
import types
import unittest
from pathlib import Path

from chatwright_serve.adapters import AdapterInvalid
from chatwright_serve.transformers_engine import TransformersBackend

from serve_support import write_adapter
from support import temp_dir

ENGINE = Path(__file__).resolve().parents[2] / "python" / "chatwright_serve" / "transformers_engine.py"


def transformers_imports() -> list[tuple[str, str]]:
    """(module, name) of every `from transformers… import name` in the engine."""
    found = []
    for node in ast.walk(ast.parse(ENGINE.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "transformers":
            found += [(node.module, alias.name) for alias in node.names]
    return found


class ImportTests(unittest.TestCase):
    def test_generation_classes_come_from_their_own_modules(self):
        # transformers 5 does not export BaseStreamer from its top level; its generation submodules hold these
        # classes in 4.x and 5.x alike.
        modules = dict((name, module) for module, name in transformers_imports())
        self.assertEqual(modules["BaseStreamer"], "transformers.generation.streamers")
        self.assertEqual(modules["StoppingCriteria"], "transformers.generation.stopping_criteria")
        self.assertEqual(modules["StoppingCriteriaList"], "transformers.generation.stopping_criteria")

    @unittest.skipIf(importlib.util.find_spec("transformers") is None,
                     "transformers is not installed in this Python; it is checked where the engine runs "
                     "(scripts/gpu/verify-serving.sh)")
    def test_every_name_the_engine_imports_exists_where_it_imports_it_from(self):
        for module, name in transformers_imports():
            with self.subTest(module=module, name=name):
                self.assertTrue(hasattr(importlib.import_module(module), name), f"{module} has no {name}")


class FakePeftModel:
    """PEFT's PeftModel as far as the engine's adapter loading uses it; a path ending in `-broken` fails to load."""

    def __init__(self, model, config, adapter_name):
        self.base = model
        self.peft_config = {adapter_name: config}
        self.deleted = []
        self.unloaded = False

    def load_adapter(self, path, adapter_name):
        self.peft_config.setdefault(adapter_name, object())
        if str(path).endswith("-broken"):
            raise RuntimeError("size mismatch for lora_A")

    def eval(self):
        return self

    def delete_adapter(self, name):
        self.deleted.append(name)
        del self.peft_config[name]

    def unload(self):
        self.unloaded = True
        return self.base


class AdapterLoadFailureTests(unittest.TestCase):
    def setUp(self):
        self.work = temp_dir(self)
        peft = types.ModuleType("peft")
        peft.PeftModel = FakePeftModel
        peft.PeftConfig = types.SimpleNamespace(from_pretrained=lambda path: types.SimpleNamespace())
        previous = sys.modules.get("peft")
        sys.modules["peft"] = peft
        self.addCleanup(lambda: sys.modules.__setitem__("peft", previous) if previous else sys.modules.pop("peft"))
        self.base_model = object()
        backend = TransformersBackend.__new__(TransformersBackend)  # the model itself needs torch; PEFT is faked
        backend.model, backend.peft_model, backend.adapters, backend.device = self.base_model, None, {}, "cpu"
        self.backend = backend

    def test_a_failed_first_adapter_takes_peft_out_again(self):
        with self.assertRaises(AdapterInvalid):
            self.backend.load_adapter("a", str(write_adapter(self.work / "a-broken")))
        self.assertIsNone(self.backend.peft_model)
        self.assertIs(self.backend.model, self.base_model)
        self.assertEqual(self.backend.adapters, {})

    def test_a_failed_later_adapter_is_deleted_and_the_others_stay(self):
        self.backend.load_adapter("a", str(write_adapter(self.work / "a")))
        wrapper = self.backend.peft_model
        with self.assertRaises(AdapterInvalid):
            self.backend.load_adapter("b", str(write_adapter(self.work / "b-broken")))
        self.assertIs(self.backend.peft_model, wrapper)
        self.assertEqual((wrapper.deleted, sorted(wrapper.peft_config)), (["b"], ["a"]))
        self.assertEqual(sorted(self.backend.adapters), ["a"])


if __name__ == "__main__":
    unittest.main()
