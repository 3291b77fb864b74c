"""`rh.secret` / `rh.provider_secret` (Runhouse 0.0.14 semantics, spec §1.11) over rh-ops' named secrets:
real files in a fresh HOME, checked against the CLI."""

import json
import os
import stat

import pytest

import rh
from conftest import snapshot

KEY = "sk-SENTINEL-openai-0123456789"


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_in_memory_secret_saves_to_a_private_runhouse_config(home, cli):
    s = rh.secret(values={"DATABASE_URL": "postgres://db-SENTINEL"})
    assert s.name is None and s.provider is None
    assert "SENTINEL" not in repr(s)
    s.save("~/db")
    assert s.name == "~/db"
    path = home / ".rh" / "secrets" / "db.json"
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    doc = json.loads(path.read_text())
    assert doc["resource_type"] == "secret" and doc["resource_subtype"] == "Secret"
    assert doc["values"] == {"DATABASE_URL": "postgres://db-SENTINEL"}
    # The CLI sees the same secret.
    assert cli("secrets", "show", "~/db", "--reveal").stdout == "DATABASE_URL: postgres://db-SENTINEL\n"
    assert rh.secret(name="~/db").values == {"DATABASE_URL": "postgres://db-SENTINEL"}
    assert rh.Secret.from_name("db").name == "~/db"
    rh.secret(name="~/db").delete()
    assert not path.exists()


def test_no_values_and_no_name_is_runhouses_value_error(home):
    with pytest.raises(ValueError, match=r"^values must be provided for an in-memory secret\.$"):
        rh.secret()


def test_unknown_name_is_an_error_naming_it(home):
    with pytest.raises(rh.RhKeyError, match="no secret named `~/nope`"):
        rh.secret(name="~/nope")


def test_two_of_values_path_env_vars_is_an_error_before_anything_is_written(home, tmp_path):
    f = tmp_path / "creds"
    f.write_text("x")
    before = snapshot(home)
    for kwargs in (
        {"values": {"api_key": KEY}, "path": str(f)},
        {"values": {"api_key": KEY}, "env_vars": {"api_key": "OPENAI_API_KEY"}},
        {"path": str(f), "env_vars": {"api_key": "OPENAI_API_KEY"}},
    ):
        with pytest.raises(ValueError, match=r"^Only one of values, path, and env_vars should be set\.$"):
            rh.provider_secret("openai", **kwargs)
    assert snapshot(home) == before


def test_builtin_provider_detects_its_default_file_then_env(home, monkeypatch):
    with pytest.raises(ValueError) as err:
        rh.provider_secret("aws")
    assert str(err.value) == (
        "Secrets values not provided and could not be extracted from default file (~/.aws/credentials) or env "
        "vars ({'access_key': 'AWS_ACCESS_KEY_ID', 'secret_key': 'AWS_SECRET_ACCESS_KEY'}) locations."
    )
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    s = rh.provider_secret("openai")
    assert isinstance(s, rh.ProviderSecret) and s.provider == "openai"
    assert s.values == {"api_key": KEY}
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text(
        "[default]\naws_access_key_id = AKIASENTINEL00000001\naws_secret_access_key = s-SENTINEL\n"
    )
    assert rh.provider_secret("aws").values == {"access_key": "AKIASENTINEL00000001", "secret_key": "s-SENTINEL"}
    monkeypatch.setenv("MY_TOKEN", "tok-SENTINEL")
    assert rh.provider_secret("custom", env_vars={"token": "MY_TOKEN"}).values == {"token": "tok-SENTINEL"}


def test_provider_secret_saves_and_writes_the_providers_files(home, cli):
    s = rh.provider_secret("aws", values={"access_key": "AKIASENTINEL00000002", "secret_key": "s-SENTINEL-2"})
    s.save("~/aws-ci")
    assert json.loads((home / ".rh" / "secrets" / "aws-ci.json").read_text())["resource_subtype"] == "AWSSecret"
    written = rh.secret(name="~/aws-ci").write()
    assert written == [str(home / ".aws" / "credentials")]
    assert "AKIASENTINEL00000002" in (home / ".aws" / "credentials").read_text()
    # A custom provider with nothing given loads the saved secret of that name.
    rh.provider_secret("mydb", values={"password": "pw-SENTINEL"}).save()
    again = rh.provider_secret("mydb")
    assert again.name == "~/mydb" and again.values == {"password": "pw-SENTINEL"}
    log = (home / ".rh" / "audit.log").read_bytes()
    assert b"SENTINEL" not in log
    assert [json.loads(l)["source"] for l in log.splitlines()] == ["api", "local ~/aws-ci", "api"]
