"""Shared test setup: a fresh results cache per session, quiet TensorFlow, no progress bars."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="session", autouse=True)
def _fresh_results_cache(tmp_path_factory):
    """Every test session computes its sims from scratch (never a stale ./results)."""
    old = os.environ.get("THEORYLAB_RESULTS")
    os.environ["THEORYLAB_RESULTS"] = str(tmp_path_factory.mktemp("results"))
    yield
    if old is None:
        os.environ.pop("THEORYLAB_RESULTS", None)
    else:
        os.environ["THEORYLAB_RESULTS"] = old
