"""The theorylab command line, end to end (in process, on temporary folders)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from theorylab.cli import main


def test_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "lion" in out and "ntk" in out
    assert main(["list", "lion"]) == 0
    out = capsys.readouterr().out
    assert "lion.min_over_m" in out and "lion_limits" in out and "lion_trajectories" in out
    assert main(["list", "nope"]) == 2


def test_check_writes_reports_and_exit_code(tmp_path, capsys):
    reports = tmp_path / "reports"
    assert main(["check", "lion", "--claim", "min_over_m", "--claim", "h_above_f",
                 "--reports", str(reports), "--quiet"]) == 0
    data = json.loads((reports / "checks.json").read_text())
    ids = {r["id"] for r in data["claims"]}
    assert ids == {"lion.min_over_m", "lion.h_above_f"}
    assert all(r["verdict"] == "pass" for r in data["claims"])
    assert all(r["ran"] == data["created"] and r["host"] for r in data["claims"])
    assert "| lion.min_over_m |" in (reports / "checks.md").read_text()
    assert "lion.h_above_f" in capsys.readouterr().out


def test_check_exits_nonzero_on_a_failed_claim(tmp_path, monkeypatch):
    from paper_checks import ledger

    bad = ledger.Claim("lion.always_wrong", "lion", "test", "a false claim", "derived", 0.0,
                       1e-9, "abs", lambda scale: 1.0, "test")
    monkeypatch.setitem(ledger._CLAIMS, bad.id, bad)
    assert main(["check", "lion", "--claim", "always_wrong", "--reports", str(tmp_path),
                 "--quiet"]) == 1


def test_sim_with_overrides(tmp_path, capsys):
    out = tmp_path / "entry.npz"
    assert main(["sim", "lion_entry", "--set", "lr=0.01", "--set", "steps=900", "--quiet",
                 "--results", str(tmp_path / "res"), "--out", str(out)]) == 0
    res = np.load(out)
    # at eps lambda = 0.01 the entry time is ceil(log(2500)/-log(0.99)) = 779
    assert int(res["first_entry"]) == int(res["predicted_entry"]) == 779
    assert main(["sim", "lion_entry", "--set", "bogus=1", "--quiet"]) == 2


def test_figures_and_report(tmp_path, capsys):
    figs = tmp_path / "figs"
    assert main(["figures", "lion_discretization", "--out", str(figs), "--quiet",
                 "--results", str(tmp_path / "res")]) == 0
    assert (figs / "lion_discretization.png").stat().st_size > 10_000
    assert (figs / "lion_discretization.pdf").exists()
    reports = tmp_path / "reports"
    assert main(["report", "--reports", str(reports)]) == 2  # no checks.json yet
    main(["check", "lion", "--claim", "min_over_m", "--reports", str(reports), "--quiet"])
    assert main(["report", "--reports", str(reports), "--figures", str(figs)]) == 0
    page = (reports / "report.html").read_text()
    assert "lion.min_over_m" in page and "data:image/png;base64," in page


@pytest.mark.parametrize("cmd", [["-m", "theorylab", "list", "lion"],
                                 ["-m", "sims.lion_entry", "--quiet", "--set", "steps=500"]])
def test_module_entry_points(cmd, tmp_path):
    env_cmd = [sys.executable, *cmd]
    if "sims.lion_entry" in cmd:
        env_cmd += ["--results", str(tmp_path)]
    proc = subprocess.run(env_cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "lion" in proc.stdout


def test_readme_results_table_lists_every_claim_with_its_verdict():
    """README's results table is generated from the ledger: same claim ids, and the verdicts
    it shows are the ones the quick claims are required to have (pass / not reproduced)."""
    import re
    from pathlib import Path

    from paper_checks import ledger

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = text.split("<!-- results:start -->", 1)[1].split("<!-- results:end -->", 1)[0]
    rows = re.findall(r"^\| `([\w.]+)` \|.*\| ([a-z ]+) \|$", block, flags=re.M)
    claims = {c.id: c for c in ledger.claims()}
    assert {cid for cid, _ in rows} == set(claims), "regenerate: theorylab report --readme"
    for cid, verdict in rows:
        assert verdict == ("not reproduced" if claims[cid].fn is None else "pass"), cid


def test_neural_tangents_imports_without_tensorflow_log_lines():
    """TensorFlow's C++ start-up lines go to fd 2 before Python logging exists;
    theorylab.deps.neural_tangents() imports it with fd 2 silenced."""
    code = ("import theory, sims, paper_checks, figures, theorylab.cli\n"
            "from theorylab.deps import neural_tangents\n"
            "nt = neural_tangents()\nassert nt.stax.Relu is not None\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stderr == "" and proc.stdout == ""


def test_neural_tangents_is_only_imported_through_theorylab_deps():
    """A direct import would bring TensorFlow's start-up lines back (and, at module level in
    sims/, break GPU machines whose JAX is newer than neural-tangents supports)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    pattern = re.compile(r"^\s*(import neural_tangents|from neural_tangents\b)", re.M)
    offenders = [str(p.relative_to(root)) for d in ("theory", "sims", "paper_checks", "figures",
                                                    "benchmarks", "tests", "theorylab")
                 for p in (root / d).rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == [], "use theorylab.deps.neural_tangents()"
