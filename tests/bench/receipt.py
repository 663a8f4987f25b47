"""Receipts: from a committed 10-line sale to the last byte at a (fake) network printer, through the real
print worker thread and `escpos.printer.Network`; and what a receipt weighs on the wire."""
from __future__ import annotations

import time
from statistics import median

from kiosk.printing import worker
from tests.bench.harness import Row, Run, measure, percentile
from tests.bench.kiosk_site import make_site, sale_bodies
from tests.fake_printer import FakePrinter

TARGET_MS = 300
LINES = 10


@measure("receipt")
def receipt_latency(run: Run) -> list[Row]:
    count = run.size(60, 5)
    site = make_site(run.folder)
    rows = []
    try:
        with FakePrinter() as printer:
            site.app.config["PRINTER_URL"] = printer.url
            background = worker.start(site.app)
            try:
                latencies = []
                for i, body in enumerate(sale_bodies(site.items, count + 3, seed=5, lines=LINES)):
                    site.post("/sales", body)
                    committed = time.perf_counter()  # the answer came after the commit
                    job = printer.wait_for_jobs(i + 1, timeout=30)[i]
                    if i >= 3:  # the first receipts load Pillow, the font and python-escpos
                        latencies.append((job.finished_at - committed) * 1000)
                sizes = [len(job.data) for job in printer.jobs]
            finally:
                background.stop()
        how = f"n={count}; 10-line cash sale, 80 mm (576 dots), worker thread -> escpos Network -> 127.0.0.1"
        rows += [
            Row("receipt: sale committed -> last byte at printer, median", median(latencies), "ms", TARGET_MS,
                note=how),
            Row("receipt: sale committed -> last byte at printer, p95", percentile(latencies, 0.95), "ms"),
            Row("receipt: bytes per 10-line receipt (image mode)", median(sizes) / 1024, "KB",
                note="raster image + init, cut, drawer kick, status queries"),
        ]
    finally:
        site.close()
    return rows
