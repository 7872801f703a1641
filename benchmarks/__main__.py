"""Run the benchmarks: ``python -m benchmarks`` (all) or ``python -m benchmarks lion ntk``."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path

import benchmarks


def main(argv: list[str]) -> int:
    names = sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules(benchmarks.__path__)
                   if m.name.startswith("bench_"))
    selected = argv or names
    unknown = sorted(set(selected) - set(names))
    if unknown:
        print(f"unknown benchmark(s) {unknown}; available: {names}", file=sys.stderr)
        return 2
    results = {}
    for name in selected:
        print(f"== {name}")
        results[name] = importlib.import_module(f"benchmarks.bench_{name}").main()
    out = Path("reports")
    out.mkdir(exist_ok=True)
    (out / "benchmarks.json").write_text(json.dumps(results, indent=1, default=float))
    print(f"-> {out / 'benchmarks.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
