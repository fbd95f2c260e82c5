"""Every experiment runs as a file, from any directory, and has the common shape."""

import pathlib
import subprocess
import sys

import pytest

from tests.experiments.experiment_module import load_experiment

ROOT = pathlib.Path(__file__).resolve().parents[2]
NAMES = [
    "long_memory",
    "classify",
    "forecast",
    "forecast_benchmark",
    "anomaly",
    "char_lm",
    "recommend",
    "g2p",
    "video",
    "speech",
]


@pytest.mark.parametrize("name", NAMES)
def test_has_config_build_run_main(name):
    module = load_experiment(name)
    assert module.Config.__dataclass_params__.frozen
    assert "schedule" in module.Config.__dataclass_fields__
    for function in ("build", "run", "main", "parse_config"):
        assert callable(getattr(module, function)), function


@pytest.mark.parametrize("name", ["long_memory", "char_lm", "recommend", "g2p", "video", "speech"])
def test_runs_as_a_file_without_the_repository_on_the_path(name, tmp_path):
    # -I: no PYTHONPATH, no current directory on sys.path; the script finds experiments.common
    done = subprocess.run(
        [sys.executable, "-I", str(ROOT / "experiments" / f"{name}.py"), "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "--schedule" in done.stdout
