"""Shared test setup: a fresh results cache per session, quiet TensorFlow, no progress bars."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="session", autouse=True)
def _fresh_results_cache(tmp_path_factory):
    """Every test session computes its sims from scratch (never a stale ./results).

    Under pytest-xdist the workers of one run share one cache folder (the base temp folder's
    parent is common to them), so a sim needed by tests on two workers is usually computed
    once; cache writes are atomic, so two workers racing on one entry is harmless."""
    old = os.environ.get("THEORYLAB_RESULTS")
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = tmp_path_factory.getbasetemp().parent / "results"
        shared.mkdir(exist_ok=True)
        os.environ["THEORYLAB_RESULTS"] = str(shared)
    else:
        os.environ["THEORYLAB_RESULTS"] = str(tmp_path_factory.mktemp("results"))
    yield
    if old is None:
        os.environ.pop("THEORYLAB_RESULTS", None)
    else:
        os.environ["THEORYLAB_RESULTS"] = old
