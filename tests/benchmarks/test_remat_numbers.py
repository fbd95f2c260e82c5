"""The remat memory figures the docs quote are the committed benchmark file's (remat.py)."""

import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_docs_quote_the_committed_remat_results():
    data = json.loads((ROOT / "benchmarks/measured/remat_cpu_2core.json").read_text())
    scratch = {r["remat"]: r["scratch_bytes"] / 2**20 for r in data["rows"] if r["T"] == 100000}
    guide = " ".join((ROOT / "docs/guides/regularisers.md").read_text().split())
    assert f"from {scratch['None']:.0f} to {scratch['sqrt']:.0f} MiB" in guide
    results = (ROOT / "benchmarks/RESULTS.md").read_text()
    for r in data["rows"]:
        assert f"| {r['T']} | {r['remat']} | {r['scratch_bytes'] / 2**20:.2f} |" in results
