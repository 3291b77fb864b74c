"""`rh.configs`: real bytes and modes of ~/.rh/config.yaml, interop with the `rh config` CLI, bad input."""

import os
import stat
import threading

import pytest

import rh
from conftest import free_port, snapshot


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_set_writes_the_file_0600_in_a_0700_dir(home):
    rh.configs.set("default_autostop", 30)
    path = home / ".rh" / "config.yaml"
    assert path.read_bytes() == b"default_autostop: 30\n"
    assert mode(path) == 0o600
    assert mode(home / ".rh") == 0o700
    assert rh.configs.path == str(path)


def test_get_returns_typed_values_defaults_and_the_fallback(home):
    rh.configs.set("use_spot", True)
    rh.configs.set("default_provider", "aws")
    rh.configs.set("ratio", 1.5)
    rh.configs.set("regions", ["us-east-1", "eu-west-1"])
    rh.configs.set("nested", {"a": 1, "b": None})
    assert rh.configs.get("use_spot") is True
    assert rh.configs.get("default_provider") == "aws"
    assert rh.configs.get("ratio") == 1.5
    assert rh.configs.get("regions") == ["us-east-1", "eu-west-1"]
    assert rh.configs.get("nested") == {"a": 1, "b": None}
    assert rh.configs.get("nested.a") == 1
    # Built-in defaults when not stored; the fallback only for keys with no default.
    assert rh.configs.get("default_autostop") == -1
    assert rh.configs.get("dashboard_url") == "http://127.0.0.1:8000"
    assert rh.configs.get("no_such_key") is None
    assert rh.configs.get("no_such_key", "fallback") == "fallback"


def test_a_stored_falsy_value_is_returned_not_the_default(home):
    # Runhouse replaced stored 0/False with the base default; rh returns what is stored.
    rh.configs.set("default_autostop", 0)
    rh.configs.set("use_local_configs", False)
    assert rh.configs.get("default_autostop") == 0
    assert rh.configs.get("use_local_configs") is False


def test_a_string_stays_a_string(home):
    rh.configs.set("default_autostop", "30")
    assert rh.configs.get("default_autostop") == "30"
    assert (home / ".rh" / "config.yaml").read_bytes() == b"default_autostop: '30'\n"


def test_rh_config_dir_is_honoured(home, tmp_path, monkeypatch):
    d = tmp_path / "elsewhere"
    monkeypatch.setenv("RH_CONFIG_DIR", str(d))
    rh.configs.set("use_spot", True)
    assert (d / "config.yaml").read_bytes() == b"use_spot: true\n"
    assert not (home / ".rh").exists()


def test_delete_removes_the_key_and_a_missing_key_writes_nothing(home):
    rh.configs.delete("use_spot")
    assert not (home / ".rh").exists()
    rh.configs.set("use_spot", True)
    rh.configs.set("default_provider", "gcp")
    rh.configs.delete("use_spot")
    assert (home / ".rh" / "config.yaml").read_bytes() == b"default_provider: gcp\n"
    assert rh.configs.get("use_spot") is False  # the default again


def test_python_set_is_read_by_the_cli_byte_identical(home, tmp_path, cli):
    rh.configs.set("default_autostop", 30)
    rh.configs.set("default_provider", "aws")
    assert cli("config", "get", "default_autostop").stdout == "30\n"
    assert cli("config", "get", "default_provider").stdout == "aws\n"
    other = tmp_path / "other"
    other.mkdir()
    cli("config", "set", "default_autostop", "30", home=other)
    cli("config", "set", "default_provider", "aws", home=other)
    assert (home / ".rh" / "config.yaml").read_bytes() == (other / ".rh" / "config.yaml").read_bytes()


def test_cli_set_is_read_by_python_and_python_keeps_the_cli_bytes(home, tmp_path, cli):
    cli("config", "set", "use_spot", "true")
    cli("config", "set", "default_autostop", "-1")
    cli("config", "set", "tags", "[a, b]")
    assert rh.configs.get("use_spot") is True
    assert rh.configs.get("default_autostop") == -1
    assert rh.configs.get("tags") == ["a", "b"]
    rh.configs.set("default_folder", "/team")
    other = tmp_path / "other"
    other.mkdir()
    for args in (("use_spot", "true"), ("default_autostop", "-1"), ("tags", "[a, b]"), ("default_folder", "/team")):
        cli("config", "set", *args, home=other)
    assert (home / ".rh" / "config.yaml").read_bytes() == (other / ".rh" / "config.yaml").read_bytes()
    cli("config", "unset", "tags")
    assert rh.configs.get("tags") is None


def test_a_malformed_config_yaml_is_a_value_error_naming_the_file_and_is_left_alone(home):
    d = home / ".rh"
    d.mkdir()
    path = d / "config.yaml"
    path.write_bytes(b"token: abc-secret-value\nuse_spot: [unclosed\n")
    for call in (lambda: rh.configs.get("use_spot"), lambda: rh.configs.set("use_spot", True), lambda: rh.configs.delete("use_spot")):
        with pytest.raises(rh.RhValueError) as err:
            call()
        assert isinstance(err.value, ValueError) and isinstance(err.value, rh.RhError)
        assert str(path) in str(err.value)
        assert "abc-secret-value" not in str(err.value)
        assert "\n" not in str(err.value)
    assert path.read_bytes() == b"token: abc-secret-value\nuse_spot: [unclosed\n"


def test_a_config_yaml_that_is_not_a_mapping_is_a_value_error(home):
    (home / ".rh").mkdir()
    path = home / ".rh" / "config.yaml"
    path.write_bytes(b"- a\n- b\n")
    with pytest.raises(ValueError, match="must hold a YAML mapping"):
        rh.configs.set("use_spot", True)
    assert path.read_bytes() == b"- a\n- b\n"


@pytest.mark.parametrize("key", ["", "a..b", ".a"])
def test_an_invalid_key_is_a_value_error_and_writes_nothing(home, key):
    with pytest.raises(rh.RhValueError, match="invalid config key"):
        rh.configs.set(key, 1)
    assert snapshot(home) == {}


def test_a_value_yaml_cannot_hold_is_a_value_error_and_writes_nothing(home):
    with pytest.raises(rh.RhValueError, match="type `object`"):
        rh.configs.set("thing", object())
    with pytest.raises(rh.RhValueError, match="map keys"):
        rh.configs.set("thing", {(1, 2): "x"})
    assert snapshot(home) == {}


def test_eight_threads_setting_and_getting_lose_no_update(home):
    errors = []

    def work(n):
        try:
            for i in range(15):
                rh.configs.set(f"thread_{n}", i)
                assert rh.configs.get(f"thread_{n}") == i
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {n: rh.configs.get(f"thread_{n}") for n in range(8)} == {n: 14 for n in range(8)}
    assert mode(home / ".rh" / "config.yaml") == 0o600


def test_a_forked_child_uses_the_package_after_the_parent(home):
    rh.configs.set("parent", 1)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            rh.configs.set("child", rh.configs.get("parent") + 1)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert rh.configs.get("child") == 2
    assert (home / ".rh" / "config.yaml").read_bytes() == b"parent: 1\nchild: 2\n"


# ---- upload_defaults / download_defaults against a real rh-server.


@pytest.fixture
def logged_in(rh_server, home, monkeypatch):
    """A fresh account on the suite's rh-server, logged in from this home; yields (name, token)."""
    monkeypatch.setenv("RH_API_SERVER_URL", rh_server.url)
    user, token = rh_server.create_user()
    rh.login(token=token)
    return user, token


def test_upload_then_download_defaults_round_trip_typed(logged_in, home):
    user, _ = logged_in
    rh.configs.set("default_autostop", 30)
    rh.configs.set("use_spot", True)
    rh.configs.set("default_provider", "aws")
    # The three, and the default_folder login stored.
    assert rh.configs.upload_defaults() == 4
    for key in ("default_autostop", "use_spot", "default_provider"):
        rh.configs.delete(key)
    assert rh.configs.download_defaults() == 4
    assert rh.configs.get("default_autostop") == 30
    assert rh.configs.get("use_spot") is True
    assert rh.configs.get("default_provider") == "aws"
    assert rh.configs.get("username") == user


def test_upload_defaults_with_a_map_leaves_the_file_alone_and_drops_machine_keys(logged_in, home, cli):
    before = (home / ".rh" / "config.yaml").read_bytes()
    sent = rh.configs.upload_defaults({"default_autostop": 5, "token": "never-sent", "api_server_url": "http://x"})
    assert sent == 1
    assert (home / ".rh" / "config.yaml").read_bytes() == before
    # What the server holds is what `rh config download` merges.
    cli("config", "download")
    assert rh.configs.get("default_autostop") == 5
    assert rh.configs.get("api_server_url") != "http://x"


def test_python_upload_is_what_the_cli_downloads_byte_for_byte(logged_in, home, cli, tmp_path):
    rh.configs.set("default_autostop", 45)
    rh.configs.upload_defaults()
    rh.configs.delete("default_autostop")
    cli("config", "download")
    by_cli = (home / ".rh" / "config.yaml").read_bytes()
    rh.configs.delete("default_autostop")
    rh.configs.download_defaults()
    assert (home / ".rh" / "config.yaml").read_bytes() == by_cli


def test_upload_and_download_defaults_need_a_login(home):
    rh.configs.set("default_autostop", 30)
    before = snapshot(home)
    with pytest.raises(rh.RhPermissionError) as err:
        rh.configs.upload_defaults()
    assert "not logged in" in str(err.value)
    with pytest.raises(rh.RhPermissionError):
        rh.configs.download_defaults()
    assert snapshot(home) == before


def test_download_defaults_with_the_server_down_is_a_connection_error_and_changes_nothing(logged_in, home, monkeypatch):
    monkeypatch.setenv("RH_API_SERVER_URL", f"http://127.0.0.1:{free_port()}")
    before = snapshot(home)
    with pytest.raises(rh.RhConnectionError):
        rh.configs.download_defaults()
    with pytest.raises(rh.RhConnectionError):
        rh.configs.upload_defaults()
    assert snapshot(home) == before
