"""``import qbdsl`` stays light: heavy libraries load only when used."""
import subprocess
import sys

HEAVY = ("dimod", "qiskit", "qiskit_optimization", "ortools", "pyqubo", "matplotlib", "sympy", "rich", "networkx")


def test_import_loads_no_heavy_library():
    code = f"import sys, qbdsl; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_import_loads_no_file_format_module():
    """The core (model, expressions, IR, compiler) reaches file formats only when asked."""
    code = "import sys, qbdsl; print(sorted(m for m in sys.modules if m.startswith(('qbdsl.io', 'qbdsl.orchestrate'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
