"""Every example script runs."""

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_demo_runs_end_to_end():
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "demo.py")], capture_output=True, text=True, timeout=300, cwd=EXAMPLES
    )
    assert out.returncode == 0, out.stderr
    assert "objective 7, feasible True" in out.stdout
    assert "reloaded" in out.stdout
    assert "optimal splittable MLU 0.899999" in " ".join(out.stdout.split())
    assert out.stdout.count("│ ok ") == 3  # every backend's routes pass the independent check
    assert (EXAMPLES.parent / "out" / "abilene-mlu.png").exists()
    text = " ".join(out.stdout.split())
    assert "│ qip-edf+lookahead │" in text and "│ edf+ac" in text and "offline (hindsight)" in text


import pytest  # noqa: E402

EXPECT = {
    "routing_min_mlu.py": ["check ok"] * 5,
    "routing_kpath.py": ["routes ok"] * 2,
    "network_design_qoblib.py": [
        "max load 65.5 (published 65.5), design check ok",
        "max load 101 (published 101), design check ok",
    ],
    "capacity_design_sndlib.py": ["check ok"],
    "ran_power.py": ["check ok", "WMMSE"],
    "slicing.py": ["check ok"],
    "scheduling.py": ["schedule check ok"] * 2,
    "qnet_routing.py": ["routes ok"] * 4 + ["slicing check ok"] * 5,  # four routings, joint + four sequential
}


def test_every_example_is_listed_here():
    scripts = {p.name for p in EXAMPLES.glob("*.py")} - {"demo.py", "slice_placement.py"}
    assert scripts == set(EXPECT)


@pytest.mark.parametrize("script", sorted(EXPECT))
def test_example_runs_and_its_answers_check(script):
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / script)], capture_output=True, text=True, timeout=600, cwd=EXAMPLES
    )
    assert out.returncode == 0, out.stderr
    for marker in set(EXPECT[script]):
        assert out.stdout.count(marker) >= EXPECT[script].count(marker), (marker, out.stdout)
    assert "FAILED" not in out.stdout
