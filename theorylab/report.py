"""Render ledger results as a terminal table, Markdown, JSON and a self-contained HTML page."""

from __future__ import annotations

import base64
import html
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from paper_checks.ledger import PAPERS

REPORTS = Path("reports")


def fmt(value: Any, width: int | None = None) -> str:
    """Short human form of an expected/ours value."""
    if value is None:
        text = "-"
    elif isinstance(value, bool):
        text = str(value)
    elif isinstance(value, float | int):
        text = f"{value:.6g}" if isinstance(value, float) else str(value)
    elif isinstance(value, list | tuple):
        flat = list(value)
        if len(flat) == 2 and all(isinstance(v, int | float) for v in flat):
            text = f"[{fmt(flat[0])}, {fmt(flat[1])}]"
        elif len(flat) <= 4 and all(isinstance(v, int | float) for v in flat):
            text = "(" + ", ".join(fmt(v) for v in flat) + ")"
        else:
            text = f"<{len(flat)} values>"
    else:
        text = str(value)
    if width is not None and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def expected_text(row: dict) -> str:
    cmp, exp, tol = row["compare"], row["expected"], row["tolerance"]
    if row["verdict"] == "not reproduced":
        return fmt(exp)
    if cmp == "abs":
        return f"{fmt(exp)} ± {fmt(tol)}"
    if cmp == "rel":
        return f"{fmt(exp)} (rel {fmt(tol)})"
    if cmp == "le":
        return f"≤ {fmt(exp)}" + (f" (+{fmt(tol)})" if tol else "")
    if cmp == "ge":
        return f"≥ {fmt(exp)}" + (f" (−{fmt(tol)})" if tol else "")
    if cmp == "range":
        return f"in {fmt(exp)}"
    return f"= {fmt(exp)}"


def table(rows: Sequence[dict]) -> str:
    """A plain-text table for the terminal."""
    head = ("claim", "src", "evidence", "expected", "ours", "verdict", "s")
    body = [(r["id"], r["source"][:3], r.get("evidence") or "-", expected_text(r),
             fmt(r["ours"], 28), r["verdict"], f"{r['runtime_s']:.1f}") for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*head), line.format(*("-" * w for w in widths))]
    out += [line.format(*b) for b in body]
    return "\n".join(out)


def summary(rows: Sequence[dict]) -> str:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    return ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))


def markdown(rows: Sequence[dict], scale: str) -> str:
    out = [f"# Claim ledger ({scale} scale)", "",
           f"{summary(rows)}. Source: *paper* = value printed in the paper; *derived* = derived "
           "in the reference notes, not printed in the paper.", ""]
    for paper in dict.fromkeys(r["paper"] for r in rows):
        meta = PAPERS[paper]
        out += [f"## {paper}: {meta['title']} ({meta['authors']}, arXiv {meta['arxiv']})", "",
                "| claim | reference | statement | source | evidence | expected | ours | verdict |",
                "|---|---|---|---|---|---|---|---|"]
        for r in rows:
            if r["paper"] == paper:
                ours = fmt(r["ours"], 40) + (f" ({r['note']})" if r["note"] else "")
                cells = [r["id"], r["reference"], r["statement"], r["source"],
                         r.get("evidence") or "-", expected_text(r), ours, r["verdict"]]
                out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        out.append("")
    return "\n".join(out)


def write(rows: Sequence[dict], scale: str, directory: Path = REPORTS) -> tuple[Path, Path]:
    """Write checks.json and checks.md (merging with rows of papers not rerun now)."""
    directory.mkdir(parents=True, exist_ok=True)
    path_json = directory / "checks.json"
    merged = {r["id"]: r for r in _load(path_json, scale)}
    merged.update({r["id"]: r for r in rows})
    payload = {"scale": scale, "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
               "claims": list(merged.values())}
    path_json.write_text(json.dumps(payload, indent=1))
    path_md = directory / "checks.md"
    path_md.write_text(markdown(payload["claims"], scale))
    return path_json, path_md


def _load(path: Path, scale: str) -> list[dict]:
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError:
        return []
    return data.get("claims", []) if data.get("scale") == scale else []


_CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}
table{border-collapse:collapse;font-size:13px;width:100%}td,th{border:1px solid #ccc;
padding:3px 6px;vertical-align:top}th{background:#f3f3f3}.pass{color:#176f2c;font-weight:600}
.fail,.error{color:#b00020;font-weight:600}.not{color:#777}img{max-width:100%;
border:1px solid #ddd;margin:6px 0}figure{display:inline-block;width:48%;margin:0 1% 1em 0;
vertical-align:top}figcaption{font-size:12px;color:#555}"""


def html_page(rows: Sequence[dict], figures: Sequence[tuple[str, str, Path]], scale: str) -> str:
    """One self-contained HTML page: every claim with its verdict, every figure embedded."""
    parts = ["<!doctype html><meta charset='utf-8'><title>theorylab report</title>",
             f"<style>{_CSS}</style>", "<h1>theorylab report</h1>",
             f"<p>Scale: {html.escape(scale)}. {html.escape(summary(rows))}.</p>"]
    papers = list(dict.fromkeys([r["paper"] for r in rows] + [f[1] for f in figures]))
    for paper in papers:
        meta = PAPERS.get(paper, {"title": paper, "authors": "", "arxiv": ""})
        parts.append(f"<h2>{html.escape(paper)}: {html.escape(meta['title'])}</h2>"
                     f"<p>{html.escape(meta['authors'])}, arXiv {html.escape(meta['arxiv'])}</p>")
        prow = [r for r in rows if r["paper"] == paper]
        if prow:
            parts.append("<table><tr><th>claim</th><th>reference</th><th>statement</th>"
                         "<th>source</th><th>expected</th><th>ours</th><th>verdict</th>"
                         "<th>s</th></tr>")
            for r in prow:
                cls = r["verdict"].split()[0]
                ours = fmt(r["ours"], 60) + (f" — {r['note']}" if r["note"] else "")
                cells = [r["id"], r["reference"], r["statement"], r["source"],
                         expected_text(r), ours]
                parts.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
                             + f"<td class='{cls}'>{html.escape(r['verdict'])}</td>"
                             f"<td>{r['runtime_s']:.1f}</td></tr>")
            parts.append("</table>")
        for name, fig_paper, png in figures:
            if fig_paper == paper and png.exists():
                data = base64.b64encode(png.read_bytes()).decode()
                parts.append(f"<figure><img alt='{html.escape(name)}' "
                             f"src='data:image/png;base64,{data}'>"
                             f"<figcaption>{html.escape(name)}</figcaption></figure>")
    return "\n".join(parts)


README_START, README_END = "<!-- results:start -->", "<!-- results:end -->"
PAPER_ORDER = ("lion", "ntk", "mup", "kde", "dkm", "neural_collapse", "sdpi", "sgd_stability",
               "clustering")


def readme_table(rows: Sequence[dict], scale: str) -> str:
    """The compact results table kept in README.md (between the results markers)."""
    out = [f"Claim ledger at {scale} scale: {summary(rows)}. *src*: `paper` = value printed in "
           "the paper, `derived` = derived in the reference notes.", "",
           "| claim | reference | src | evidence | expected | ours | verdict |",
           "|---|---|---|---|---|---|---|"]
    order = {p: i for i, p in enumerate(PAPER_ORDER)}
    for r in sorted(rows, key=lambda r: order.get(r["paper"], len(order))):
        cells = [f"`{r['id']}`", r["reference"], r["source"], r.get("evidence") or "-",
                 expected_text(r), fmt(r["ours"], 24), r["verdict"]]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out)


def _replace_block(text: str, start: str, end: str, body: str, path: Path) -> str:
    if start not in text or end not in text:
        raise ValueError(f"{path} has no {start} ... {end} block")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


MODULES_START, MODULES_END = "<!-- modules:start -->", "<!-- modules:end -->"


def update_readme(path: Path, rows: Sequence[dict], scale: str,
                  docs: Path | None = None) -> None:
    """Rewrite README's results table from ``rows`` and its module sections from docs/*.md."""
    path = Path(path)
    docs = path.parent / "docs" if docs is None else docs
    text = _replace_block(path.read_text(), README_START, README_END,
                          readme_table(rows, scale), path)
    sections = [(docs / f"{p}.md").read_text().strip().replace("](../", "](")
                for p in PAPER_ORDER if (docs / f"{p}.md").exists()]
    text = _replace_block(text, MODULES_START, MODULES_END, "\n\n".join(sections), path)
    path.write_text(text)
