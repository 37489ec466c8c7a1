"""``import qbdsl`` stays light: heavy libraries load only when used."""

import subprocess
import sys

HEAVY = ("dimod", "qiskit", "qiskit_optimization", "ortools", "pyqubo", "matplotlib", "sympy", "rich", "networkx")


def test_import_loads_no_heavy_library():
    code = f"import sys, qbdsl; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_import_loads_no_file_format_module():
    """The core (model, expressions, IR, compiler) reaches file formats, the command line and
    the orchestration layer only when asked."""
    code = (
        "import sys, qbdsl; print(sorted(m for m in sys.modules "
        "if m.startswith(('qbdsl.io', 'qbdsl.cli', 'qbdsl.orchestrate'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_command_line_import_stays_light():
    """``qbdsl --help`` needs argparse, not the solvers: heavy libraries load inside commands."""
    code = f"import sys, qbdsl.cli; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_facade_functions_reach_file_formats_when_called(tmp_path):
    code = (
        "import sys, qbdsl as qb; m = qb.Model('t'); x = m.binary('x', 2); m.minimize(x.sum()); "
        f"qb.save(m, {str(tmp_path / 'm.lp')!r}); print('qbdsl.io.lp_format' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
