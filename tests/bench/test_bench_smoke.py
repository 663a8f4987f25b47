"""The bench still runs. Nothing here compares a time or a size with its target: that is the bench's job."""
import json
import math
import os

import pytest

from tests.bench import central, harness


def test_quick_bench_runs_every_measure_and_gives_each_row_a_number(tmp_path, capsys):
    # Central's measure needs PostgreSQL: without one it must say so in an ERROR row (CI always has one).
    no_postgresql = None if os.environ.get("CI") else central.unreachable()
    harness.main(["--quick", "--json", str(tmp_path / "bench.json")])  # exit status 1 only says a target was missed
    table = capsys.readouterr().out
    rows = json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))["rows"]

    assert {row["group"] for row in rows} == set(harness.load_measures())
    if no_postgresql:
        refused = [row for row in rows if row["group"] == "central"]
        assert [(row["status"], row["note"]) for row in refused] == [("ERROR", no_postgresql)]
        rows = [row for row in rows if row["group"] != "central"]
    for row in rows:
        assert row["status"] != "ERROR", row
        assert isinstance(row["value"], (int, float)) and math.isfinite(row["value"]) and row["value"] >= 0, row
        assert row["measure"] in table


def test_percentile_is_the_nearest_rank():
    samples = [float(n) for n in range(100, 0, -1)]
    assert harness.percentile(samples, 0.99) == 99.0
    assert harness.percentile(samples, 0.5) == 50.0
    assert harness.percentile([7.0], 0.99) == 7.0


def test_a_row_passes_only_below_its_target():
    assert harness.Row("x", 14.9, "ms", 15).status == "pass"
    assert harness.Row("x", 15.0, "ms", 15).status == "FAIL"
    assert harness.Row("x", 3.0, "ms").status == "-"
    assert harness.Row("x", None).status == "ERROR"


def test_only_rejects_a_measure_that_does_not_exist(capsys):
    with pytest.raises(SystemExit):
        harness.main(["--only", "no-such-measure"])
    assert "unknown measure no-such-measure" in capsys.readouterr().err
