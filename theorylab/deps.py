"""Optional heavy dependencies, imported on first use and quietly.

neural-tangents imports TensorFlow, whose C++ runtime writes start-up lines ("oneDNN custom
operations are on", "Could not find cuda drivers") straight to file descriptor 2 before any
Python logging is configured, so neither ``TF_CPP_MIN_LOG_LEVEL`` nor ``warnings`` silences all
of them.  :func:`neural_tangents` imports the package with descriptor 2 pointed at /dev/null
for the duration of the import only; Python errors raised by the import still propagate.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys


@contextlib.contextmanager
def _quiet_fd2():
    """Point file descriptor 2 at /dev/null inside the block (C-level writes included)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
    finally:
        os.close(saved)


def neural_tangents():
    """The ``neural_tangents`` module, imported without TensorFlow's start-up log lines."""
    if "neural_tangents" in sys.modules:
        return sys.modules["neural_tangents"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    with _quiet_fd2():
        return importlib.import_module("neural_tangents")
