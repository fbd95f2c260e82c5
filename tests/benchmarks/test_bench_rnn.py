"""The benchmark script's quick path on one tiny config: table and JSON structure."""

import importlib.util
import json
import pathlib

import pytest

SCRIPT = pathlib.Path(__file__).parents[2] / "benchmarks" / "bench_rnn.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_rnn", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_writes_table_and_json(tmp_path, capsys):
    bench = load_bench()
    out = tmp_path / "bench.json"
    argv = ["--quick", "--config", "2,5,3,4,1,bi", "--repeats", "2", "--json", str(out)]
    result = bench.main(argv + ["--systems", "lstmjax", "flax", "torch"])
    table = capsys.readouterr().out
    written = json.loads(out.read_text())
    assert written["results"] == json.loads(json.dumps(result["results"]))
    systems = [r["system"] for r in written["results"]]
    assert systems == ["lstmjax", "flax", "torch"]
    for record in written["results"]:
        assert record["label"] == "2,5,3,4,1,bi"
        assert record["cell"] == "lstm"
        assert record["config"] == {
            "B": 2,
            "T": 5,
            "D": 3,
            "H": 4,
            "layers": 1,
            "bidirectional": True,
        }
        assert record["forward_ms"] > 0 and record["forward_backward_ms"] > 0
        assert set(record["ratio"]) == {"forward", "forward_backward"}
    lstmjax = written["results"][0]
    assert lstmjax["ratio"] == {"forward": 1.0, "forward_backward": 1.0}
    assert set(lstmjax["compile_s"]) == {"forward", "forward_backward"}
    rows = [line for line in table.splitlines() if line.startswith("| 2,5,3,4,1,bi")]
    assert [row.split("|")[3].strip() for row in rows] == systems
    assert {"jax", "backend", "device", "command"} <= set(written["environment"])


def test_parse_config_rejects_bad_text():
    bench = load_bench()
    assert bench.parse_config("1,2,3,4,2,uni") == bench.Config(1, 2, 3, 4, 2, False)
    with pytest.raises(Exception, match="B,T,D,H"):
        bench.parse_config("1,2,3,4,2,sideways")
