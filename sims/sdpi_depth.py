"""Deeper yet narrower: the SDPI product over layers at a fixed neuron or weight budget (R6).

For each depth L the per-layer coefficient is maximised numerically on a generic tanh layer of
the prescribed width (the finite channel enumerates every mask: 2^{N/L} for dropout,
2^{(P/L)} for square DropConnect layers), and the product over the L layers is formed.  The
closed forms (1 - p^{N/L})^L and (1 - p^{P/L})^L are returned beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims import runner


@dataclass(frozen=True)
class Config(runner.SimConfig):
    total_neurons: int = 12
    dropout_depths: tuple[int, ...] = (1, 2, 3, 4, 6, 12)
    dropout_ps: tuple[float, ...] = (0.5, 0.3)
    total_weights: int = 48
    dropconnect_depths: tuple[int, ...] = (3, 12, 48)
    dropconnect_p: float = 0.5

    @classmethod
    def full(cls):
        return cls()


@runner.register("sdpi_depth", paper="sdpi", config=Config)
def run(config: Config) -> dict:
    """Numerical SDPI product vs depth at a fixed total width / weight count."""
    from theory import sdpi as S

    num, closed = [], []
    for p in config.dropout_ps:
        row, row_c = [], []
        for L in config.dropout_depths:
            d = config.total_neurons // L
            rng = np.random.default_rng([config.seed, d, int(round(1000 * p))])
            x, W = rng.normal(size=(2, d)), rng.normal(size=(d, d))
            row.append(S.eta_kl(S.dropout_channel(x, p, W)) ** L)
            row_c.append(S.dropout_depth_product(p, config.total_neurons, L))
        num.append(row)
        closed.append(row_c)
    dc, dc_c = [], []
    for L in config.dropconnect_depths:
        d = int(round(np.sqrt(config.total_weights // L)))
        rng = np.random.default_rng([config.seed, 7, d])
        x, W = rng.normal(size=(2, d)), rng.normal(size=(d, d))
        dc.append(S.eta_kl(S.dropconnect_channel(x, config.dropconnect_p, W)) ** L)
        dc_c.append(S.dropconnect_depth_product(config.dropconnect_p, config.total_weights, L))
    return {"dropout_depth": np.array(config.dropout_depths), "dropout_p": np.array(
        config.dropout_ps), "dropout_num": np.array(num), "dropout_closed": np.array(closed),
            "dropconnect_depth": np.array(config.dropconnect_depths),
            "dropconnect_num": np.array(dc), "dropconnect_closed": np.array(dc_c)}


if __name__ == "__main__":
    runner.main("sdpi_depth")
