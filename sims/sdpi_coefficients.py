"""Numerically maximised SDPI coefficients of dropout, DropConnect and Gaussian-noise layers.

For each drop probability p and width, a tanh layer with generic Gaussian weights, bias and
three generic inputs is turned into a finite channel by enumerating all masks
(:func:`theory.sdpi.dropout_channel`, :func:`theory.sdpi.dropconnect_channel`).  Its KL
coefficient is maximised numerically (sup over priors of the maximal correlation^2, two-point
priors by bounded search, then Nelder-Mead over the simplex) and its Dobrushin coefficient is
the largest row-pair TV.  For the Gaussian layer the TV of the two extreme inputs is integrated
by quadrature and the binary-input KL coefficient is maximised over the prior of the
posterior-variance definition.  The closed forms are returned beside them (papers/sdpi.md R4).
Randomness: generic inputs and weights from ``(seed, kind, width, p)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import integrate, optimize

from sims import runner


@dataclass(frozen=True)
class Config(runner.SimConfig):
    ps: tuple[float, ...] = (0.1, 0.3, 0.5, 0.7, 0.9)
    widths: tuple[int, ...] = (1, 2, 3, 4)
    dropconnect: tuple[tuple[int, int], ...] = ((1, 2), (2, 2), (3, 2))
    snrs: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)  # delta / sigma
    inputs: int = 3

    @classmethod
    def full(cls):
        return cls(ps=tuple(np.round(np.linspace(0.05, 0.95, 19), 2)), widths=(1, 2, 3, 4, 6),
                   dropconnect=((1, 2), (2, 2), (3, 2), (2, 3), (3, 3)),
                   snrs=(0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0), inputs=4)


def _layer(rng, m, d_in, d_out):
    return rng.normal(size=(m, d_in)), rng.normal(size=(d_out, d_in)), rng.normal(size=d_out)


def _gaussian_tv(snr: float) -> float:
    f = lambda u: abs(np.exp(-0.5 * u**2) - np.exp(-0.5 * (u - snr) ** 2)) / np.sqrt(2 * np.pi)  # noqa: E731,E501
    return 0.5 * integrate.quad(f, -15, snr + 15, points=(snr / 2,), epsabs=1e-13)[0]


@runner.register("sdpi_coefficients", paper="sdpi", config=Config)
def run(config: Config) -> dict:
    """Numerically maximised SDPI coefficients vs the closed forms (dropout, DropConnect, AWGN)."""
    from theory import sdpi as S

    ps = np.array(config.ps)
    res = {k: [] for k in ("in_kl", "in_tv", "out_kl", "dc_kl", "dc_tv")}
    for d in config.widths:
        row = {"in_kl": [], "in_tv": [], "out_kl": []}
        for p in config.ps:
            key = [config.seed, 1, d, int(round(1000 * p))]
            x, W, b = _layer(np.random.default_rng(key), config.inputs, d, d)
            K = S.dropout_channel(x, p, W, b, where="input")
            row["in_kl"].append(S.eta_kl(K))
            row["in_tv"].append(S.eta_tv(K))
            x, W, b = _layer(np.random.default_rng(key + [2]), config.inputs, 2, d)
            row["out_kl"].append(S.eta_kl(S.dropout_channel(x, p, W, b, where="output")))
        for k, v in row.items():
            res[k].append(v)
    for d_in, d_out in config.dropconnect:
        kl, tv = [], []
        for p in config.ps:
            key = [config.seed, 3, d_in, d_out, int(round(1000 * p))]
            x, W, b = _layer(np.random.default_rng(key), config.inputs, d_in, d_out)
            K = S.dropconnect_channel(x, p, W, b)
            kl.append(S.eta_kl(K))
            tv.append(S.eta_tv(K))
        res["dc_kl"].append(kl)
        res["dc_tv"].append(tv)
    out = {k: np.array(v) for k, v in res.items()}
    widths = np.array(config.widths)
    dc = np.array(config.dropconnect)
    out.update(
        p=ps, widths=widths, dc_shape=dc,
        in_closed=np.array([[S.dropout_sdpi(p, d) for p in ps] for d in widths]),
        out_closed=np.array([[S.dropout_sdpi(p, d) for p in ps] for d in widths]),
        dc_closed=np.array([[S.dropconnect_sdpi(p, i, o) for p in ps] for i, o in dc]))
    snrs = np.array(config.snrs)
    kl_sup = []
    for snr in snrs:
        r = optimize.minimize_scalar(lambda q, a=snr / 2: -S.binary_awgn_eta_chi2(q, a, 1.0),
                                     bounds=(1e-4, 1 - 1e-4), method="bounded",
                                     options={"xatol": 1e-9})
        kl_sup.append(-r.fun)
    out.update(snr=snrs, gauss_tv_quad=np.array([_gaussian_tv(s) for s in snrs]),
               gauss_tv_closed=np.array([S.gaussian_noise_tv_coefficient(s, 1.0) for s in snrs]),
               awgn_kl_sup=np.array(kl_sup),
               awgn_kl_closed=np.array([S.binary_awgn_kl_coefficient(s / 2, 1.0) for s in snrs]))
    return out


if __name__ == "__main__":
    runner.main("sdpi_coefficients")
