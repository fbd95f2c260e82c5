"""benchmarks/communication.py: one gradient all-reduce per data-parallel step, and the
scaling guide quotes the committed measurements (docs/guides/scaling.md)."""

import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
MEASURED = ROOT / "benchmarks/measured"
GUIDE = ROOT / "docs/guides/scaling.md"


def check_one_gradient_all_reduce(rows):
    for row in rows:
        assert row["collectives"] == {"all-reduce": [1, row["param_bytes"] + 4]}, row


def test_the_script_reads_one_all_reduce_of_the_gradients_from_the_hlo(tmp_path):
    out = tmp_path / "communication.json"
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/communication.py"), "--hidden", "8"]
        + ["--config", "16,3,4", "--json", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
        env=env,
    )
    check_one_gradient_all_reduce(json.loads(out.read_text())["rows"])


def test_the_guide_quotes_the_committed_communication_table():
    data = json.loads((MEASURED / "communication_8dev.json").read_text())
    check_one_gradient_all_reduce(data["rows"])
    guide = GUIDE.read_text()
    for row in data["rows"]:
        size = row["collectives"]["all-reduce"][1]
        effs = " | ".join(
            f"{row['on_paper'][link]['efficiency']:.0%} "
            f"({row['on_paper_x16_tokens'][link]['efficiency']:.0%})"
            for link in data["links_gb_s"]
        )
        line = f"| {row['hidden']} | {row['param_bytes']:,} | 1 | {size:,} | none | {effs} |"
        assert line in guide
    assert f"{data['assumed_tflops']:g} TFLOP/s" in guide


def test_the_guide_quotes_the_committed_long_memory_runs():
    guide = GUIDE.read_text()
    found = {}
    for devices in ("1cpu", "8dev"):
        results = json.loads((MEASURED / f"scaling/long_memory_quick_{devices}.json").read_text())
        (row,) = results["results"]
        found[devices] = row["test_mse"]
        assert f"{row['test_mse']:.9f}" in guide
        assert f"| lstm | {row['test_mse']:.4g} | " in guide
        assert f"| {row['wall_time_s']:.0f} s |" in guide
    assert abs(found["1cpu"] - found["8dev"]) < 1e-5
