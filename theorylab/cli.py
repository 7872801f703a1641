"""The ``theorylab`` command line: list, check, sim, figures, report."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # neural-tangents pulls in TensorFlow


def _cmd_list(args) -> int:
    from figures import registry
    from paper_checks import ledger
    from sims import runner

    papers = [args.paper] if args.paper else list(ledger.PAPERS)
    if args.paper and args.paper not in ledger.PAPERS:
        print(f"unknown paper {args.paper!r}; papers: {', '.join(ledger.PAPERS)}",
              file=sys.stderr)
        return 2
    claims = ledger.claims(papers)
    sims = [s for s in runner.all_sims() if s.paper in papers]
    figs = registry.all_figures(papers)
    for paper in papers:
        meta = ledger.PAPERS[paper]
        pc = [c for c in claims if c.paper == paper]
        ps = [s for s in sims if s.paper == paper]
        pf = [f for f in figs if f.paper == paper]
        status = f"{len(pc)} claims, {len(ps)} sims, {len(pf)} figures" if (pc or ps or pf) \
            else "not implemented yet"
        print(f"{paper:<16} {meta['authors']}: {meta['title']}  [{status}]")
        if args.paper or args.verbose:
            for c in pc:
                print(f"    claim  {c.id:<34} {c.reference}")
            for s in ps:
                sweep = f" (sweep over {s.sweep})" if s.sweep else ""
                print(f"    sim    {s.name:<34} {s.description}{sweep}")
            for f in pf:
                print(f"    figure {f.name:<34} {f.description}")
    return 0


def _cmd_check(args) -> int:
    from paper_checks import ledger
    from theorylab import report

    _setup_runtime(args)
    selected = ledger.claims(args.papers or None)
    if args.claim:
        selected = [c for c in selected if any(k in c.id for k in args.claim)]
    if not selected:
        print("no claims selected", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    results = ledger.run_claims(selected, args.scale, progress=not args.quiet and None)
    rows = [r.as_dict() for r in results]
    print(report.table(rows))
    path_json, path_md = report.write(rows, args.scale, Path(args.reports))
    bad = ledger.failed(results)
    print(f"\n{report.summary(rows)} in {time.perf_counter() - t0:.0f} s "
          f"-> {path_json}, {path_md}")
    for r in bad:
        print(f"FAILED {r.claim.id}: ours={report.fmt(r.ours)} {r.note}", file=sys.stderr)
    return 1 if bad else 0


def _cmd_sim(args) -> int:
    from sims import runner

    _setup_runtime(args)
    runner.run_from_args(args.name, args)
    return 0


def _cmd_figures(args) -> int:
    from figures import registry

    _setup_runtime(args)
    names = args.names or []
    known = {f.name for f in registry.all_figures()}
    papers = [n for n in names if n not in known]
    figs = [registry.get(n) for n in names if n in known]
    if papers or not names:
        figs += registry.all_figures(papers or None)
    if not figs:
        print(f"no figures for {names}", file=sys.stderr)
        return 2
    for f in figs:
        t0 = time.perf_counter()
        # the executor chosen on the command line is the runner's default (_setup_runtime)
        paths = registry.render(f.name, scale=args.scale, cache=args.results, out=args.out,
                                progress=False if args.quiet else None)
        print(f"{f.name:<34} {time.perf_counter() - t0:6.1f} s  -> {paths[0]}")
    return 0


def _cmd_report(args) -> int:
    from figures import registry
    from sims.runner import SCALES
    from theorylab import report

    reports = Path(args.reports)
    found = {}
    for scale in SCALES:
        path = report.checks_path(reports, scale)
        if path.exists():
            found[scale] = json.loads(path.read_text())
    if not found:
        print(f"{report.checks_path(reports, 'quick')} not found: run `theorylab check` first",
              file=sys.stderr)
        return 2
    bench_path = reports / "benchmarks.json"
    benchmarks = json.loads(bench_path.read_text()) if bench_path.exists() else {}
    for scale, data in found.items():
        fig_dir = Path(args.figures) if args.figures else registry.out_dir(scale)
        figs = [report.FigureEntry(f.name, f.paper, f.sims, f.description,
                                   fig_dir / f"{f.name}.png") for f in registry.all_figures()]
        others = [s for s in found if s != scale]
        other = (f"{others[0]}-scale report", report.report_name(others[0])) if others else None
        out = reports / report.report_name(scale)
        out.write_text(report.html_page(data["claims"], figs, scale,
                                        created=data.get("created", ""),
                                        host=data.get("host", ""), benchmarks=benchmarks,
                                        other_report=other))
        missing = [f.name for f in figs if not f.path.exists()]
        print(f"wrote {out} ({len(data['claims'])} claims, {len(figs) - len(missing)} figures)")
        if missing:
            print(f"figures not rendered yet (run `theorylab figures --scale {scale}`): "
                  f"{', '.join(missing)}")
    if args.readme:
        scale = "quick" if "quick" in found else next(iter(found))
        report.update_readme(Path(args.readme), found[scale]["claims"], scale)
        print(f"updated the results table of {args.readme} ({scale} scale)")
    return 0


def _setup_runtime(args) -> None:
    from sims import runner

    if getattr(args, "results", None):
        os.environ["THEORYLAB_RESULTS"] = args.results
    if getattr(args, "executor", None):
        scheduler = getattr(args, "scheduler", None)
        if args.executor == "dask" and not scheduler:
            scheduler = args.scheduler = _local_dask_cluster(args.workers)
        runner.set_defaults(executor=args.executor, workers=args.workers, scheduler=scheduler)
    runner.set_device(getattr(args, "device", None))


def _local_dask_cluster(workers: int | None) -> str:
    """Start one local Dask cluster for the whole command (closed at exit); its address."""
    import atexit

    from dask.distributed import LocalCluster

    cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    atexit.register(cluster.close)
    return cluster.scheduler_address


def build_parser() -> argparse.ArgumentParser:
    from sims import runner

    parser = argparse.ArgumentParser(
        prog="theorylab", description="Executable checks of nine ML-theory papers.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="papers, claims, sims and figures")
    p.add_argument("paper", nargs="?")
    p.add_argument("-v", "--verbose", action="store_true", help="list items of every paper")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("check", help="run the claim ledger")
    p.add_argument("papers", nargs="*")
    p.add_argument("--scale", choices=runner.SCALES, default="quick")
    p.add_argument("--claim", action="append", help="only claims whose id contains this")
    p.add_argument("--executor", default=None, choices=("serial", "local", "dask"),
                   help="where the sweep points of the claims' sims run (default serial)")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--scheduler", default=None, help="Dask scheduler address")
    p.add_argument("--device", choices=("cpu", "gpu"), default=None)
    p.add_argument("--results", default=None, help="sim cache directory (default ./results)")
    p.add_argument("--reports", default="reports")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("sim", help="run one simulation")
    p.add_argument("name")
    runner.add_run_arguments(p)
    p.set_defaults(func=_cmd_sim)

    p = sub.add_parser("figures", help="regenerate figures (all, or of papers / by name)")
    p.add_argument("names", nargs="*")
    p.add_argument("--scale", choices=runner.SCALES, default="quick")
    p.add_argument("--executor", default=None, choices=("serial", "local", "dask"))
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--scheduler", default=None, help="Dask scheduler address")
    p.add_argument("--device", choices=("cpu", "gpu"), default=None)
    p.add_argument("--results", default=None)
    p.add_argument("--out", default=None, help="output folder (default figures/out[/full])")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_figures)

    p = sub.add_parser("report", help="one self-contained HTML page of claims and figures")
    p.add_argument("--reports", default="reports")
    p.add_argument("--figures", default=None, help="folder of the PNGs (default figures/out)")
    p.add_argument("--readme", default=None, metavar="README.md",
                   help="also rewrite the results table of this README from checks.json")
    p.set_defaults(func=_cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as err:
        print(f"theorylab: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
