"""A 5-line cash sale through ``POST /api/v1/sales``, against the same rows written with raw ``sqlite3``."""
from __future__ import annotations

import os
from pathlib import Path
from statistics import median

from tests.bench.harness import Row, Run, measure, percentile, timed
from tests.bench.kiosk_site import make_site, sale_bodies
from tests.bench.raw_sale import RawKiosk, copy_database

MEDIAN_TARGET_MS = 15
RATIO_TARGET = 4


@measure("sale")
def sale_latency(run: Run) -> list[Row]:
    count, warm_up = run.size(300, 30), run.size(30, 5)
    site = make_site(run.folder)
    try:
        for body in sale_bodies(site.items, warm_up, seed=1):
            site.post("/sales", body)
        copy_database(run.folder / "kiosk.sqlite3", run.folder / "raw.sqlite3")
        raw = RawKiosk(run.folder / "raw.sqlite3", site.logins["manager"][0], site.app.config["KIOSK_CODE"])
        try:
            for body in sale_bodies(site.items, warm_up, seed=3):
                raw.sell(body)  # warms the baseline's caches too
            kiosk_ms, raw_ms = [], []
            for body in sale_bodies(site.items, count, seed=2):  # interleaved, so both see the same machine
                kiosk_ms.append(timed(lambda: site.post("/sales", body)))
                raw_ms.append(timed(lambda: raw.sell(body)))
        finally:
            raw.close()
    finally:
        site.close()

    kiosk_median, raw_median = median(kiosk_ms), median(raw_ms)
    kiosk_p99, raw_p99 = percentile(kiosk_ms, 0.99), percentile(raw_ms, 0.99)
    how = f"n={count} after {warm_up} warm-up; test client, SQLite file, WAL, synchronous=FULL"
    return [
        Row("sale (5 lines, cash): median", kiosk_median, "ms", MEDIAN_TARGET_MS, kiosk_median / raw_median, how),
        Row("sale (5 lines, cash): p99", kiosk_p99, "ms", ratio=kiosk_p99 / raw_p99),
        Row("raw sqlite3, same rows: median", raw_median, "ms", note="1 fsynced transaction a sale"),
        Row("raw sqlite3, same rows: p99", raw_p99, "ms"),
        Row("sale / raw sqlite3 (medians)", kiosk_median / raw_median, "×", RATIO_TARGET),
        Row("disk: write 4 KB + fsync, median", median(fsync_ms(run.folder / "fsync.bin", count)), "ms",
            note="what each commit waits for at least"),
    ]


def fsync_ms(path: Path, count: int) -> list[float]:
    """The disk under the databases: how long appending a page and fsyncing it takes."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        return [timed(lambda: (os.write(fd, bytes(4096)), os.fsync(fd))) for _ in range(count)]
    finally:
        os.close(fd)
