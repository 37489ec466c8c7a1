"""What a regular (non-editable) install ships is every package and data file in the checkout.

`make test` installs qbdsl editable, so the tests import from the checkout and would not notice
a package or data file that the wheel leaves out. This test asks setuptools itself, with the
`[tool.setuptools]` table of pyproject.toml, which files its build would put in the wheel, and
compares that with the files on disk under the package folders; it builds nothing and writes
nothing. `.ci/run` then builds the real wheel and smoke-tests it in a fresh venv.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Files that are never meant to ship (caches, editor and OS droppings).
SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = (".pyc", ".pyo", "~", ".swp", ".orig", ".rej")


def _setuptools_config() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["setuptools"]


def _package_dir() -> dict[str, str]:
    return _setuptools_config()["package-dir"]


def _files_on_disk() -> dict[str, Path]:
    """Every file under the mapped package folders, keyed by its path inside the wheel."""
    files: dict[str, Path] = {}
    for package, folder in _package_dir().items():
        base = ROOT / folder
        prefix = package.replace(".", "/")
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
            for name in filenames:
                if name.startswith(".") or name.endswith(SKIP_SUFFIXES):
                    continue
                path = Path(dirpath) / name
                files[f"{prefix}/{path.relative_to(base).as_posix()}"] = path
    return files


def _shipped(monkeypatch) -> tuple[list[str], set[str]]:
    """(packages, paths inside the wheel) as setuptools' discovery and build_py compute them."""
    setuptools = pytest.importorskip("setuptools")
    from setuptools.dist import Distribution

    cfg = _setuptools_config()
    monkeypatch.chdir(ROOT)  # setuptools resolves package-dir against the working directory
    package_dir = dict(cfg["package-dir"])
    attrs = {}
    packages = cfg.get("packages")
    if isinstance(packages, list):  # a hand-written list
        attrs["packages"] = packages
    elif isinstance(packages, dict):  # [tool.setuptools.packages.find]
        from setuptools.config.expand import find_packages

        attrs["packages"] = find_packages(**packages["find"], fill_package_dir=package_dir, root_dir=ROOT)
    # else: no `packages` key, setuptools discovers them from package-dir (what we use)
    dist = Distribution(
        {
            **attrs,
            "name": "qbdsl",
            "package_dir": package_dir,
            "package_data": cfg.get("package-data", {}),
            # Only package-data counts here: files the manifest would add (include-package-data with a
            # MANIFEST.in or a VCS plugin) need egg_info, which writes into the checkout. There is no
            # MANIFEST.in, and pyproject.toml sets include-package-data = false to say so.
            "include_package_data": False,
            "script_name": str(ROOT / "setup.py"),  # distutils wants one; there is no setup.py
        }
    )
    dist.set_defaults(name=False)  # setuptools' automatic discovery, as in a build
    assert dist.packages, f"setuptools {setuptools.__version__} discovered no packages"
    build_py = dist.get_command_obj("build_py")
    build_py.ensure_finalized()
    build_lib = Path(build_py.build_lib)
    outputs = {Path(p).relative_to(build_lib).as_posix() for p in build_py.get_outputs(include_bytecode=0)}
    return dist.packages, outputs


def test_every_package_folder_is_a_discovered_package(monkeypatch):
    packages, _ = _shipped(monkeypatch)
    # Every folder holding a file (modules, or data only: a namespace package) is a package.
    expected = {inner.rpartition("/")[0].replace("/", ".") for inner in _files_on_disk()}
    missing = sorted(expected - set(packages))
    assert not missing, f"package folders the wheel would not contain: {missing}"
    for name in ("qbdsl.qip", "qbdsl.orchestrate", "qbdsl.problems", "qbdsl.backends", "qbdsl.problems.data"):
        assert name in packages


def test_wheel_would_contain_every_file_on_disk(monkeypatch):
    _, shipped = _shipped(monkeypatch)
    on_disk = _files_on_disk()
    missing = sorted(set(on_disk) - shipped)
    assert not missing, (
        "files under the package folders that a non-editable install would leave out "
        f"(add them to [tool.setuptools.package-data] in pyproject.toml): {missing}"
    )
    stray = sorted(shipped - set(on_disk))
    assert not stray, f"the wheel would contain files that are not in the checkout: {stray}"


def test_shipped_data_covers_the_datasets(monkeypatch):
    _, shipped = _shipped(monkeypatch)
    data = ROOT / "problems" / "data"
    datasets = sorted(p for p in data.iterdir() if p.is_dir() and p.name not in SKIP_DIRS)
    assert {p.name for p in datasets} >= {"qoblib", "repetita", "sndlib"}
    for folder in datasets:
        names = {p.name for p in folder.iterdir() if p.is_file()}
        assert any(n.startswith(("README", "SOURCE")) for n in names), folder
        for name in names:
            assert f"qbdsl/problems/data/{folder.name}/{name}" in shipped, f"{folder.name}/{name} not shipped"
