"""Sparse DKM vs sparse NNGP on UCI regression sets with the standard splits (note R7, Fig. 5).

For each data set and split: standardise with the training statistics, draw ``n_inducing``
training rows as inducing inputs (seeded by (seed, split)), and fit with the same inducing
points (a) the sparse NNGP (G_ii fixed at the NNGP chain; noise and SE length scale learned:
an SGPR with the deep NNGP kernel) and (b) the sparse DKM at each ``nu`` (inducing Gram
matrices, noise and length scale learned).  Test RMSE and mean test log-likelihood in the
original units.

Data: ``$THEORYLAB_UCI`` or ``../shared/data/uci`` beside the repository (see its README).
When absent, the sim returns NaN arrays and ``available = 0``.  Swept over ``datasets`` (one
cached point per data set; ``--executor dask`` spreads them), every array has a leading axis
over the data sets.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sims import runner

DATASETS = ("yacht", "energy", "concrete", "wine-quality-red", "kin8nm")


def uci_dir() -> Path:
    """Where the UCI data live: $THEORYLAB_UCI, else ../shared/data/uci beside the checkout."""
    env = os.environ.get("THEORYLAB_UCI")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data" / "uci"


def uci_available(name: str = "yacht") -> bool:
    return (uci_dir() / name / "data.txt").is_file()


def load_split(name: str, split: int):
    """(x_train, y_train, x_test, y_test) of split ``split`` of data set ``name``."""
    d = uci_dir() / name
    data = np.loadtxt(d / "data.txt")
    feats = np.loadtxt(d / "index_features.txt", dtype=int, ndmin=1)
    target = int(np.loadtxt(d / "index_target.txt", dtype=int))
    tr = np.loadtxt(d / f"index_train_{split}.txt", dtype=int)
    te = np.loadtxt(d / f"index_test_{split}.txt", dtype=int)
    x, y = data[:, feats], data[:, target]
    return x[tr], y[tr], x[te], y[te]


def n_splits(name: str) -> int:
    return int(np.loadtxt(uci_dir() / name / "n_splits.txt"))


@dataclass(frozen=True)
class Config(runner.SimConfig):
    datasets: tuple[str, ...] = ("yacht",)
    splits: int = 2
    nus: tuple[float, ...] = (10.0,)
    n_inducing: int = 30
    depth: int = 2
    maxiter: int = 1000

    @classmethod
    def full(cls):
        return cls(datasets=DATASETS, splits=20, nus=(1.0, 10.0, 100.0), n_inducing=100,
                   maxiter=5000)


@runner.register("dkm_uci", paper="dkm", config=Config, sweep="datasets")
def run(config: Config) -> dict:
    """Sparse DKM vs sparse NNGP (same inducing points) on UCI splits: test RMSE and LL."""
    from theory.dkm import DKMRegressor

    unknown = [d for d in config.datasets if d not in DATASETS]
    if unknown:
        raise ValueError(f"datasets must be among {DATASETS}, got {unknown}")
    index = np.array([DATASETS.index(d) for d in config.datasets])
    models = (np.inf, *config.nus)                    # column 0: the sparse NNGP
    nus = np.tile(np.array(models), (len(index), 1))
    if not all(uci_available(d) for d in config.datasets):
        nan = np.full((len(index), config.splits, len(models)), np.nan)
        return {"available": np.zeros(len(index)), "rmse": nan, "ll": nan, "nu": nus,
                "dataset": index}
    rmse = np.full((len(config.datasets), config.splits, len(models)), np.nan)
    ll = np.full_like(rmse, np.nan)
    for i, name in enumerate(config.datasets):
        for s in range(min(config.splits, n_splits(name))):
            xtr, ytr, xte, yte = load_split(name, s)
            seed = int(np.random.default_rng([config.seed, s]).integers(2**31))
            for j, nu in enumerate(models):
                m = DKMRegressor(depth=config.depth, kernel="squared_exponential", nu=nu,
                                 n_inducing=config.n_inducing, maxiter=config.maxiter,
                                 random_state=seed).fit(xtr, ytr)
                rmse[i, s, j] = np.sqrt(np.mean((m.predict(xte) - yte) ** 2))
                ll[i, s, j] = np.mean(m.log_predictive_density(xte, yte))
    return {"available": np.ones(len(index)), "rmse": rmse, "ll": ll, "nu": nus,
            "dataset": index}


if __name__ == "__main__":
    runner.main("dkm_uci")
