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


def test_installed_code_never_imports_the_checkouts_top_level_folders():
    """`backends/` and `problems/` are installed as `qbdsl.backends` and `qbdsl.problems`; an
    import of the top-level names works inside the checkout (tests, scripts) and fails for a
    user (it broke every parallel `qb.solve` run outside the checkout)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    bad = []
    for folder in ("qbdsl", "backends", "problems"):
        for path in (root / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                bad += [f"{path.relative_to(root)}:{node.lineno}: {n}" for n in names
                        if n.split(".")[0] in ("backends", "problems")]  # fmt: skip
    assert bad == []
