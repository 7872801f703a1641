"""The HTML report: summary first, every claim and figure present, links resolve, page fits.

The structure is checked by parsing the page.  When a ``chromium`` binary is on the machine
(Debian package ``chromium``), the page is also rendered headless at 1280 px and the test checks
that nothing overflows horizontally and that every image decoded; without one that part is
skipped (CI does not install a browser).
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from theorylab import report
from theorylab.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _row(cid, paper, verdict="pass", reference="Thm 1; Fig. 1", sims=(), evidence="simulation",
         statement="a statement"):
    return {"id": cid, "paper": paper, "reference": reference, "statement": statement,
            "source": "derived", "evidence": None if verdict == "not reproduced" else evidence,
            "expected": 0.0, "tolerance": 1e-3, "compare": "abs", "tol_reason": "3 SE",
            "ours": 1e-4, "verdict": verdict, "runtime_s": 0.1,
            "note": "why not" if verdict == "not reproduced" else "", "scale": "quick",
            "sims": list(sims), "ran": "2026-11-30 12:00", "host": "testhost"}


def _png(path: Path, width_px: int = 300) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width_px / 100, 2), dpi=100)
    ax.plot([0, 1], [0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    path.write_bytes(buf.getvalue())
    return path


class _Page(HTMLParser):
    """Collects ids, internal links, images (with their data), captions and tables."""

    def __init__(self):
        super().__init__()
        self.ids, self.hrefs, self.imgs, self.captions = set(), [], [], []
        self.tables, self._in_caption, self.h1_seen_before_table = 0, False, None
        self.first_table_class = None
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if tag == "img":
            self.imgs.append(a)
        if tag == "figcaption":
            self._in_caption = True
            self.captions.append("")
        if tag == "table":
            self.tables += 1
            if self.first_table_class is None:
                self.first_table_class = a.get("class")
        if tag == "script":
            self.scripts += 1

    def handle_endtag(self, tag):
        if tag == "figcaption":
            self._in_caption = False

    def handle_data(self, data):
        if self._in_caption:
            self.captions[-1] += data


@pytest.fixture()
def page(tmp_path):
    rows = [_row("ntk.a", "ntk", sims=("ntk_width",)),
            _row("ntk.b", "ntk", verdict="fail", reference="Prop. 2 (check C6)"),
            _row("ntk.c", "ntk", verdict="not reproduced", reference="Sec. 6.3"),
            _row("lion.d", "lion", evidence="independent",
                 statement="x" * 400)]  # a long unbroken statement must wrap
    figs = [report.FigureEntry("ntk_width_convergence", "ntk", ("ntk_width",),
                               "Relative NTK error vs width.", _png(tmp_path / "a.png")),
            report.FigureEntry("lion_trajectories", "lion", ("lion_toy",),
                               "Lion enters the box.", _png(tmp_path / "b.png", 900))]
    text = report.html_page(rows, figs, "quick", created="2026-11-30 12:00", host="testhost",
                            benchmarks={"lion": {"ratio": 1.03}},
                            other_report=("full-scale report", "report-full.html"))
    parser = _Page()
    parser.feed(text)
    return text, parser, rows, figs


def test_summary_comes_first_and_names_every_paper(page):
    text, parser, rows, _ = page
    assert parser.first_table_class == "summary"
    assert text.index("id='overall'") < text.index("<table")
    summary = text.split("<table class='summary'>", 1)[1].split("</table>", 1)[0]
    for paper in ("ntk", "lion"):
        assert f"href='#paper-{paper}'" in summary
    assert "1 of 3 runnable claims FAIL" in text
    assert "ratio 1.03" in summary and "1 independent" in summary
    assert "quick scale, ran 2026-11-30 12:00 on testhost" in summary


def test_every_claim_and_figure_is_present_and_links_resolve(page):
    text, parser, rows, figs = page
    for r in rows:
        assert f"claim-{r['id'].replace('.', '-')}" in parser.ids
    for f in figs:
        assert f"figure-{f.name}" in parser.ids
    internal = [h[1:] for h in parser.hrefs if h.startswith("#")]
    assert internal and all(h in parser.ids for h in internal), set(internal) - parser.ids
    # the failing claim and the not-reproduced claim are linked from the lists at the top
    assert "claim-ntk-b" in text.split("id='failing'", 1)[1].split("<h2", 1)[0]
    assert "claim-ntk-c" in text.split("id='not-reproduced'", 1)[1].split("<section", 1)[0]
    assert "report-full.html" in parser.hrefs


def test_figures_are_embedded_with_captions_next_to_their_claims(page):
    text, parser, _, figs = page
    assert len(parser.imgs) == len(figs)
    for img in parser.imgs:
        src = img["src"]
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == PNG_MAGIC
        assert img.get("alt")
    assert sorted(c.strip() for c in parser.captions) == [
        "Lion enters the box. lion_trajectories",
        "Relative NTK error vs width. ntk_width_convergence"]
    # the NTK figure sits right after the table of the claim group that used its sim
    thm1 = text.split("id='paper-ntk'")[1].split("<h3>Thm 1</h3>")[1]
    assert thm1.index("figure-ntk_width_convergence") < thm1.index("<h3>")
    assert parser.scripts == 0 and "http://" not in text
    assert not re.search(r"src=['\"]https?:", text)


def test_every_registered_figure_has_a_caption():
    from figures import registry

    for f in registry.all_figures():
        assert len(f.description) > 20, f"{f.name}: the docstring's first line is its caption"


def test_cli_writes_one_report_per_scale(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    for scale in ("quick", "full"):
        rows = [dict(_row("lion.d", "lion"), scale=scale)]
        report.checks_path(reports, scale).write_text(json.dumps(
            {"scale": scale, "created": "now", "host": "h", "claims": rows}))
    assert main(["report", "--reports", str(reports), "--figures", str(tmp_path)]) == 0
    quick, full = (reports / "report.html").read_text(), (reports / "report-full.html").read_text()
    assert "report-full.html" in quick and "report.html" in full and "(full scale)" in full


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="no chromium binary (Debian package chromium)")
def test_page_renders_in_chromium_without_horizontal_overflow(page, tmp_path):
    text, _, _, figs = page
    probe = ("<script>window.addEventListener('load',()=>{const d=document.documentElement;"
             "const imgs=[...document.images];document.title=JSON.stringify({sw:d.scrollWidth,"
             "cw:d.clientWidth,imgs:imgs.length,ok:imgs.filter(i=>i.complete&&"
             "i.naturalWidth>0).length});});</script>")
    path = tmp_path / "probe.html"
    path.write_text(text.replace("</body>", probe + "</body>"))
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
           "--window-size=1280,900", "--virtual-time-budget=5000", "--dump-dom",
           path.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    title = re.search(r"<title>(\{.*?\})</title>", proc.stdout)
    assert title, proc.stderr[-2000:]
    probe_out = json.loads(title.group(1).replace("&quot;", '"'))
    assert probe_out["sw"] <= probe_out["cw"], probe_out  # no horizontal scroll bar
    assert probe_out["imgs"] == probe_out["ok"] == len(figs)
