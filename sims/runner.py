"""Simulation runner: registry, scaled configs, seeds, cache, sweeps, executors, progress.

A simulation is a pure function ``run(config) -> dict[str, np.ndarray]`` together with a
frozen dataclass ``Config`` that has ``quick()`` and ``full()`` constructors.  Registering it::

    @dataclass(frozen=True)
    class Config(runner.SimConfig):
        widths: tuple[int, ...] = (64, 128)
        steps: int = 100

        @classmethod
        def full(cls):
            return cls(widths=(64, 256, 1024, 4096, 16384), steps=200)

    @runner.register("ntk_width", paper="ntk", config=Config, sweep="widths")
    def run(config: Config) -> dict:
        ...

``sweep`` names a tuple-valued field of the config.  The runner then splits the config into
one point per element of that field, computes each point independently (possibly on another
process or a Dask worker), caches each point on its own, and concatenates the results along
axis 0.  Hence the contract for a swept sim: **every array it returns has a leading axis of
length ``len(getattr(config, sweep))``**, and ``run(config)`` called directly gives the same
arrays as the sharded run.

Cache
-----
Each point is stored at ``results/<name>/<hash>.npz`` (+ ``.json`` metadata), where the hash
covers (sim name, config, package version, fingerprint of the sim's source code).  Writes go
to a temporary file that is renamed into place, so a sweep killed midway leaves only complete
entries and a re-run computes the missing points only.

Executors
---------
``executor`` is ``"serial"`` (in process), ``"local"`` (a process pool with the ``spawn``
start method, safe with JAX), ``"dask"`` (``dask.distributed.Client(scheduler).get_executor()``,
or a local cluster when no scheduler is given), or any ``concurrent.futures.Executor``.
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import dataclasses
import functools
import hashlib
import json
import os
import sys
import tempfile
import time
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future, as_completed
from pathlib import Path
from typing import Any

import numpy as np

from theorylab import __version__
from theorylab.discovery import import_submodules

SCALES = ("quick", "full")
_NOT_SIM_MODULES = {"runner", "nets", "train", "__main__"}


# --------------------------------------------------------------------------- configs


@dataclasses.dataclass(frozen=True)
class SimConfig:
    """Base class of every sim config: an explicit integer seed and two scales."""

    seed: int = 0

    @classmethod
    def quick(cls):
        """Sizes that run in seconds to a minute on 2 CPU cores (tests, ``make demo``)."""
        return cls()

    @classmethod
    def full(cls):
        """The paper's sizes (meant for a GPU or a cluster)."""
        return cls.quick()

    @classmethod
    def at_scale(cls, scale: str):
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
        return cls.quick() if scale == "quick" else cls.full()


def _field_types(cls) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints.get(f.name, str) for f in dataclasses.fields(cls)}


def _coerce(text: str, annotation: Any, name: str) -> Any:
    """Turn ``text`` from ``--set name=text`` into a value of the field's type."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    try:
        if origin is tuple:
            inner = args[0] if args else float
            parts = [p for p in text.strip("()[] ").split(",") if p.strip()]
            return tuple(_coerce(p.strip(), inner, name) for p in parts)
        if origin is typing.Union or (origin is not None and type(None) in args):
            if text.lower() in ("none", "null"):
                return None
            inner = next(a for a in args if a is not type(None))
            return _coerce(text, inner, name)
        if annotation is bool:
            low = text.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if annotation is int:
            return int(float(text)) if "e" in text.lower() else int(text)
        if annotation is float:
            return float(text)
        if annotation is str:
            return text
    except (ValueError, StopIteration) as err:
        raise ValueError(f"cannot parse {name}={text!r} as {annotation}") from err
    return json.loads(text)


def apply_overrides(config, overrides: Mapping[str, Any] | Sequence[str] | None):
    """Return ``config`` with fields replaced.

    ``overrides`` is either a mapping of field -> value or a sequence of ``"key=value"``
    strings (as given to ``--set``), parsed with the field's annotated type.
    """
    if not overrides:
        return config
    types = _field_types(type(config))
    if isinstance(overrides, Mapping):
        items = dict(overrides)
    else:
        items = {}
        for item in overrides:
            if "=" not in item:
                raise ValueError(f"override {item!r} is not of the form key=value")
            key, value = item.split("=", 1)
            items[key.strip()] = value.strip()
    new = {}
    for key, value in items.items():
        if key not in types:
            raise ValueError(
                f"unknown config field {key!r} for {type(config).__name__}; "
                f"fields are {sorted(types)}"
            )
        new[key] = _coerce(value, types[key], key) if isinstance(value, str) else value
    return dataclasses.replace(config, **new)


def config_dict(config) -> dict[str, Any]:
    """A JSON-friendly dict of a config (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config), default=_json_default))


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def config_hash(name: str, config, version: str = __version__, code: str | None = None) -> str:
    """Cache key of one point: sim name, full config, package version and code fingerprint.

    ``code`` defaults to :func:`code_fingerprint` of the sim, so editing a paper's theory or
    sims (or the shared nets/train toolkit) invalidates its cached results.
    """
    if code is None:
        code = code_fingerprint(name)
    payload = json.dumps(
        {"sim": name, "config": config_dict(config), "version": version,
         "type": type(config).__name__, "code": code},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


_ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def code_fingerprint(name: str) -> str:
    """Hash of the sources a sim's numbers depend on.

    That is the sim's own module, every ``sims/<paper>_*.py``, ``theory/<paper>.py`` (or the
    ``theory/<paper>/`` subpackage) and the shared ``sims/nets.py`` and ``sims/train.py``.
    """
    sim = get(name)
    files = {Path(sys.modules[sim.module].__file__).resolve()}
    files.update((_ROOT / "sims").glob(f"{sim.paper}_*.py"))
    files.update((_ROOT / "theory").glob(f"{sim.paper}.py"))
    files.update((_ROOT / "theory" / sim.paper).glob("**/*.py"))
    files.update(_ROOT / "sims" / f for f in ("nets.py", "train.py"))
    digest = hashlib.sha256()
    for path in sorted(files):
        if path.exists():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------- registry


@dataclasses.dataclass(frozen=True)
class Sim:
    """A registered simulation."""

    name: str
    paper: str
    run: Callable[[Any], dict]
    config: type
    sweep: str | None = None
    description: str = ""

    @property
    def module(self) -> str:
        return self.run.__module__

    def make_config(self, scale: str = "quick", overrides=None):
        return apply_overrides(self.config.at_scale(scale), overrides)


_REGISTRY: dict[str, Sim] = {}


def register(name: str, *, paper: str, config: type, sweep: str | None = None,
             description: str | None = None):
    """Decorator registering ``run(config) -> dict`` as simulation ``name``."""
    if not (dataclasses.is_dataclass(config) and issubclass(config, SimConfig)):
        raise TypeError(f"config of sim {name!r} must be a dataclass subclassing SimConfig")
    if sweep is not None and sweep not in {f.name for f in dataclasses.fields(config)}:
        raise ValueError(f"sweep field {sweep!r} is not a field of {config.__name__}")

    def deco(fn):
        doc = (fn.__doc__ or "").strip().splitlines()
        existing = _REGISTRY.get(name)
        if existing is not None and existing.module != fn.__module__:
            raise ValueError(f"sim {name!r} registered twice ({existing.module}, {fn.__module__})")
        _REGISTRY[name] = Sim(name, paper, fn, config, sweep,
                              description if description is not None else (doc[0] if doc else ""))
        return fn

    return deco


def load_all() -> None:
    """Import every module of ``sims`` so that all sims are registered."""
    import_submodules("sims", _NOT_SIM_MODULES)


def get(name: str) -> Sim:
    if name not in _REGISTRY:
        load_all()
    if name not in _REGISTRY:
        raise ValueError(f"unknown sim {name!r}; known sims: {sorted(_REGISTRY)}")
    return _REGISTRY[name]


def all_sims(paper: str | None = None) -> list[Sim]:
    load_all()
    return [s for s in sorted(_REGISTRY.values(), key=lambda s: s.name)
            if paper is None or s.paper == paper]


# --------------------------------------------------------------------------- cache


def default_cache_dir() -> Path:
    return Path(os.environ.get("THEORYLAB_RESULTS", "results"))


def _as_arrays(result: Mapping[str, Any], name: str) -> dict[str, np.ndarray]:
    if not isinstance(result, Mapping):
        raise TypeError(f"sim {name!r} must return a dict of arrays, got {type(result).__name__}")
    out = {}
    for key, value in result.items():
        arr = np.asarray(value)
        if arr.dtype == object:
            raise TypeError(f"sim {name!r}: result {key!r} is not a numeric/str array")
        out[str(key)] = arr
    return out


class Cache:
    """Directory of ``<sim>/<hash>.npz`` entries written atomically."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_cache_dir()

    def path(self, name: str, config) -> Path:
        return self.root / name / f"{config_hash(name, config)}.npz"

    def load(self, name: str, config) -> dict[str, np.ndarray] | None:
        path = self.path(name, config)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        except (OSError, ValueError):  # unreadable entry: recompute
            return None

    def save(self, name: str, config, result: Mapping[str, np.ndarray], seconds: float) -> Path:
        path = self.path(name, config)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.npz")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **result)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        meta = {"sim": name, "config": config_dict(config), "version": __version__,
                "seconds": seconds, "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.json")
        with os.fdopen(fd, "w") as fh:
            json.dump(meta, fh, indent=1)
        os.replace(tmp, path.with_suffix(".json"))
        return path


# --------------------------------------------------------------------------- executors


class SerialExecutor(Executor):
    """Runs each submitted call at once, in this process."""

    def submit(self, fn, /, *args, **kwargs):
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as err:  # noqa: BLE001 - delivered through the future
            fut.set_exception(err)
        return fut


def make_executor(kind: str | Executor = "serial", *, workers: int | None = None,
                  scheduler: str | None = None):
    """Return ``(executor, close)``; ``close()`` releases what this call created."""
    if isinstance(kind, Executor):
        return kind, lambda: None
    if kind == "serial":
        return SerialExecutor(), lambda: None
    if kind == "local":
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        ex = ProcessPoolExecutor(max_workers=workers or os.cpu_count(),
                                 mp_context=multiprocessing.get_context("spawn"))
        return ex, lambda: ex.shutdown(wait=True, cancel_futures=True)
    if kind == "dask":
        from dask.distributed import Client, LocalCluster

        if scheduler:
            client = Client(scheduler)
            return client.get_executor(), client.close
        cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = Client(cluster)

        def close():
            client.close()
            cluster.close()

        return client.get_executor(), close
    raise ValueError(f"executor must be 'serial', 'local', 'dask' or an Executor, got {kind!r}")


# --------------------------------------------------------------------------- running


_DEFAULTS: dict[str, Any] = {"executor": "serial", "workers": None, "scheduler": None}


def set_defaults(*, executor=None, workers=None, scheduler=None) -> None:
    """Default executor for sweeps that do not name one (used by ``theorylab check``)."""
    if executor is not None:
        _DEFAULTS["executor"] = executor
    _DEFAULTS["workers"] = workers
    _DEFAULTS["scheduler"] = scheduler


def _compute_point(name: str, config) -> tuple[dict[str, np.ndarray], float]:
    """Worker entry point (module-level so that it pickles)."""
    sim = get(name)
    t0 = time.perf_counter()
    result = _as_arrays(sim.run(config), name)
    return result, time.perf_counter() - t0


def _completed(ex: Executor, jobs):
    """Yield ``(tag, future)`` as each ``_compute_point(*args)`` finishes.

    The serial executor computes at submission, so its jobs are submitted one at a time
    (each result is stored before the next point starts, which is what makes an interrupted
    sweep resumable); other executors get every job at once.
    """
    if isinstance(ex, SerialExecutor):
        for tag, args in jobs:
            yield tag, ex.submit(_compute_point, *args)
        return
    futures = {ex.submit(_compute_point, *args): tag for tag, args in jobs}
    for fut in as_completed(futures):
        yield futures[fut], fut


def split(sim: Sim, config) -> list:
    """The independent points of ``config`` (one per element of the sweep field)."""
    if sim.sweep is None:
        return [config]
    values = getattr(config, sim.sweep)
    if not isinstance(values, tuple) or len(values) == 0:
        raise ValueError(f"sweep field {sim.sweep!r} of sim {sim.name!r} must be a non-empty tuple")
    return [dataclasses.replace(config, **{sim.sweep: (v,)}) for v in values]


def combine(sim: Sim, parts: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    if len(parts) == 1:
        return dict(parts[0])
    keys = parts[0].keys()
    for part in parts:
        if part.keys() != keys:
            raise ValueError(f"sim {sim.name!r}: points returned different keys")
    out = {}
    for key in keys:
        try:
            out[key] = np.concatenate([np.asarray(p[key]) for p in parts], axis=0)
        except ValueError as err:
            raise ValueError(
                f"sim {sim.name!r}: result {key!r} must have a leading axis over the sweep "
                f"field {sim.sweep!r}"
            ) from err
    return out


def _progress(total: int, desc: str, enabled: bool | None):
    from tqdm.auto import tqdm

    if enabled is None:
        enabled = sys.stderr.isatty()
    return tqdm(total=total, desc=desc, disable=not enabled, leave=False)


def run_points(name: str, configs: Iterable, *, executor: str | Executor | None = None,
               workers: int | None = None, scheduler: str | None = None,
               cache: Cache | str | os.PathLike | None = None, use_cache: bool = True,
               force: bool = False, progress: bool | None = None) -> list[dict[str, np.ndarray]]:
    """Compute many configs of one sim, reusing cached points, in submission order.

    Points already in the cache are loaded (unless ``force``); the rest are submitted to the
    executor, and each is written to the cache as soon as it completes, so an interrupted
    sweep resumes where it stopped.
    """
    get(name)
    configs = list(configs)
    store = cache if isinstance(cache, Cache) else Cache(cache)
    results: list[dict | None] = [None] * len(configs)
    todo = []
    for i, cfg in enumerate(configs):
        hit = store.load(name, cfg) if (use_cache and not force) else None
        if hit is None:
            todo.append(i)
        else:
            results[i] = hit
    if todo:
        if executor is None:
            executor = _DEFAULTS["executor"]
            workers = workers or _DEFAULTS["workers"]
            scheduler = scheduler or _DEFAULTS["scheduler"]
        ex, close = make_executor(executor, workers=workers, scheduler=scheduler)
        bar = _progress(len(todo), name, progress)
        try:
            for i, fut in _completed(ex, [(i, (name, configs[i])) for i in todo]):
                result, seconds = fut.result()
                if use_cache:
                    store.save(name, configs[i], result, seconds)
                results[i] = result
                bar.update(1)
        finally:
            bar.close()
            close()
    return results  # type: ignore[return-value]


_USED_SIMS: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "theorylab_used_sims", default=None)


@contextlib.contextmanager
def record_sims():
    """Collect the names of the sims that :func:`run_sim` is asked for inside the block.

    The ledger uses it to know which sims (hence which figures) support each claim::

        with record_sims() as used:
            claim_fn("quick")
        sorted(used)   # e.g. ["ntk_width"]
    """
    used: set[str] = set()
    token = _USED_SIMS.set(used)
    try:
        yield used
    finally:
        _USED_SIMS.reset(token)


def run_sim(name: str, config=None, *, scale: str = "quick", overrides=None,
            executor: str | Executor | None = None, workers: int | None = None,
            scheduler: str | None = None, cache: Cache | str | os.PathLike | None = None,
            use_cache: bool = True, force: bool = False,
            progress: bool | None = None) -> dict[str, np.ndarray]:
    """Run sim ``name`` at ``scale`` (or on an explicit ``config``) and return its arrays.

    The config's sweep field (if any) is split into independent cached points that run on
    ``executor``; their results are concatenated along axis 0.
    """
    sim = get(name)
    used = _USED_SIMS.get()
    if used is not None:
        used.add(name)
    if config is None:
        config = sim.make_config(scale, overrides)
    else:
        if not isinstance(config, sim.config):
            raise TypeError(f"config for {name!r} must be a {sim.config.__name__}")
        config = apply_overrides(config, overrides)
    parts = run_points(name, split(sim, config), executor=executor, workers=workers,
                       scheduler=scheduler, cache=cache, use_cache=use_cache, force=force,
                       progress=progress)
    return combine(sim, parts)


# --------------------------------------------------------------------------- scripts


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", choices=SCALES, default="quick")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override a config field (repeatable)")
    parser.add_argument("--executor", default=None, choices=("serial", "local", "dask"),
                        help="where sweep points run (default: serial, in process)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--scheduler", default=None, help="Dask scheduler address")
    parser.add_argument("--device", choices=("cpu", "gpu"), default=None,
                        help="JAX platform (default: JAX's choice, the GPU when present)")
    parser.add_argument("--results", default=None, help="cache directory (default ./results)")
    parser.add_argument("--force", action="store_true", help="recompute cached points")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--out", default=None, help="also write the arrays to this .npz")


def set_device(device: str | None) -> None:
    if device is None:
        return
    import jax

    jax.config.update("jax_platform_name", device)


def run_from_args(name: str, args: argparse.Namespace) -> dict[str, np.ndarray]:
    set_device(args.device)
    t0 = time.perf_counter()
    result = run_sim(name, scale=args.scale, overrides=args.overrides, executor=args.executor,
                     workers=args.workers, scheduler=args.scheduler, cache=args.results,
                     force=args.force, progress=False if args.quiet else None)
    if args.out:
        np.savez(args.out, **result)
    print(summarize(name, result, time.perf_counter() - t0))
    return result


def summarize(name: str, result: Mapping[str, np.ndarray], seconds: float) -> str:
    lines = [f"{name}: {len(result)} arrays in {seconds:.1f} s"]
    for key, arr in result.items():
        arr = np.asarray(arr)
        if arr.size == 1:
            desc = f"{arr.reshape(()).item()!r}"
        elif arr.dtype.kind in "fiu" and arr.size:
            desc = f"shape {arr.shape}, min {np.nanmin(arr):.4g}, max {np.nanmax(arr):.4g}"
        else:
            desc = f"shape {arr.shape}, dtype {arr.dtype}"
        lines.append(f"  {key:<24} {desc}")
    return "\n".join(lines)


def main(name: str, argv: Sequence[str] | None = None) -> None:
    """Entry point for ``python -m sims.<module>``."""
    parser = argparse.ArgumentParser(prog=f"python -m {get(name).module}",
                                     description=get(name).description)
    add_run_arguments(parser)
    run_from_args(name, parser.parse_args(argv))
