"""Fixtures shared by the resource tests: a git working dir as the current dir, and logging capture."""

import logging
import subprocess

import pytest


@pytest.fixture
def workdir(home, tmp_path, monkeypatch):
    """A fresh git working dir (the local RNS lives in its `rh/`), made the current dir."""
    w = tmp_path / "work"
    w.mkdir()
    subprocess.run(["git", "init", "-q", str(w)], check=True)
    monkeypatch.chdir(w)
    return w


def git_commit(workdir, message="save"):
    env = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "-C", str(workdir), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(workdir), "commit", "-q", "-m", message], check=True, env=env)


class Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def rh_log():
    """The records of the `rh` logger during the test."""
    handler = Records()
    logger = logging.getLogger("rh")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)
