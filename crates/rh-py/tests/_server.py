"""A real `rh-server` for the resource tests: `serve` on a free loopback port with a temp SQLite data dir.

The binary is `$RH_TEST_SERVER_BIN`, else the workspace's `target/debug/rh-server`. Kept small on purpose:
the server prints its URL on its first stdout line, and accounts are made with `rh-server user create`.
"""

import os
import pathlib
import socket
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]


def server_bin() -> str:
    path = os.environ.get("RH_TEST_SERVER_BIN") or str(REPO / "target" / "debug" / "rh-server")
    if not os.access(path, os.X_OK):
        pytest.fail(f"the rh-server binary is missing: {path} (cargo build -p rh-server)")
    return path


class Server:
    def __init__(self, root: pathlib.Path):
        self.root = root
        (root / "home").mkdir(parents=True)
        self.data = root / "data"
        self.env = {"PATH": "/usr/bin:/bin", "HOME": str(root / "home"), "NO_COLOR": "1", "RUST_LOG": "warn"}
        self.proc = subprocess.Popen(
            [server_bin(), "serve", "--bind", "127.0.0.1:0", "--data-dir", str(self.data)],
            env=self.env,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = self.proc.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:"), self.url

    def create_user(self, name: str, email: str = None) -> str:
        """`rh-server user create NAME [--email E]`; returns the token."""
        args = [server_bin(), "user", "create", name, "--data-dir", str(self.data)]
        if email:
            args += ["--email", email]
        out = subprocess.run(args, env=self.env, capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()


@pytest.fixture
def rh_server(tmp_path):
    """A running rh-server, killed after the test."""
    server = Server(tmp_path / "server")
    yield server
    server.stop()


def dead_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
