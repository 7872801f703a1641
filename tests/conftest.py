"""Shared test setup: a fresh results cache per session, quiet TensorFlow, no progress bars."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

_JAX_CACHE_ENV = "JAX_COMPILATION_CACHE_DIR"


def pytest_configure(config):
    """One on-disk JAX compilation cache per test run, shared by the pytest-xdist workers.

    Most of the suite's time is XLA compilation, and many sims build fresh jitted closures
    whose HLO is identical to one compiled earlier (in this process or on the other worker):
    the persistent cache turns those into a disk read.  The folder is new for every run (no
    state leaks between runs) and is removed at the end.  Workers inherit it through the
    environment, so it must be set before they start, i.e. here, in the controller.
    """
    if os.environ.get("PYTEST_XDIST_WORKER") or os.environ.get(_JAX_CACHE_ENV):
        return
    path = tempfile.mkdtemp(prefix="theorylab-jax-cache-")
    os.environ[_JAX_CACHE_ENV] = path
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.1")
    config._theorylab_jax_cache = path


def pytest_unconfigure(config):
    path = getattr(config, "_theorylab_jax_cache", None)
    if path:
        os.environ.pop(_JAX_CACHE_ENV, None)
        shutil.rmtree(path, ignore_errors=True)


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
