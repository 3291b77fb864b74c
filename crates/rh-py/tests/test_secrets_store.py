"""`rh.Secrets` and the secret store: put, get, download_into_env, upload, delete_from_vault, pull, against the
real OpenBao (directly, VAULT_ADDR/VAULT_TOKEN) and through a real rh-server; interop with the CLI; bad input."""

import json
import logging
import os
import stat
import threading

import pytest

import rh
from conftest import free_port, snapshot, vault_read, vault_write

AWS = {"access_key": "AKIAPYTESTKEY", "secret_key": "py-test-secret-value"}
AWS_FILE = b"[default]\naws_access_key_id = AKIAPYTESTKEY\naws_secret_access_key = py-test-secret-value\n"


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


class Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def rh_log():
    handler = Records()
    logger = logging.getLogger("rh")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


def test_put_stores_the_values_in_vault_and_get_reads_them_back(vault, home):
    version = rh.Secrets.put("lambda", secret={"api_key": "lmb-vault-key"})
    assert version == 1
    assert vault_read(vault, "lambda") == {"api_key": "lmb-vault-key"}
    assert rh.Secrets.get("lambda") == {"api_key": "lmb-vault-key"}
    assert rh.Secrets.put("lambda", secret={"api_key": "lmb-second"}) == 2
    assert rh.Secrets.get("lambda") == {"api_key": "lmb-second"}
    # Nothing local is written by put or get.
    assert snapshot(home) == {}


def test_put_from_env_and_from_a_file_path(vault, home, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", AWS["access_key"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS["secret_key"])
    rh.Secrets.put("aws", from_env=True)
    assert vault_read(vault, "aws") == AWS
    (home / "other").mkdir()
    (home / "other" / "creds").write_bytes(b"[default]\naws_access_key_id = FROMFILE\naws_secret_access_key = ff\n")
    rh.Secrets.put("aws", file_path="~/other/creds")
    assert vault_read(vault, "aws") == {"access_key": "FROMFILE", "secret_key": "ff"}


def test_put_of_a_custom_provider_and_its_local_files(vault, home):
    rh.Secrets.put("snowflake", secret={"user": "u", "password": "pw-custom"})
    assert vault_read(vault, "snowflake") == {"user": "u", "password": "pw-custom"}
    # Without values, put reads the provider's configured files (here those save wrote).
    rh.Secrets.save_provider_secrets({"aws": AWS})
    rh.Secrets.put("aws")
    assert vault_read(vault, "aws") == AWS


def test_get_save_to_env_writes_the_providers_file(vault, home):
    vault_write(vault, "azure", {"subscription_id": "12345"})
    assert rh.Secrets.get("azure", save_to_env=True) == {"subscription_id": "12345"}
    path = home / ".azure" / "clouds.config"
    assert path.read_bytes() == b"[AzureCloud]\nsubscription = 12345\n"
    assert mode(path) == 0o600


def test_save_provider_secrets_none_pulls_from_vault_like_the_cli(vault, home, cli, tmp_path):
    vault_write(vault, "azure", {"subscription_id": "12345"})
    vault_write(vault, "aws", AWS)
    assert rh.Secrets.save_provider_secrets() == ["aws", "azure"]
    assert (home / ".aws" / "credentials").read_bytes() == AWS_FILE
    assert (home / ".azure" / "clouds.config").read_bytes() == b"[AzureCloud]\nsubscription = 12345\n"
    from_python = snapshot(home)
    # The CLI's `rh secrets pull` into another home writes the same bytes.
    other = tmp_path / "cli-home"
    other.mkdir()
    cli("secrets", "pull", home=other)
    assert snapshot(other) == {k: v.replace(str(home).encode(), str(other).encode()) for k, v in from_python.items()}
    # `providers` keeps only those; a second pull changes nothing.
    assert rh.Secrets.save_provider_secrets(providers=["azure"]) == []


def test_download_into_env_saves_files_and_exports_env_vars(vault, home, monkeypatch):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AZURE_SUBSCRIPTION_ID"):
        monkeypatch.delenv(var, raising=False)
    vault_write(vault, "aws", AWS)
    vault_write(vault, "lambda", {"api_key": "lmb-env"})
    assert rh.Secrets.download_into_env() is None
    assert os.environ["AWS_ACCESS_KEY_ID"] == AWS["access_key"]
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == AWS["secret_key"]
    assert (home / ".aws" / "credentials").read_bytes() == AWS_FILE
    assert (home / ".lambda_cloud" / "lambda_keys").read_bytes() == b"api_key = lmb-env\n"


def test_download_into_env_without_saving_returns_the_values_and_writes_nothing(vault, home, monkeypatch):
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    vault_write(vault, "azure", {"subscription_id": "777"})
    vault_write(vault, "snowflake", {"password": "pw"})
    got = rh.Secrets.download_into_env(providers=["azure", "snowflake"], save_locally=False)
    assert got == {"azure": {"subscription_id": "777"}, "snowflake": {"password": "pw"}}
    assert os.environ["AZURE_SUBSCRIPTION_ID"] == "777"
    assert snapshot(home) == {}


def test_upload_pushes_local_secrets_and_skips_unchanged(vault, home):
    rh.Secrets.save_provider_secrets({"aws": AWS, "lambda": {"api_key": "lmb-up"}})
    assert rh.Secrets.upload(providers=["aws", "lambda"]) == ["aws", "lambda"]
    assert vault_read(vault, "aws") == AWS
    assert vault_read(vault, "lambda") == {"api_key": "lmb-up"}
    assert rh.Secrets.upload(providers=["aws"]) == []


def test_delete_from_vault_keeps_the_local_files(vault, home):
    rh.Secrets.save_provider_secrets({"lambda": {"api_key": "lmb-del"}})
    rh.Secrets.put("lambda")
    before = snapshot(home)
    assert rh.Secrets.delete_from_vault(["lambda"]) == ["lambda"]
    assert vault_read(vault, "lambda") is None
    assert snapshot(home) == before
    with pytest.raises(rh.RhKeyError) as err:
        rh.Secrets.get("lambda")
    assert "lambda" in str(err.value)


def test_enabled_providers_match_the_cli_status(home, cli):
    def cli_configured():
        return [s["provider"] for s in json.loads(cli("secrets", "status", "--json").stdout) if s["configured"]]

    assert rh.Secrets.enabled_providers(as_str=True) == cli_configured()
    assert "lambda" not in rh.Secrets.enabled_providers(as_str=True)
    rh.Secrets.save_provider_secrets({"lambda": {"api_key": "k"}, "github": {"token": "ghp_x"}})
    enabled = rh.Secrets.enabled_providers()
    assert rh.Provider("lambda") in enabled and rh.Provider("github") in enabled
    assert [p.name for p in enabled] == cli_configured()


def test_load_provider_secrets_reads_files_or_env(home, monkeypatch):
    rh.Secrets.save_provider_secrets({"aws": AWS, "lambda": {"api_key": "lmb-load"}})
    loaded = rh.Secrets.load_provider_secrets(providers=["aws", "lambda"])
    assert loaded == {"aws": AWS, "lambda": {"api_key": "lmb-load"}}
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "999")
    assert rh.Secrets.load_provider_secrets(from_env=True, providers=["azure"]) == {"azure": {"subscription_id": "999"}}
    with pytest.raises(rh.RhValueError) as err:
        rh.Secrets.load_provider_secrets(providers=["nope"])
    assert "nope" in str(err.value)


def test_python_put_is_what_the_cli_gets_and_cli_push_is_what_python_gets(vault, home, cli):
    rh.Secrets.put("lambda", secret={"api_key": "lmb-interop"})
    shown = json.loads(cli("secrets", "get", "lambda", "--reveal", "--json").stdout)
    assert shown["values"] == {"api_key": "lmb-interop"}
    cli("secrets", "save", "aws", f"access_key={AWS['access_key']}", f"secret_key={AWS['secret_key']}")
    cli("secrets", "push", "aws", "--yes")
    assert rh.Secrets.get("aws") == AWS
    # What Python pulls into files is what `rh secrets show` reads.
    rh.Secrets.get("lambda", save_to_env=True)
    assert "lmb-interop" in cli("secrets", "show", "lambda", "--reveal").stdout


def test_through_rh_server_when_logged_in(rh_server, home, monkeypatch):
    user, token = rh_server.create_user()
    monkeypatch.setenv("RH_TOKEN", token)
    monkeypatch.setenv("RH_API_SERVER_URL", rh_server.url)
    rh.Secrets.put("lambda", secret={"api_key": "lmb-server"})
    # rh-server keeps it in Vault under the account's own path.
    assert vault_read(user, "lambda") == {"api_key": "lmb-server"}
    assert rh.Secrets.get("lambda") == {"api_key": "lmb-server"}
    assert rh.Secrets.save_provider_secrets() == ["lambda"]
    assert (home / ".lambda_cloud" / "lambda_keys").read_bytes() == b"api_key = lmb-server\n"


# ---- Bad input: the right exception, a message naming the provider or file, nothing changed.


def test_get_of_a_provider_not_in_the_store_is_a_key_error(vault, home):
    with pytest.raises(rh.RhKeyError) as err:
        rh.Secrets.get("github")
    assert isinstance(err.value, KeyError)
    assert "github" in str(err.value) and f"rh/{vault}/github" in str(err.value)
    assert snapshot(home) == {}


def test_put_with_a_missing_key_is_a_value_error_and_vault_is_untouched(vault, home):
    with pytest.raises(rh.RhValueError) as err:
        rh.Secrets.put("aws", secret={"access_key": "AKIA-never-shown"})
    assert "secret_key" in str(err.value)
    assert "AKIA-never-shown" not in str(err.value)
    assert vault_read(vault, "aws") is None


def test_an_invalid_provider_name_is_a_value_error(vault, home):
    with pytest.raises(rh.RhValueError) as err:
        rh.Secrets.put("../escape", secret={"k": "v"})
    assert "../escape" in str(err.value)
    with pytest.raises(rh.RhValueError):
        rh.Secrets.get("bad/name")


def test_put_from_env_with_the_vars_unset_is_a_key_error_naming_them(vault, home):
    with pytest.raises(rh.RhKeyError) as err:
        rh.Secrets.put("aws", from_env=True)
    assert "AWS_ACCESS_KEY_ID" in str(err.value)
    assert vault_read(vault, "aws") is None


def test_a_malformed_file_path_is_a_value_error_naming_it(vault, home):
    bad = home / "bad.ini"
    bad.write_bytes(b"not ini [default\n")
    with pytest.raises(rh.RhValueError) as err:
        rh.Secrets.put("aws", file_path=str(bad))
    assert str(bad) in str(err.value)
    assert vault_read(vault, "aws") is None
    assert bad.read_bytes() == b"not ini [default\n"


def test_a_pull_into_a_malformed_local_file_changes_nothing(vault, home):
    vault_write(vault, "aws", AWS)
    vault_write(vault, "lambda", {"api_key": "lmb"})
    (home / ".aws").mkdir()
    creds = home / ".aws" / "credentials"
    creds.write_bytes(b"garbage [default\n")
    before = snapshot(home)
    with pytest.raises(rh.RhValueError) as err:
        rh.Secrets.save_provider_secrets()
    assert str(creds) in str(err.value)
    assert snapshot(home) == before


def test_vault_down_is_a_connection_error_and_writes_nothing(home, monkeypatch):
    monkeypatch.setenv("VAULT_ADDR", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("VAULT_TOKEN", "any-token-value")
    for call in (
        lambda: rh.Secrets.get("aws"),
        lambda: rh.Secrets.put("lambda", secret={"api_key": "lmb-down"}),
        lambda: rh.Secrets.save_provider_secrets(),
        lambda: rh.Secrets.download_into_env(),
    ):
        with pytest.raises(rh.RhConnectionError) as err:
            call()
        assert isinstance(err.value, ConnectionError)
        assert "127.0.0.1" in str(err.value)
        assert "any-token-value" not in str(err.value) and "lmb-down" not in str(err.value)
    assert snapshot(home) == {}


def test_rh_server_down_is_a_connection_error(home, monkeypatch):
    monkeypatch.setenv("RH_TOKEN", "rh_some-token")
    monkeypatch.setenv("RH_API_SERVER_URL", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(rh.RhConnectionError) as err:
        rh.Secrets.put("lambda", secret={"api_key": "lmb-x"})
    assert "127.0.0.1" in str(err.value) and "rh_some-token" not in str(err.value)
    assert snapshot(home) == {}


def test_a_refused_vault_token_is_a_permission_error(vault, home, monkeypatch):
    monkeypatch.setenv("VAULT_TOKEN", "not-a-real-vault-token")
    with pytest.raises(rh.RhPermissionError) as err:
        rh.Secrets.get("aws")
    assert "not-a-real-vault-token" not in str(err.value)


def test_no_secret_value_in_any_log_record(vault, home, rh_log, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    rh.Secrets.put("aws", secret=AWS)
    rh.Secrets.get("aws", save_to_env=True)
    rh.Secrets.download_into_env()
    rh.Secrets.upload(["aws"])
    rh.Secrets.delete_from_vault(["aws"])
    messages = [r.getMessage() for r in rh_log]
    assert any("Uploaded aws secrets" in m for m in messages), messages
    for m in messages:
        assert AWS["secret_key"] not in m and AWS["access_key"] not in m, m


def test_eight_threads_saving_and_getting_at_once(vault, home):
    errors = []
    got = {}
    barrier = threading.Barrier(8)

    def work(i):
        try:
            barrier.wait()
            rh.Secrets.put(f"team{i}", secret={"token": f"t-{i}"})
            rh.Secrets.save_provider_secrets({"lambda": {"api_key": f"lmb-{i}"}})
            got[i] = rh.Secrets.get(f"team{i}")
            rh.configs.set(f"thread_{i}", i)
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert got == {i: {"token": f"t-{i}"} for i in range(8)}
    for i in range(8):
        assert vault_read(vault, f"team{i}") == {"token": f"t-{i}"}
        assert rh.configs.get(f"thread_{i}") == i
    assert (home / ".lambda_cloud" / "lambda_keys").read_bytes() in {f"api_key = lmb-{i}\n".encode() for i in range(8)}
    assert rh.configs.get("secrets.lambda") == str(home / ".lambda_cloud" / "lambda_keys")
