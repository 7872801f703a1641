"""Neural-collapse sims: configs, determinism, and the helpers behind the claims."""

from __future__ import annotations

import numpy as np
import pytest

from sims import neural_collapse_nets as NN
from sims import neural_collapse_ufm as NU
from sims import runner
from theory import neural_collapse as T


def test_sims_are_registered_with_quick_and_full_configs():
    names = {s.name for s in runner.all_sims("neural_collapse")}
    assert {"neural_collapse_ufm", "neural_collapse_monotone", "neural_collapse_first_order",
            "neural_collapse_layerwise", "neural_collapse_weight_decay"} <= names
    full = NU.MonotoneConfig.full()
    assert full.instances >= 20 and full.n_t >= NU.MonotoneConfig.quick().n_t


def test_random_instances_cover_the_theorem_s_generality():
    """Thm 3.1 assumes nothing about d vs K or lam_H > 0: the instance generator must
    include d < K and lam_H = 0 among the first 20 draws."""
    rng = np.random.default_rng(0)
    draws = [NU.random_instance(rng, i) for i in range(20)]
    assert any(d < K for K, _, d, *_ in draws)
    assert any(lam_H == 0 for _, _, _, _, lam_H, _, _ in draws)


def test_violation_counter_flags_a_non_monotone_path():
    t = np.linspace(0, 1, 5)
    up = np.array([1.0, 0.9, 0.95, 0.8, 0.7])
    p = T.FlowPath(t, up, np.ones(5), np.ones(5), np.ones(5), np.ones(5), up, None)
    assert NU.count_violations(p, 1e-9, 1e-7).tolist() == [1, 0, 0]
    falling_b = T.FlowPath(t, -t, np.ones(5), np.ones(5), np.ones(5), 1 - t, -t, None)
    assert NU.count_violations(falling_b, 1e-9, 1e-7).tolist() == [0, 0, 4]


def test_first_order_sim_is_deterministic_and_shaped():
    cfg = NU.FirstOrderConfig(eps=(1e-2, 1e-3), betas=(2.0,), eq5_betas=(10.0, 100.0))
    a, b = NU.run_first_order(cfg), NU.run_first_order(cfg)
    assert a["err_c"].shape == (1, 2) and a["eq5_err_per_eps"].shape == (2,)
    np.testing.assert_array_equal(a["err_c"], b["err_c"])
    assert 80 < a["err_c"][0, 0] / a["err_c"][0, 1] < 120


def test_digits_subset_is_balanced_and_validated():
    X, y = NN.digits_balanced(5, seed=0)
    assert X.shape == (50, 64) and np.all(np.bincount(y) == 5) and X.max() <= 1.0
    with pytest.raises(ValueError, match="n_per_class"):
        NN.digits_balanced(500, seed=0)
