"""Every example script runs."""
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_demo_runs_end_to_end():
    out = subprocess.run([sys.executable, str(EXAMPLES / "demo.py")], capture_output=True, text=True,
                         timeout=300, cwd=EXAMPLES)
    assert out.returncode == 0, out.stderr
    assert "objective 7, feasible True" in out.stdout
    assert "reloaded" in out.stdout
    assert "optimal splittable MLU 0.899999" in " ".join(out.stdout.split())
    assert out.stdout.count("│ ok ") == 3   # every backend's routes pass the independent check
    assert (EXAMPLES.parent / "out" / "abilene-mlu.png").exists()
