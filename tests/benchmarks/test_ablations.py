"""The ablation scripts on a tiny config: both variants agree, every timing is printed."""

import importlib.util
import pathlib
import re
import sys

import pytest

ABLATIONS = pathlib.Path(__file__).parents[2] / "benchmarks" / "ablations"


def load(name):
    sys.path.insert(0, str(ABLATIONS))
    spec = importlib.util.spec_from_file_location(f"ablation_{name}", ABLATIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timings(text):
    return {m[0].strip(): float(m[1]) for m in re.findall(r"^(.+?)\s+([\d.]+) ms$", text, re.M)}


@pytest.mark.parametrize("options", [[], ["--compiler-options"]])
def test_wavefront_equals_the_stack_and_is_timed(capsys, options):
    load("wavefront").main(["--config", "2,5,3,4", *options])
    out = capsys.readouterr().out
    assert float(re.search(r"max \|wavefront - stack\| = (\S+)", out)[1]) < 1e-5
    assert len(timings(out)) == 4 and all(v > 0 for v in timings(out).values())


def test_recompute_gives_the_same_gradients_and_is_timed(capsys):
    load("recompute").main(["--config", "2,5,3,4"])
    out = capsys.readouterr().out
    assert float(re.search(r"gradient difference (\S+)", out)[1]) < 1e-5
    assert set(timings(out)) == {"save K (lstmjax) fwd+bwd", "recompute fwd+bwd"}


def test_gemm_floor_times_the_floors_lstmjax_and_torch(capsys):
    load("gemm_floor").main(["--config", "2,5,3,4", "--torch"])
    names = set(timings(capsys.readouterr().out))
    assert {"GEMMs only, forward+backward", "lstmjax forward", "torch forward"} <= names


def test_compiler_options_ablation_times_every_system_both_ways(capsys):
    load("compiler_options").main(["--config", "2,5,3,4"])
    names = set(timings(capsys.readouterr().out))
    for system in ("lstmjax lstm", "lstmjax gru", "lstmjax tanh rnn", "flax lstm"):
        assert {f"{system} default", f"{system} options"} <= names


def test_split_and_vmapped_directions_agree_and_are_timed(capsys):
    load("split_directions").main(["--config", "2,5,3,4"])
    out = capsys.readouterr().out
    assert float(re.search(r"gradient = (\S+)", out)[1]) < 1e-5
    assert set(timings(out)) == {
        f"{way} {mode}" for way in ("split", "vmapped") for mode in ("fwd", "fwd+bwd")
    }


def test_scaffold_before_after_times_both_kernels_both_ways(capsys):
    # HEAD exists in any clone, shallow ones too (b2429dd, the default, may not).
    load("scaffold_before_after").main(["--config", "2,5,3,4", "--rounds", "2", "--rev", "HEAD"])
    names = set(timings(capsys.readouterr().out))
    assert names == {
        f"{cell} {when} {mode}"
        for cell in ("lstm", "gru")
        for when in ("before", "scaffold")
        for mode in ("fwd", "fwd+bwd")
    }
