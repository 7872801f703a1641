"""The claim ledger: its comparison rules, its metadata, and every quick-scale claim."""

from __future__ import annotations

import math

import pytest

from paper_checks import ledger
from paper_checks.ledger import verdict_of

CLAIMS = ledger.claims()


@pytest.mark.parametrize("ours, expected, tol, compare, ok", [
    (0.5e-4, 0.0, 1e-4, "abs", True), (2e-4, 0.0, 1e-4, "abs", False),
    ([1.0, 2.0], [1.0, 2.0 + 1e-7], 1e-6, "abs", True),
    (1.05, 1.0, 0.1, "rel", True), (1.2, 1.0, 0.1, "rel", False),
    (0.9, 1.0, None, "le", True), (1.0 + 2e-6, 1.0, 1e-6, "le", False),
    (3, 1, None, "ge", True), (0, 1, None, "ge", False),
    (-0.5, (-0.75, -0.3), None, "range", True), (-0.2, (-0.75, -0.3), None, "range", False),
    (388, 388, None, "equal", True), (387, 388, None, "equal", False),
    (math.nan, 0.0, 1.0, "abs", False), (math.inf, 1.0, None, "le", False),
])
def test_comparison_rules(ours, expected, tol, compare, ok):
    assert verdict_of(ours, expected, tol, compare) is ok


def test_claim_metadata_is_validated():
    with pytest.raises(ValueError, match="source must be"):
        ledger.claim("lion.x", paper="lion", reference="r", statement="s", source="folklore",
                     expected=0, tol=1)
    with pytest.raises(ValueError, match="paper must be one of"):
        ledger.claim("nope.x", paper="nope", reference="r", statement="s", source="paper",
                     expected=0, tol=1)
    with pytest.raises(ValueError, match="evidence must be"):
        ledger.claim("lion.z", paper="lion", reference="r", statement="s", source="paper",
                     expected=0, tol=1, evidence="vibes")
    with pytest.raises(ValueError, match="needs a tolerance"):
        ledger.claim("lion.y", paper="lion", reference="r", statement="s", source="paper",
                     expected=0)


def test_a_crashing_claim_is_an_error_not_a_pass():
    c = ledger.Claim("lion.crash", "lion", "r", "s", "derived", 0.0, 1.0, "abs",
                     lambda scale: 1 / 0)
    r = c.run("quick")
    assert r.verdict == ledger.ERROR and "ZeroDivisionError" in r.note


@pytest.mark.parametrize("c", CLAIMS, ids=[c.id for c in CLAIMS])
def test_claim_is_documented(c):
    assert c.source in ("paper", "derived")
    if c.fn is not None:
        assert c.evidence in ledger.EVIDENCE, (
            "every claim names the evidence on our side: simulation, independent, exact or "
            "regression")
    assert c.reference and c.statement
    if c.fn is None:
        assert c.reason, "a reference row must say why it is not reproduced"
    elif c.compare != "equal":
        assert c.tol_reason, "tolerances must say where they come from"


@pytest.mark.parametrize("c", CLAIMS, ids=[c.id for c in CLAIMS])
def test_quick_claim_holds(c):
    result = c.run("quick")
    if c.fn is None:
        assert result.verdict == ledger.NOT_REPRODUCED
    else:
        assert result.verdict == ledger.PASS, (
            f"{c.id}: ours={result.ours!r} expected={c.expected!r} tol={c.tol} "
            f"({c.compare}) {result.note}")
