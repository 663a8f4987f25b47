"""The bench's frame: a registry of measures, the rows they return, and one table printed at the end."""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import math
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

# The modules whose measures run, in this order. A later issue adds its module here.
MODULES = ("tests.bench.sale", "tests.bench.memory", "tests.bench.search", "tests.bench.sell_page",
           "tests.bench.receipt", "tests.bench.central", "tests.bench.sync", "tests.bench.review")

DIGITS = {"ms": 2, "MB": 1, "KB": 1, "×": 2, "s": 1}


@dataclass
class Row:
    """One line of the table. It passes when ``value < target``; no target: shown for information."""

    measure: str
    value: float | None
    unit: str = ""
    target: float | None = None
    ratio: float | None = None  # value / the baseline measured in the same run, where there is one
    note: str = ""
    group: str = ""  # the registered measure that made the row (set by the harness)
    error: bool = False

    @property
    def status(self) -> str:
        if self.error or self.value is None:
            return "ERROR"
        if self.target is None:
            return "-"
        return "pass" if self.value < self.target else "FAIL"


@dataclass(frozen=True)
class Run:
    """What a measure is given: whether to run small, and a folder of its own for files."""

    quick: bool
    folder: Path

    def size(self, full: int, quick: int) -> int:
        return quick if self.quick else full


Measure = Callable[[Run], list[Row]]
MEASURES: dict[str, Measure] = {}


def measure(name: str) -> Callable[[Measure], Measure]:
    """Register a measure under ``name`` (what ``--only`` selects)."""

    def register(function: Measure) -> Measure:
        if name in MEASURES:
            raise ValueError(f"two measures are called {name}")
        MEASURES[name] = function
        return function

    return register


def load_measures() -> dict[str, Measure]:
    for module in MODULES:
        importlib.import_module(module)
    return MEASURES


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest sample with at least ``fraction`` of them at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(round(fraction * len(ordered), 9)) - 1)]


def timed(function: Callable[[], object]) -> float:
    """Milliseconds ``function()`` took."""
    start = time.perf_counter()
    function()
    return (time.perf_counter() - start) * 1000


def run_measures(names: list[str], quick: bool, folder: Path) -> list[Row]:
    measures = load_measures()
    rows: list[Row] = []
    for name in names:
        (folder / name).mkdir(parents=True, exist_ok=True)
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            made = measures[name](Run(quick=quick, folder=folder / name))
        except Exception as error:  # one broken measure must not hide the others' rows
            traceback.print_exc()
            made = [Row(f"{name}: did not run", None, note=f"{type(error).__name__}: {error}", error=True)]
        print(f"[bench] {name} done in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
        for row in made:
            row.group = name
        rows.extend(made)
    return rows


def machine_facts() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in _read_lines("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "system": f"{platform.system()} {platform.release()}",
            "date": time.strftime("%Y-%m-%d %H:%M %Z"), "load": os.getloadavg()[0]}


def _read_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    digits = DIGITS.get(unit, 0)
    return f"{value:,.{digits}f}"


def format_table(rows: list[Row], facts: dict, quick: bool) -> str:
    header = (f"bench{' (quick)' if quick else ''}: {facts['cpus']} CPUs ({facts['cpu']}), "
              f"Python {facts['python']}, SQLite {facts['sqlite']}, {facts['system']}, {facts['date']}, "
              f"load average {facts['load']:.2f} at start")
    cells = [("measure", "value", "target", "ratio", "result", "note")]
    for row in rows:
        value = f"{_number(row.value, row.unit)} {row.unit}".rstrip()
        target = f"< {_number(row.target, row.unit)} {row.unit}".rstrip() if row.target is not None else "-"
        ratio = f"{row.ratio:.2f}×" if row.ratio is not None else "-"
        cells.append((row.measure, value, target, ratio, row.status, row.note))
    widths = [max(len(line[i]) for line in cells) for i in range(5)]
    right = (False, True, True, True, False)
    lines = [header, ""]
    for n, line in enumerate(cells):
        parts = [cell.rjust(w) if r else cell.ljust(w) for cell, w, r in zip(line, widths, right)]
        lines.append("  ".join(parts + [line[5]]).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths) + "  ----")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this measure (repeatable); one of: " + ", ".join(load_measures()))
    parser.add_argument("--quick", action="store_true", help="a small run that still exercises every measure")
    parser.add_argument("--json", metavar="PATH", type=Path, help="also write the rows as JSON to PATH")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (databases, logs)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.only or () if name not in MEASURES]
    if unknown:
        parser.error(f"unknown measure {', '.join(unknown)}; choose from {', '.join(MEASURES)}")
    return args


def quiet_logs() -> None:
    """The apps log as in production (a JSON line per request, at INFO), formatted and written, to /dev/null:
    the cost is in the figures, the lines are not in the table's way (nor are the migrations')."""
    from central_sync.protocol.logs import JsonFormatter

    handler = logging.StreamHandler(open(os.devnull, "w", encoding="utf-8"))
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def main(argv: list[str] | None = None) -> int:
    """Run the measures, print the table; exit 1 when a target is missed or a measure broke."""
    args = parse_args(argv)
    names = args.only or list(MEASURES)
    quiet_logs()
    facts = machine_facts()
    folder = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    try:
        rows = run_measures(names, args.quick, folder)
    finally:
        if args.keep:
            print(f"[bench] files kept in {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print(format_table(rows, facts, args.quick))
    if args.json:
        document = {"machine": facts, "quick": args.quick,
                    "rows": [dict(asdict(row), status=row.status) for row in rows]}
        args.json.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0 if all(row.status in ("pass", "-") for row in rows) else 1
