"""Chatwright's GPU serving job: an OpenAI-compatible server (standard-library HTTP) over transformers + PEFT with
batching, or a launcher for `vllm serve`. `python -m chatwright_serve --help` lists the options; python/README.md
("Serving") documents the routes, events and batching.

The HTTP layer, the scheduler, the adapter checks and the stand-in generator need only the standard library, so they
run and are tested under a plain Python 3.11; torch, transformers and PEFT are imported by transformers_engine only.
"""

__version__ = "0.1.0"
