"""Fixtures of the pytest suite of the `rh` package, run against the built wheel in a fresh virtualenv.

Every test gets its own HOME (and no RH_CONFIG_DIR), so the real files rh writes are inspected byte for byte.
The real CLI binary is `$RH_TEST_RH_BIN`, else the workspace's `target/debug/rh`.
"""

import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]


# The variables a test keeps; everything else (AWS_*, RH_*, HF_TOKEN, XDG_* …) would point rh elsewhere.
KEEP_ENV = {"PATH", "LANG", "LC_ALL", "TMPDIR", "RH_TEST_RH_BIN", "VIRTUAL_ENV", "PYTHONPATH"}


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh HOME for rh, the package and the CLI alike, in an environment reduced to an allow-list."""
    h = tmp_path / "home"
    h.mkdir()
    for var in list(os.environ):
        if var not in KEEP_ENV and not var.startswith("PYTEST_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("HOME", str(h))
    return h


def rh_bin() -> str:
    path = os.environ.get("RH_TEST_RH_BIN") or str(REPO / "target" / "debug" / "rh")
    if not os.access(path, os.X_OK):
        pytest.fail(f"the rh binary is missing: {path} (cargo build -p rh-cli --bin rh)")
    return path


@pytest.fixture
def cli():
    """Runs the real `rh` binary with the test's environment; returns the CompletedProcess."""

    def run(*args, home=None, check=True):
        env = dict(os.environ)
        if home is not None:
            env["HOME"] = str(home)
        proc = subprocess.run([rh_bin(), *args], env=env, capture_output=True, text=True)
        if check and proc.returncode != 0:
            raise AssertionError(f"rh {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
        return proc

    return run


def snapshot(root: pathlib.Path) -> dict:
    """Every file under root with its bytes, to show that nothing was written."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
