"""Chatwright's fine-tuning job: transformers' Trainer + PEFT, driven by a resolved JSON config.

The pure modules (config, events, errors, rows, masking, batching, control) import nothing beyond the standard
library, so they run and are tested under a plain Python 3.11. Everything that needs torch or transformers is
imported inside the functions that use it.
"""

__version__ = "0.1.0"

# Bumped when an event changes shape in a way an older reader would misread (python/README.md, "Events").
EVENT_PROTOCOL_VERSION = 1
