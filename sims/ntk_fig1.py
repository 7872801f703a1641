"""Fig. 1 of Jacot et al. (2018): the NTK on the unit circle for two widths, before and after
training.

Same protocol as ``ntk_drift`` (depth 4, ReLU, beta = 0.1, 200 GD steps at lr 1.0 on
f*(x) = x1 x2 with 100 N(0, I_2) inputs), at the two widths of the figure.  The paper uses
n = 500 and n = 10000 with 10 initializations each (full scale); the quick scale trains
n = 500 and n = 2000 with 3 initializations, because 200 full-batch steps at n = 10000 cost
~2e13 flop per seed (a GPU job, reference note section 4).
"""

from __future__ import annotations

from dataclasses import dataclass

from sims import runner
from sims.ntk_drift import Config as DriftConfig
from sims.ntk_drift import run_training


@dataclass(frozen=True)
class Config(DriftConfig):
    """The drift sim's setting at the two widths of the paper's Fig. 1."""

    widths: tuple[int, ...] = (500, 2000)
    seeds: int = 3

    @classmethod
    def full(cls):
        return cls(widths=(500, 10000), seeds=10)


@runner.register("ntk_fig1", paper="ntk", config=Config, sweep="widths")
def run(config: Config) -> dict:
    """NTK Theta(x0, x) on the circle at init and after 200 GD steps, two widths (Fig. 1)."""
    return run_training(config)


if __name__ == "__main__":
    runner.main("ntk_fig1")
