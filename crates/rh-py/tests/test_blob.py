"""Blobs from Python: bytes on `file` and on the real moto S3, configs in the local RNS and rh-server,
checked against the CLI; write-then-save, lazy reads, Ctrl-C mid-write."""

import json
import os
import pickle
import signal
import threading
import uuid

import pytest

import rh
from conftest import snapshot
from _server import rh_server  # noqa: F401 - fixture
from _workdir import rh_log, workdir  # noqa: F401 - fixtures

# The services env, read before the `home` fixture reduces the environment.
S3_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_CA_BUNDLE", "AWS_ALLOW_HTTP")
S3_ENV = {k: os.environ[k] for k in S3_VARS if k in os.environ}


@pytest.fixture
def s3(home, monkeypatch):
    """The services' S3 endpoint and keys; returns a fresh bucket name (created by the first write)."""
    if "AWS_ENDPOINT_URL" not in S3_ENV:
        pytest.fail("the S3 test server is not configured: load the services env (AWS_ENDPOINT_URL)")
    for k, v in S3_ENV.items():
        monkeypatch.setenv(k, v)
    return f"rh-py-{uuid.uuid4().hex[:12]}"


DATA = pickle.dumps(list(range(10)))


def test_a_file_blob_is_written_then_saved_as_the_cli_saves_it(workdir, home, cli):
    b = rh.blob(DATA, name="~/my_blob")
    assert b.system == "file" and b.path.startswith(str(home / ".rh" / "blobs"))
    assert not os.path.exists(b.path) and not rh.exists("~/my_blob")  # nothing until write()
    assert b.write() is b
    with open(b.path, "rb") as f:
        assert f.read() == DATA
    config = (workdir / "rh" / "my_blob" / "config.json").read_bytes()
    assert json.loads(config) == {"name": "~/my_blob", "resource_type": "blob", "resource_subtype": "Blob", "path": b.path, "system": "file"}
    assert b.save() is b and (workdir / "rh" / "my_blob" / "config.json").read_bytes() == config
    # The CLI reads the bytes and shows the config Python stored.
    assert cli("blob", "read", "~/my_blob", "-o", str(workdir / "out")).returncode == 0
    assert (workdir / "out").read_bytes() == DATA
    assert cli("resource", "show", "~/my_blob", "--json").stdout.encode() == config + b"\n"
    # And `rh blob write` of the same name and path writes the same config.json bytes.
    os.remove(workdir / "rh" / "my_blob" / "config.json")
    proc = cli("blob", "write", "~/my_blob", str(workdir / "out"), "--system", "file", "--path", b.path)
    assert proc.returncode == 0
    assert (workdir / "rh" / "my_blob" / "config.json").read_bytes() == config


def test_name_only_loads_and_data_is_read_lazily(workdir, home, cli):
    src = workdir / "src.bin"
    src.write_bytes(b"\x00\x01bytes from the cli")
    cli("blob", "write", "~/from_cli", str(src), "--system", "file", "--path", "data/from_cli.bin")
    b = rh.blob(name="~/from_cli")
    assert type(b) is rh.Blob and b.path == "data/from_cli.bin"
    assert b._data is None  # not read yet
    assert b.data == b"\x00\x01bytes from the cli"
    assert type(rh.load("~/from_cli")) is rh.Blob
    assert b.exists_in_system()
    b.rm()
    assert not (workdir / "data" / "from_cli.bin").exists()
    assert not b.exists_in_system() and rh.exists("~/from_cli")  # rm deletes the bytes only
    with pytest.raises(rh.RhFileNotFoundError):
        b.data


def test_the_tutorials_pickle_round_trip_through_s3(workdir, home, s3, cli):
    rh.configs.set("default_blob_bucket", s3)
    my_resource = rh.blob(DATA, name="~/my_blob", system="s3").write()
    my_resource.save()
    assert my_resource.path.startswith(f"/{s3}/runhouse-blob/") and my_resource.path.endswith("/local/my_blob")
    del my_resource
    loaded = rh.load("~/my_blob")
    assert pickle.loads(loaded.data) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    out = workdir / "out"
    cli("blob", "read", "~/my_blob", "-o", str(out))
    assert out.read_bytes() == DATA
    assert loaded.exists_in_system()
    loaded.rm()
    assert not loaded.exists_in_system()


def test_an_s3_blob_the_cli_wrote_python_reads(workdir, home, s3, cli):
    src = workdir / "src.bin"
    src.write_bytes(os.urandom(3 * 1024 * 1024 + 7))
    cli("blob", "write", "~/cli_blob", str(src), "--system", "s3", "--path", f"{s3}/k/cli.bin", "--create-bucket")
    b = rh.blob(name="~/cli_blob")
    assert b.system == "s3" and b.path == f"/{s3}/k/cli.bin"
    assert b.data == src.read_bytes()


def test_a_remote_s3_blob_is_shared_as_in_the_tutorial(workdir, home, s3, cli, rh_server):
    token = rh_server.create_user("carolineechen")
    cli("login", token, "--api-server-url", rh_server.url)
    rh.configs.set("default_blob_bucket", s3)
    my_resource = rh.blob(DATA, name="my_blob", system="s3").write()
    my_resource.save()
    assert my_resource.rns_address == "/carolineechen/my_blob"
    assert not (workdir / "rh").exists()
    loaded = rh.load("my_blob")
    assert pickle.loads(loaded.data) == list(range(10))
    assert loaded.share(users=["teammate1@email.com"], access_type="write") == ({}, {"teammate1@email.com": "write"})


def test_sharing_a_file_blob_is_refused(workdir, home, cli, rh_server):
    cli("login", rh_server.create_user("alice"), "--api-server-url", rh_server.url)
    b = rh.blob(b"x", name="local_data").write()
    with pytest.raises(rh.RhError, match="Unable to share a local blob"):
        b.share(["bob"])


def test_data_that_is_not_bytes_is_a_value_error_and_writes_nothing(workdir, home):
    before = snapshot(home.parent)
    for data in (None, [1, 2], "text"):
        with pytest.raises(rh.RhValueError, match="must be serialized"):
            rh.blob(data, name="~/b", system="file").write()
    assert snapshot(home.parent) == before


def test_bad_blob_arguments_are_value_errors(workdir, home):
    before = snapshot(home.parent)
    with pytest.raises(rh.RhValueError, match="nosuch"):
        rh.blob(b"x", name="~/b", system="nosuch")
    with pytest.raises(rh.RhValueError, match="default_blob_bucket"):
        rh.blob(b"x", name="~/b", system="s3")
    with pytest.raises(rh.RhValueError, match="needs a name"):
        rh.blob(b"x")
    assert snapshot(home.parent) == before


def test_an_unknown_blob_is_a_file_not_found_error_naming_it(workdir, home):
    with pytest.raises(rh.RhFileNotFoundError, match="~/nope"):
        rh.blob(name="~/nope")


@pytest.fixture
def ctrl_c_raises():
    """SIGINT raises KeyboardInterrupt in this test, as in a terminal, whatever the parent process left:
    a run started in the background of a non-interactive shell inherits SIGINT ignored, and Python then
    installs no handler."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_ctrl_c_during_a_long_file_write_raises_keyboard_interrupt_and_leaves_nothing(workdir, home, ctrl_c_raises):
    dest_dir = workdir / "big"
    data = b"\xab" * (512 * 1024 * 1024)
    staging = dest_dir / ".rh-staging"
    b = rh.blob(data, name="~/big", system="file", path="big/big.bin")
    stop = threading.Event()

    def interrupt_once_writing():
        # Waits for the staged file to start growing, then sends Ctrl-C to this process.
        while not stop.is_set():
            if staging.is_dir() and any(p.stat().st_size > 0 for p in staging.iterdir()):
                os.kill(os.getpid(), signal.SIGINT)
                return
            stop.wait(0.001)

    t = threading.Thread(target=interrupt_once_writing)
    t.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            b.write()
    finally:
        stop.set()
        t.join()
    assert not (dest_dir / "big.bin").exists()
    assert [p for p in dest_dir.rglob("*") if p.is_file()] == []
    assert not rh.exists("~/big") and not (workdir / "rh").exists()


def test_ctrl_c_during_an_s3_write_raises_keyboard_interrupt_and_leaves_no_object(
    workdir, home, s3, cli, ctrl_c_raises
):
    import logging

    class CtrlCWhenWriting(logging.Handler):
        def emit(self, record):
            # Logged on the calling thread just before the upload; Ctrl-C comes from another thread once
            # this handler has returned (a KeyboardInterrupt inside a handler would be swallowed).
            if record.getMessage().startswith("Creating new s3 folder"):
                threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT)).start()

    handler = CtrlCWhenWriting()
    logging.getLogger("rh").addHandler(handler)
    try:
        b = rh.blob(b"\xcd" * (64 * 1024 * 1024), name="~/big", system="s3", path=f"{s3}/big.bin")
        with pytest.raises(KeyboardInterrupt):
            b.write()
    finally:
        logging.getLogger("rh").removeHandler(handler)
    assert not rh.exists("~/big") and not (workdir / "rh").exists()
    listed = cli("blob", "ls", "--system", "s3", "--bucket", s3, check=False)
    assert listed.stdout == ""  # the bucket may exist (created first), but holds no object


def test_an_empty_blob_round_trips_on_file_and_s3(workdir, home, s3):
    rh.configs.set("default_blob_bucket", s3)
    for system in ("file", "s3"):
        rh.blob(b"", name=f"~/empty_{system}", system=system).write()
        loaded = rh.blob(name=f"~/empty_{system}")
        assert loaded.data == b"" and loaded.exists_in_system()


def test_a_bytearray_is_written_as_its_bytes(workdir, home):
    rh.blob(bytearray(b"mutable"), name="~/ba").write()
    assert rh.blob(name="~/ba").data == b"mutable"
