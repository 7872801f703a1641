"""Render ledger results as a terminal table, Markdown, JSON and a self-contained HTML page."""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from paper_checks.ledger import PAPERS

REPORTS = Path("reports")
PAPER_ORDER = ("lion", "ntk", "mup", "kde", "dkm", "neural_collapse", "sdpi", "sgd_stability",
               "clustering")


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


def checks_path(directory: Path, scale: str, ext: str = "json") -> Path:
    """``checks.json`` for the quick scale, ``checks-<scale>.json`` for the others."""
    return Path(directory) / (f"checks.{ext}" if scale == "quick" else f"checks-{scale}.{ext}")


def report_name(scale: str) -> str:
    return "report.html" if scale == "quick" else f"report-{scale}.html"


def host_description() -> str:
    """Where the claims ran: host name, CPU count and, when JAX is loaded, its devices."""
    import os
    import platform
    import sys

    text = f"{platform.node() or 'unknown host'}, {os.cpu_count()} CPUs"
    jax = sys.modules.get("jax")
    if jax is not None:
        try:
            devs = jax.devices()
            text += f", JAX {jax.__version__} on {devs[0].platform} x{len(devs)}"
        except Exception:  # noqa: BLE001 - a description, never an error
            pass
    return text


def write(rows: Sequence[dict], scale: str, directory: Path = REPORTS) -> tuple[Path, Path]:
    """Write checks[-scale].json and .md (merging with rows of claims not rerun now)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path_json = checks_path(directory, scale)
    created, host = time.strftime("%Y-%m-%d %H:%M:%S %Z"), host_description()
    merged = {r["id"]: r for r in _load(path_json, scale)}
    merged.update({r["id"]: {**r, "ran": created, "host": host} for r in rows})
    payload = {"scale": scale, "created": created, "host": host,
               "claims": list(merged.values())}
    path_json.write_text(json.dumps(payload, indent=1))
    path_md = checks_path(directory, scale, "md")
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


_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:1em 1.5em;
max-width:1240px;color:#1d1d1d;line-height:1.4}
h1{margin:.2em 0}h2{margin-top:1.6em;border-bottom:2px solid #ddd;padding-bottom:.2em}
h3{margin:1.2em 0 .4em;font-size:1.05em;color:#333}
a{color:#0b57a4}p.meta{color:#555;margin:.2em 0}p.blurb{margin:.4em 0 .8em}
.verdict-line{font-size:1.1em;padding:.5em .8em;border-radius:4px;background:#eef7ee;
border-left:5px solid #176f2c}.verdict-line.bad{background:#fdecee;border-left-color:#b00020}
nav{margin:.6em 0;font-size:14px}nav a{margin-right:.9em;white-space:nowrap}
table{border-collapse:collapse;font-size:13px;width:100%;table-layout:fixed}
td,th{border:1px solid #d4d4d4;padding:3px 6px;vertical-align:top;text-align:left;
overflow-wrap:anywhere;word-break:break-word}
th{background:#f3f3f3}
table.summary td.n,table.summary th.n{text-align:right}
.pass{color:#176f2c;font-weight:600}.fail,.error{color:#b00020;font-weight:600}
.not{color:#6b6b6b}tr.row-fail td,tr.row-error td{background:#fff3f4}
details.tol{color:#666;font-size:11px}details.tol summary{cursor:pointer}
.claim-id{font-family:ui-monospace,monospace;font-size:12px}
.ref{color:#555;font-size:12px}
.figs{display:flex;flex-wrap:wrap;gap:12px;margin:.6em 0 1em}
figure{margin:0;flex:1 1 360px;max-width:600px;border:1px solid #e2e2e2;padding:6px;
background:#fff;break-inside:avoid}
figure img{width:100%;height:auto;display:block}
figcaption{font-size:12.5px;color:#333;margin-top:4px}figcaption code{color:#777}
ul.attention{font-size:13px}
@media print{body{max-width:none;padding:0}nav{display:none}a{color:inherit}
h2{break-before:auto}tr,figure{break-inside:avoid}figure{flex-basis:45%}}
"""

EVIDENCE_KINDS = ("simulation", "independent", "exact", "regression")


@dataclasses.dataclass(frozen=True)
class FigureEntry:
    """A rendered figure as the report shows it."""

    name: str
    paper: str
    sims: tuple[str, ...]
    caption: str
    path: Path


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _anchor(kind: str, name: str) -> str:
    return f"{kind}-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in name)


def group_key(reference: str) -> str:
    """The section / theorem / figure a claim belongs to: the first item of its reference."""
    head = reference.split(";")[0].split("(")[0].strip().rstrip(".,:")
    return head or "Other"


def _ratios(entry: Any, prefix: str = "") -> list[tuple[str, float]]:
    """Every ``ratio*`` number in a (nested) benchmark result."""
    found: list[tuple[str, float]] = []
    if isinstance(entry, dict):
        for key, value in entry.items():
            name = f"{prefix}{key}"
            if isinstance(value, int | float) and "ratio" in str(key).lower():
                found.append((name, float(value)))
            elif isinstance(value, dict):
                found += _ratios(value, name + ".")
    return found


def _counts(rows: Sequence[dict], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        v = r.get(key) or "-"
        out[v] = out.get(v, 0) + 1
    return out


def _overall(rows: Sequence[dict]) -> tuple[str, bool]:
    v = _counts(rows, "verdict")
    bad = v.get("fail", 0) + v.get("error", 0)
    runnable = len(rows) - v.get("not reproduced", 0)
    if bad:
        text = (f"{bad} of {runnable} runnable claims FAIL or error; "
                f"{v.get('pass', 0)} pass, {v.get('not reproduced', 0)} not reproduced.")
    else:
        text = (f"All {runnable} runnable claims pass; {v.get('not reproduced', 0)} listed "
                "claims are not reproduced here (each with its reason).")
    return text, bool(bad)


def _claim_row(r: dict) -> str:
    cls = r["verdict"].split()[0]
    ours = fmt(r["ours"], 80)
    note = f"<div class='ref'>{_esc(r['note'])}</div>" if r.get("note") else ""
    tol = (f"<details class='tol'><summary>why this tolerance</summary>"
           f"{_esc(r['tol_reason'])}</details>" if r.get("tol_reason") else "")
    return (f"<tr id='{_anchor('claim', r['id'])}' class='row-{cls}'>"
            f"<td><span class='claim-id'>{_esc(r['id'])}</span>"
            f"<div class='ref'>{_esc(r['reference'])}</div></td>"
            f"<td>{_esc(r['statement'])}</td>"
            f"<td>{_esc(r.get('evidence') or '-')}<div class='ref'>{_esc(r['source'])}</div>"
            f"</td><td>{_esc(expected_text(r))}{tol}</td><td>{_esc(ours)}{note}</td>"
            f"<td class='{cls}'>{_esc(r['verdict'])}"
            f"<div class='ref'>{r.get('runtime_s', 0):.1f} s</div></td></tr>")


_CLAIM_HEAD = ("<table class='claims'><colgroup><col style='width:19%'><col style='width:30%'>"
               "<col style='width:10%'><col style='width:15%'><col style='width:17%'>"
               "<col style='width:9%'></colgroup><tr><th>claim / reference</th><th>statement</th>"
               "<th>evidence / source</th><th>expected</th><th>ours</th><th>verdict</th></tr>")


def _figure_html(f: FigureEntry) -> str:
    data = base64.b64encode(f.path.read_bytes()).decode()
    return (f"<figure id='{_anchor('figure', f.name)}'><img alt='{_esc(f.caption or f.name)}' "
            f"src='data:image/png;base64,{data}'><figcaption>{_esc(f.caption)} "
            f"<code>{_esc(f.name)}</code></figcaption></figure>")


def html_page(rows: Sequence[dict], figures: Sequence[FigureEntry], scale: str, *,
              created: str = "", host: str = "", benchmarks: dict | None = None,
              other_report: tuple[str, str] | None = None, docs_prefix: str = "../docs/") -> str:
    """One self-contained HTML page: a summary first, then each paper's claims grouped by
    section with the figures built from the same sims beside them.

    Parameters
    ----------
    rows : claim rows as written to checks.json (``Result.as_dict``).
    figures : the rendered figures (missing PNGs are listed, not embedded).
    scale : "quick" or "full".
    created, host : when and where the claims ran (shown in the summary).
    benchmarks : the contents of reports/benchmarks.json, if any (ratios are shown).
    other_report : (label, relative href) of the report at the other scale, if it exists.
    """
    benchmarks = benchmarks or {}
    papers = [p for p in PAPER_ORDER if any(r["paper"] == p for r in rows)
              or any(f.paper == p for f in figures)]
    papers += [p for p in dict.fromkeys([r["paper"] for r in rows] + [f.paper for f in figures])
               if p not in papers]
    overall, bad = _overall(rows)
    failing = [r for r in rows if r["verdict"] in ("fail", "error")]
    not_repr = [r for r in rows if r["verdict"] == "not reproduced"]
    where = f" on {host}" if host else ""
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'>",
             f"<title>theorylab report ({_esc(scale)} scale)</title><style>{_CSS}</style>"
             "</head><body>",
             f"<h1>theorylab report <small>({_esc(scale)} scale)</small></h1>",
             f"<p class='verdict-line{' bad' if bad else ''}' id='overall'>{_esc(overall)}</p>",
             f"<p class='meta'>Claims ran {_esc(created or 'at an unknown time')}{_esc(where)}. "
             "<b>src</b>: <i>paper</i> = value printed in the paper, <i>derived</i> = derived in "
             "the reference notes. <b>evidence</b>: <i>simulation</i> (finite networks or Monte "
             "Carlo vs theory), <i>independent</i> (a second implementation or tool), "
             "<i>exact</i> (vs an exact value), <i>regression</i> (vs a number derived the same "
             "way).</p>"]
    nav = ["<a href='#summary'>Summary</a>",
           f"<a href='#failing'>Failing ({len(failing)})</a>",
           f"<a href='#not-reproduced'>Not reproduced ({len(not_repr)})</a>"]
    nav += [f"<a href='#{_anchor('paper', p)}'>{_esc(p)}</a>" for p in papers]
    if other_report:
        nav.append(f"<a href='{_esc(other_report[1])}'>{_esc(other_report[0])}</a>")
    parts.append("<nav>" + " ".join(nav) + "</nav>")

    # ---- summary table
    parts.append("<h2 id='summary'>Summary</h2><table class='summary'><colgroup>"
                 "<col style='width:24%'><col style='width:6%'><col style='width:6%'>"
                 "<col style='width:6%'><col style='width:7%'><col style='width:20%'>"
                 "<col style='width:9%'><col style='width:6%'><col style='width:16%'>"
                 "</colgroup><tr><th>paper</th><th class='n'>claims</th><th class='n'>pass</th>"
                 "<th class='n'>fail</th><th class='n'>not repr.</th><th>evidence</th>"
                 "<th>paper / derived</th><th class='n'>figures</th><th>benchmark</th></tr>")
    for p in papers:
        prow = [r for r in rows if r["paper"] == p]
        v, e, s_ = _counts(prow, "verdict"), _counts(prow, "evidence"), _counts(prow, "source")
        ev = ", ".join(f"{e[k]} {k}" for k in EVIDENCE_KINDS if e.get(k)) or "-"
        nfig = sum(1 for f in figures if f.paper == p)
        ratios = _ratios(benchmarks.get(p, {}))
        bench = "; ".join(f"{k} {val:.3g}" for k, val in ratios[:2]) or "not run here"
        nbad = v.get("fail", 0) + v.get("error", 0)
        ran = max((r["ran"] for r in prow if r.get("ran")), default="")
        hosts = sorted({r["host"] for r in prow if r.get("host") and r.get("ran") == ran})
        when = f"{scale} scale" + (f", ran {ran}" if ran else "") + (
            f" on {hosts[0]}" if hosts else "")
        parts.append(
            f"<tr><td><a href='#{_anchor('paper', p)}'>{_esc(p)}</a><div class='ref'>"
            f"{_esc(PAPERS.get(p, {}).get('authors', ''))}</div>"
            f"<div class='ref'>{_esc(when)}</div></td>"
            f"<td class='n'>{len(prow)}</td><td class='n pass'>{v.get('pass', 0)}</td>"
            f"<td class='n{' fail' if nbad else ''}'>{nbad}</td>"
            f"<td class='n not'>{v.get('not reproduced', 0)}</td><td>{_esc(ev)}</td>"
            f"<td>{s_.get('paper', 0)} / {s_.get('derived', 0)}</td><td class='n'>{nfig}</td>"
            f"<td>{_esc(bench)}</td></tr>")
    parts.append("</table>")

    # ---- where to look
    parts.append("<h2 id='failing'>Failing claims</h2>")
    if failing:
        parts.append("<ul class='attention'>" + "".join(
            f"<li><a href='#{_anchor('claim', r['id'])}'>{_esc(r['id'])}</a>: "
            f"{_esc(r['statement'])} ({_esc(r['verdict'])}; ours {_esc(fmt(r['ours'], 40))})"
            "</li>" for r in failing) + "</ul>")
    else:
        parts.append("<p>None.</p>")
    parts.append("<h2 id='not-reproduced'>Not reproduced</h2>")
    if not_repr:
        parts.append("<ul class='attention'>" + "".join(
            f"<li><a href='#{_anchor('claim', r['id'])}'>{_esc(r['id'])}</a>: "
            f"{_esc(r.get('note') or '')}</li>" for r in not_repr) + "</ul>")
    else:
        parts.append("<p>None.</p>")

    # ---- one section per paper
    for p in papers:
        meta = PAPERS.get(p, {"title": p, "authors": "", "arxiv": ""})
        arxiv = meta.get("arxiv", "")
        parts.append(f"<section id='{_anchor('paper', p)}'><h2>{_esc(p)}: "
                     f"{_esc(meta['title'])}</h2><p class='meta'>{_esc(meta['authors'])}"
                     + (f" · <a href='https://arxiv.org/abs/{_esc(arxiv)}'>arXiv {_esc(arxiv)}"
                        "</a>" if arxiv else "")
                     + f" · <a href='{_esc(docs_prefix)}{_esc(p)}.md'>docs/{_esc(p)}.md</a></p>")
        if meta.get("summary"):
            parts.append(f"<p class='blurb'>{_esc(meta['summary'])}</p>")
        prow = [r for r in rows if r["paper"] == p]
        groups: dict[str, list[dict]] = {}
        for r in prow:
            groups.setdefault(group_key(r["reference"]), []).append(r)
        pfigs = [f for f in figures if f.paper == p]
        placed: set[str] = set()
        for key, grows in groups.items():
            parts.append(f"<h3>{_esc(key)}</h3>{_CLAIM_HEAD}")
            parts += [_claim_row(r) for r in grows]
            parts.append("</table>")
            used = {s for r in grows for s in r.get("sims") or ()}
            here = [f for f in pfigs if f.name not in placed and set(f.sims) & used]
            shown = [f for f in here if f.path.exists()]
            if shown:
                parts.append("<div class='figs'>" + "".join(_figure_html(f) for f in shown)
                             + "</div>")
            placed.update(f.name for f in here)
        rest = [f for f in pfigs if f.name not in placed and f.path.exists()]
        if rest:
            parts.append("<h3>Figures from the closed forms and other sims</h3><div class='figs'>"
                         + "".join(_figure_html(f) for f in rest) + "</div>")
        missing = [f.name for f in pfigs if not f.path.exists()]
        if missing:
            parts.append(f"<p class='meta'>Not rendered yet (run <code>theorylab figures "
                         f"{_esc(p)}</code>): {_esc(', '.join(missing))}</p>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


README_START, README_END = "<!-- results:start -->", "<!-- results:end -->"


def readme_table(rows: Sequence[dict], scale: str) -> str:
    """The results kept in README.md (between the results markers): counts per paper and
    evidence kind, then every claim."""
    order = {p: i for i, p in enumerate(PAPER_ORDER)}
    rows = sorted(rows, key=lambda r: order.get(r["paper"], len(order)))
    out = [f"Claim ledger at {scale} scale: {summary(rows)}. *src*: `paper` = value printed in "
           "the paper, `derived` = derived in the reference notes. *evidence*: what stands on "
           "our side (`simulation`: finite networks or Monte Carlo vs theory; `independent`: a "
           "second implementation or tool; `exact`: an exact value; `regression`: a number the "
           "note derived the same way).", "",
           "| paper | claims | pass | fail | not reproduced | " + " | ".join(EVIDENCE_KINDS)
           + " | paper / derived |", "|---" * (6 + len(EVIDENCE_KINDS)) + "|"]
    for paper in dict.fromkeys(r["paper"] for r in rows):
        prow = [r for r in rows if r["paper"] == paper]
        v, e, s_ = _counts(prow, "verdict"), _counts(prow, "evidence"), _counts(prow, "source")
        cells = [f"`{paper}`", len(prow), v.get("pass", 0), v.get("fail", 0) + v.get("error", 0),
                 v.get("not reproduced", 0), *(e.get(k, 0) for k in EVIDENCE_KINDS),
                 f"{s_.get('paper', 0)} / {s_.get('derived', 0)}"]
        out.append("| " + " | ".join(str(c) for c in cells) + " |")
    out += ["", "| claim | reference | src | evidence | expected | ours | verdict |",
            "|---|---|---|---|---|---|---|"]
    for r in rows:
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
