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


# ==== rh_server, vault (py-secrets): real rh-server and OpenBao for the suite; other test files reuse them ====
import json as _json
import socket as _socket
import time as _time
import urllib.error as _urlerror
import urllib.request as _urlrequest
import uuid as _uuid

# Read at import, before the `home` fixture drops them from the environment.
SERVICE_ENV = {k: os.environ[k] for k in ("VAULT_ADDR", "VAULT_TOKEN") if os.environ.get(k)}


def free_port() -> int:
    """A loopback port nothing listens on (closed again at once)."""
    with _socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique_name(prefix: str = "py") -> str:
    """A fresh account / Vault user name, so tests never share a path in the shared OpenBao."""
    return f"{prefix}-{_uuid.uuid4().hex[:12]}"


def require_vault() -> dict:
    if not SERVICE_ENV.get("VAULT_ADDR") or not SERVICE_ENV.get("VAULT_TOKEN"):
        pytest.fail("VAULT_ADDR and VAULT_TOKEN must point at the test OpenBao (.ci/services.sh)")
    return SERVICE_ENV


def vault_http(method: str, path: str, body=None):
    """A raw Vault HTTP call (`/v1/<path>`) with the service token; returns (status, JSON or None)."""
    env = require_vault()
    data = None if body is None else _json.dumps(body).encode()
    req = _urlrequest.Request(f"{env['VAULT_ADDR']}/v1/{path}", data=data, method=method)
    req.add_header("X-Vault-Token", env["VAULT_TOKEN"])
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with _urlrequest.urlopen(req, timeout=10) as r:
            raw = r.read()
            return r.status, (_json.loads(raw) if raw else None)
    except _urlerror.HTTPError as e:
        return e.code, None


def vault_read(user: str, provider: str):
    """The current values of `secret/rh/<user>/<provider>` as Vault holds them, or None (404)."""
    status, body = vault_http("GET", f"secret/data/rh/{user}/{provider}")
    if status == 404:
        return None
    assert status == 200, status
    return body["data"]["data"]


def vault_write(user: str, provider: str, values: dict) -> None:
    status, _ = vault_http("POST", f"secret/data/rh/{user}/{provider}", {"data": values})
    assert status in (200, 204), status


@pytest.fixture
def vault(home, monkeypatch):
    """Vault directly (VAULT_ADDR/VAULT_TOKEN) as a fresh user (RH_USERNAME): its secrets live at
    secret/rh/<user>/…; yields the user name."""
    env = require_vault()
    user = unique_name()
    monkeypatch.setenv("VAULT_ADDR", env["VAULT_ADDR"])
    monkeypatch.setenv("VAULT_TOKEN", env["VAULT_TOKEN"])
    monkeypatch.setenv("RH_USERNAME", user)
    return user


class RhServer:
    """A real `rh-server serve` on a free loopback port over a temporary SQLite database, proxying secrets
    to the test OpenBao (or to `vault_addr`). `create_user(name)` makes an account and returns its token."""

    def __init__(self, data_dir: pathlib.Path, vault_addr=None):
        self.data_dir = data_dir
        self.vault_addr = vault_addr
        self.bin = os.environ.get("RH_TEST_RH_SERVER_BIN") or str(REPO / "target" / "debug" / "rh-server")
        if not os.access(self.bin, os.X_OK):
            pytest.fail(f"the rh-server binary is missing: {self.bin} (cargo build -p rh-server)")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def create_user(self, name=None, email=None):
        """Creates an account; returns (name, token)."""
        name = name or unique_name("u")
        args = [self.bin, "user", "create", name, "--data-dir", str(self.data_dir)]
        if email:
            args += ["--email", email]
        out = subprocess.run(args, capture_output=True, text=True, env=self._env())
        if out.returncode != 0:
            raise AssertionError(f"rh-server user create failed: {out.stderr}")
        return name, out.stdout.strip()

    def _env(self):
        env = {k: v for k, v in os.environ.items() if k in KEEP_ENV}
        env.update(require_vault())
        if self.vault_addr:
            env["VAULT_ADDR"] = self.vault_addr
        env["HOME"] = str(self.data_dir)
        return env

    def start(self):
        self.proc = subprocess.Popen(
            # The test OpenBao's token is its root token, which serve refuses without this flag.
            [self.bin, "serve", "--bind", f"127.0.0.1:{self.port}", "--data-dir", str(self.data_dir),
             "--allow-root-vault-token"],
            env=self._env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            if self.proc.poll() is not None:
                pytest.fail(f"rh-server exited with {self.proc.returncode} before serving")
            try:
                with _socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                _time.sleep(0.05)
        pytest.fail(f"rh-server did not start on port {self.port}")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None


@pytest.fixture(scope="session")
def rh_server(tmp_path_factory):
    """One real rh-server for the whole run (accounts from `rh_server.create_user()`)."""
    data = tmp_path_factory.mktemp("rh-server")
    server = RhServer(data)
    server.create_user("bootstrap")  # migrates the database before serving
    server.start()
    yield server
    server.stop()


# ==== end of rh_server, vault (py-secrets) ====
