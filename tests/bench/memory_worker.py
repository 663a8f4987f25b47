"""The kiosk process of the memory measure: ``python -m tests.bench.memory_worker FOLDER SALES``.

On the database the bench prepared in FOLDER it starts the kiosk app as a kiosk process starts (no
migrations, no demo loading: `make run` does those in a process of their own), a manager logs in and
opens a shift, then it sells SALES times through the test client, and prints one JSON line:
resident memory (VmRSS) after start and after the sales, and the peak (VmHWM), in KB.
It imports nothing of the bench but the kiosk set-up, so its memory is the kiosk's.
"""
import json
import re
import sys
import time
from pathlib import Path

from tests.bench.kiosk_site import open_site, sale_bodies


def status_kb(field: str) -> int:
    return int(re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M).group(1))


def main(folder: str, count: int) -> dict:
    site = open_site(Path(folder))
    started_kb = status_kb("VmRSS")
    tenth = max(1, count // 10)
    stamps = [time.perf_counter()]
    for n, body in enumerate(sale_bodies(site.items, count), 1):
        site.post("/sales", body)
        if n % tenth == 0:
            stamps.append(time.perf_counter())
    return {"sales": count, "seconds": stamps[-1] - stamps[0], "started_kb": started_kb,
            "rss_kb": status_kb("VmRSS"), "peak_kb": status_kb("VmHWM"), "tenth": tenth,
            "first_tenth_seconds": stamps[1] - stamps[0], "last_tenth_seconds": stamps[10] - stamps[9]}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))))
