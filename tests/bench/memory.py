"""Resident memory of a kiosk process after many sales, measured in a process of its own."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.bench.harness import Row, Run, measure
from tests.bench.kiosk_site import prepare

RSS_TARGET_MB = 80
ROOT = Path(__file__).resolve().parents[2]  # the worker imports `tests.bench` from here


@measure("memory")
def kiosk_memory(run: Run) -> list[Row]:
    count = run.size(10_000, 200)
    prepare(run.folder)
    done = subprocess.run([sys.executable, "-m", "tests.bench.memory_worker", str(run.folder), str(count)],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"the kiosk process failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    tenth = result["tenth"]
    rate = (f"{count:,} sales in {result['seconds']:.0f} s; mean {result['first_tenth_seconds'] / tenth * 1000:.1f} ms"
            f" a sale over the first {tenth:,}, {result['last_tenth_seconds'] / tenth * 1000:.1f} ms over the last")
    return [
        Row("kiosk RSS after start", result["started_kb"] / 1024, "MB",
            note="app made, a manager logged in, shift opened"),
        Row(f"kiosk RSS after {count:,} sales", result["rss_kb"] / 1024, "MB", RSS_TARGET_MB, note=rate),
        Row("kiosk peak RSS (VmHWM)", result["peak_kb"] / 1024, "MB"),
    ]
