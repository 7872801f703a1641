"""The sim runner: configs, overrides, cache, sweeps, resumption, executors."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from sims import runner
from sims.selftest import Config


def test_overrides_are_parsed_with_the_field_types():
    cfg = runner.apply_overrides(Config(), ["values=1,2.5", "sleep=0.1", "seed=3", "log=x"])
    assert cfg == Config(values=(1.0, 2.5), sleep=0.1, seed=3, log="x")
    assert runner.apply_overrides(Config(), {"seed": 4}).seed == 4


@pytest.mark.parametrize("bad, match", [(["nope=1"], "unknown config field 'nope'"),
                                        (["seed"], "key=value"),
                                        (["seed=abc"], "cannot parse seed")])
def test_bad_overrides_raise_valueerror_naming_the_field(bad, match):
    with pytest.raises(ValueError, match=match):
        runner.apply_overrides(Config(), bad)


def test_scale_must_be_known():
    with pytest.raises(ValueError, match="scale must be one of"):
        Config.at_scale("huge")
    with pytest.raises(ValueError, match="unknown sim"):
        runner.get("no_such_sim")


def test_config_hash_depends_on_config_version_and_code():
    a, b = Config(values=(1.0,)), Config(values=(1.0,))
    assert runner.config_hash("selftest", a) == runner.config_hash("selftest", b)
    assert runner.config_hash("selftest", a) != runner.config_hash("selftest", Config(seed=1))
    assert runner.config_hash("selftest", a, "0.0") != runner.config_hash("selftest", a)
    code = runner.code_fingerprint("selftest")
    assert runner.config_hash("selftest", a, code=code) == runner.config_hash("selftest", a)
    assert runner.config_hash("selftest", a, code="edited") != runner.config_hash("selftest", a)


def test_code_fingerprint_covers_the_papers_theory_and_sims():
    lion = runner.code_fingerprint("lion_limits")
    assert lion == runner.code_fingerprint("lion_entry")  # same paper, same sources
    assert lion != runner.code_fingerprint("selftest")


def test_sharded_sweep_equals_direct_run_and_is_cached(tmp_path):
    cfg = Config(values=(1.0, 2.0, 3.0), log=str(tmp_path / "log"))
    direct = runner.get("selftest").run(cfg)
    (tmp_path / "log").unlink()
    swept = runner.run_sim("selftest", cfg, cache=tmp_path / "c")
    for key in direct:
        np.testing.assert_array_equal(swept[key], direct[key])
    assert len((tmp_path / "log").read_text().splitlines()) == 3
    again = runner.run_sim("selftest", cfg, cache=tmp_path / "c")
    assert len((tmp_path / "log").read_text().splitlines()) == 3  # all from the cache
    np.testing.assert_array_equal(again["noise"], swept["noise"])
    runner.run_sim("selftest", cfg, cache=tmp_path / "c", force=True)
    assert len((tmp_path / "log").read_text().splitlines()) == 6
    assert not list((tmp_path / "c").rglob("*.tmp*"))  # atomic writes leave no temporaries


def test_same_seed_same_numbers_other_seed_other_numbers(tmp_path):
    a = runner.run_sim("selftest", Config(seed=1), use_cache=False)
    b = runner.run_sim("selftest", Config(seed=1), use_cache=False)
    c = runner.run_sim("selftest", Config(seed=2), use_cache=False)
    np.testing.assert_array_equal(a["noise"], b["noise"])
    assert not np.allclose(a["noise"], c["noise"])


def test_corrupt_cache_entry_is_recomputed(tmp_path):
    cfg = Config(values=(2.0,))
    runner.run_sim("selftest", cfg, cache=tmp_path)
    path = runner.Cache(tmp_path).path("selftest", cfg)
    path.write_bytes(b"not an npz")
    assert runner.run_sim("selftest", cfg, cache=tmp_path)["square"][0] == 4.0


def test_killed_sweep_resumes_without_recomputing_finished_points(tmp_path):
    """Kill a sweep midway (SIGKILL), re-run it, and count the executions of each point."""
    log, cache = tmp_path / "log", tmp_path / "cache"
    values = "1,2,3,4,5,6"
    script = textwrap.dedent(f"""
        from sims import runner
        runner.run_sim("selftest", overrides=["values={values}", "sleep=0.4", "log={log}"],
                       cache={str(cache)!r}, progress=False)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.time() + 120
    while time.time() < deadline:
        done = [p for p in cache.glob("selftest/*.npz") if ".tmp" not in p.name]
        if len(done) >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = len([p for p in cache.glob("selftest/*.npz") if ".tmp" not in p.name])
    started = log.read_text().splitlines()
    assert 2 <= finished < 6, "the kill must land midway through the sweep"
    res = runner.run_sim("selftest", overrides=[f"values={values}", "sleep=0.4",
                                                f"log={log}"], cache=cache)
    np.testing.assert_array_equal(res["square"], np.arange(1, 7) ** 2)
    runs = log.read_text().splitlines()
    # the resumed run computed exactly the points that had not been stored
    assert len(runs) - len(started) == 6 - finished
    assert len({line.split(" ", 1)[1] for line in runs}) == 6


def test_process_pool_executor_matches_serial(tmp_path):
    cfg = Config(values=(1.0, 2.0, 3.0))
    serial = runner.run_sim("selftest", cfg, use_cache=False)
    pooled = runner.run_sim("selftest", cfg, executor="local", workers=2, use_cache=False)
    np.testing.assert_array_equal(serial["noise"], pooled["noise"])


def test_dask_local_cluster_executor(tmp_path):
    """A real dask.distributed LocalCluster (two worker processes), not a mock."""
    from dask.distributed import Client, LocalCluster

    cfg = Config(values=(1.0, 2.0, 3.0, 4.0), log=str(tmp_path / "log"))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        res = runner.run_sim("selftest", cfg, executor="dask", scheduler=cluster.scheduler_address,
                             cache=tmp_path / "c")
        worker_pids = set(client.run(os.getpid).values())
    np.testing.assert_array_equal(res["square"], [1.0, 4.0, 9.0, 16.0])
    pids = {int(line.split()[0]) for line in (tmp_path / "log").read_text().splitlines()}
    assert pids <= worker_pids and os.getpid() not in pids  # computed on the Dask workers
    assert len(list((tmp_path / "c" / "selftest").glob("*.npz"))) == 4


def test_sweep_results_need_a_leading_axis():
    @dataclasses.dataclass(frozen=True)
    class Bad(runner.SimConfig):
        xs: tuple[int, ...] = (1, 2)

    @runner.register("_bad_sweep", paper="runner", config=Bad, sweep="xs")
    def run(config):
        return {"scalar_per_point": np.float64(1.0)}

    with pytest.raises(ValueError, match="leading axis"):
        runner.run_sim("_bad_sweep", use_cache=False)


def test_register_validates_config_and_sweep_field():
    with pytest.raises(TypeError, match="SimConfig"):
        runner.register("_x", paper="runner", config=dict)
    with pytest.raises(ValueError, match="not a field"):
        runner.register("_y", paper="runner", config=Config, sweep="nope")


def test_every_sim_module_runs_as_a_script_entry_point():
    for sim in runner.all_sims():
        src = Path(sys.modules[sim.module].__file__).read_text()
        assert 'runner.main("' in src, f"{sim.module} lacks a __main__ entry point"


def test_record_sims_names_the_sims_a_claim_used(tmp_path, monkeypatch):
    """The ledger records which sims each claim asked for, so the report can put a figure
    beside the claims built from the same sims."""
    from paper_checks import ledger

    c = next(c for c in ledger.claims(["lion"]) if c.id == "lion.toy_entry")
    monkeypatch.setenv("THEORYLAB_RESULTS", str(tmp_path))
    result = c.run("quick")
    assert result.sims == ("lion_toy",)
    with runner.record_sims() as used:
        pass
    assert used == set()
