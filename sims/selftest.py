"""A diagnostic sim for the runner itself: ``theorylab sim selftest --executor dask``.

Each point sleeps a little, appends one line to ``log`` (when given) so that the number of
executions can be counted, and returns ``value ** 2``.  The runner's tests use it to prove
caching, resumption after a kill, and the process-pool and Dask executors.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from sims import runner


@dataclass(frozen=True)
class Config(runner.SimConfig):
    values: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0)
    sleep: float = 0.0
    log: str = ""


@runner.register("selftest", paper="runner", config=Config, sweep="values")
def run(config: Config) -> dict:
    """Runner self-test: squares each value (optionally sleeping and logging each call)."""
    time.sleep(config.sleep)
    if config.log:
        with open(config.log, "a") as fh:
            fh.write(f"{os.getpid()} {config.values}\n")
    v = np.array(config.values, float)
    # randomness keyed by (seed, value), so that sharded and direct runs agree
    noise = [np.random.default_rng([config.seed, int(x * 1000)]).normal(size=3) for x in v]
    return {"value": v, "square": v**2, "noise": np.array(noise)}


if __name__ == "__main__":
    runner.main("selftest")
