"""benchmarks/conv_cells.py runs, both paths agree, and RESULTS.md quotes its committed file."""

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import conv_cells  # noqa: E402


def test_a_small_config_runs_and_the_paths_agree(tmp_path, capsys):
    out = tmp_path / "conv.json"
    conv_cells.main(["--configs", "2,4", "--rounds", "1", "--json", str(out)])
    (row,) = json.loads(out.read_text())["rows"]
    assert row["filters"] == 2 and row["size"] == 4
    assert row["xla_conv_ms"] > 0 and row["patches_ms"] > 0
    assert row["max_relative_grad_difference"] < 1e-5
    assert "| 2 | 4x4 |" in capsys.readouterr().out


def test_results_quote_the_committed_measurements():
    data = json.loads((ROOT / "benchmarks/measured/conv_cells_cpu_2core.json").read_text())
    results = (ROOT / "benchmarks/RESULTS.md").read_text()
    for r in data["rows"]:
        assert (
            f"| {r['filters']} | {r['size']}x{r['size']} | {r['xla_conv_ms']:.0f} "
            f"| {r['patches_ms']:.0f} | {r['speedup']:.1f}x |" in results
        )
