"""`rh.Secrets`: builtin providers, saving provider secrets into real files, checked against the CLI (the
secret-store API is in test_secrets_store.py)."""

import logging
import os
import shutil
import stat

import pytest

import rh
from conftest import snapshot

RUNHOUSE_EIGHT = ["aws", "azure", "gcp", "huggingface", "lambda", "sky", "ssh", "github"]


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_builtin_providers_are_the_clis_with_runhouses_eight_first(cli):
    names = rh.Secrets.builtin_providers(as_str=True)
    assert names == cli("secrets", "providers").stdout.split()
    assert names[: len(RUNHOUSE_EIGHT)] == RUNHOUSE_EIGHT
    assert {"openai", "wandb", "kubernetes", "docker"} <= set(names)
    providers = rh.Secrets.builtin_providers()
    assert [p.name for p in providers] == names
    assert all(isinstance(p, rh.Provider) for p in providers)
    assert [repr(p) for p in providers] == [f"<rh.Provider {n}>" for n in names]


def test_the_tutorials_save_writes_each_providers_file_0600(home):
    saved = rh.Secrets.save_provider_secrets(
        secrets={"aws": {"access_key": "AKIAEXAMPLE", "secret_key": "s3cr3t"}, "lambda": {"api_key": "lmb-key"}}
    )
    assert saved == ["aws", "lambda"]
    creds = home / ".aws" / "credentials"
    assert creds.read_bytes() == b"[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s3cr3t\n"
    assert (home / ".lambda_cloud" / "lambda_keys").read_bytes() == b"api_key = lmb-key\n"
    for p in (creds, home / ".lambda_cloud" / "lambda_keys", home / ".rh" / "config.yaml"):
        assert mode(p) == 0o600
    assert rh.configs.get("secrets") == {"aws": str(creds), "lambda": str(home / ".lambda_cloud" / "lambda_keys")}


def test_azure_as_the_tutorial_shows_it(home):
    rh.Secrets.save_provider_secrets(secrets={"azure": {"subscription_id": "12345"}})
    assert (home / ".azure" / "clouds.config").read_bytes() == b"[AzureCloud]\nsubscription = 12345\n"


def test_python_and_cli_write_byte_identical_files(home, cli):
    secrets = {"aws": {"access_key": "AKIAEXAMPLE", "secret_key": "s3cr3t"}, "github": {"token": "ghp_example"}}
    rh.Secrets.save_provider_secrets(secrets=secrets)
    from_python = snapshot(home)
    shutil.rmtree(home)
    home.mkdir()
    cli("secrets", "save", "aws", "access_key=AKIAEXAMPLE", "secret_key=s3cr3t")
    cli("secrets", "save", "github", "token=ghp_example")
    # The audit trail differs by its times and sources (`python`, `argv`); every other byte is the same.
    from_cli = snapshot(home)
    assert from_cli.pop(".rh/audit.log") and from_python.pop(".rh/audit.log")
    assert from_cli == from_python
    assert set(from_python) == {".aws/credentials", ".config/gh/hosts.yml", ".rh/config.yaml"}


def test_the_cli_reads_what_python_saved(home, cli):
    rh.Secrets.save_provider_secrets(secrets={"lambda": {"api_key": "lmb-key"}})
    status = cli("secrets", "status").stdout
    assert any(line.split()[:2] == ["lambda", "yes"] for line in status.splitlines()), status
    assert "lmb-key" in cli("secrets", "show", "lambda", "--reveal").stdout


def test_an_existing_file_keeps_its_other_sections(home):
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_bytes(b"[work]\naws_access_key_id = W\naws_secret_access_key = X\n")
    rh.Secrets.save_provider_secrets(secrets={"aws": {"access_key": "A", "secret_key": "B"}})
    text = (home / ".aws" / "credentials").read_bytes()
    assert b"[work]\naws_access_key_id = W\naws_secret_access_key = X\n" in text
    assert b"[default]\naws_access_key_id = A\naws_secret_access_key = B\n" in text


def test_providers_keeps_only_those(home):
    saved = rh.Secrets.save_provider_secrets(
        secrets={"aws": {"access_key": "A", "secret_key": "B"}, "azure": {"subscription_id": "1"}},
        providers=["azure"],
    )
    assert saved == ["azure"]
    assert not (home / ".aws").exists()


def test_an_unknown_provider_is_a_value_error_and_nothing_is_written(home):
    with pytest.raises(rh.RhValueError) as err:
        rh.Secrets.save_provider_secrets(
            secrets={"aws": {"access_key": "A", "secret_key": "B"}, "notacloud": {"k": "v"}}
        )
    assert isinstance(err.value, ValueError)
    assert "unknown provider `notacloud`" in str(err.value)
    assert snapshot(home) == {}


def test_a_missing_key_is_a_value_error_naming_it_without_the_value(home):
    with pytest.raises(ValueError) as err:
        rh.Secrets.save_provider_secrets(secrets={"aws": {"access_key": "AKIA-do-not-print"}})
    assert "`secret_key`" in str(err.value)
    assert "AKIA-do-not-print" not in str(err.value)
    assert snapshot(home) == {}


def test_a_non_string_value_is_a_value_error_without_the_value(home):
    with pytest.raises(rh.RhValueError) as err:
        rh.Secrets.save_provider_secrets(secrets={"lambda": {"api_key": 123456789}})
    assert "123456789" not in str(err.value)
    assert snapshot(home) == {}


def test_a_malformed_credentials_file_is_a_value_error_naming_it_and_is_left_alone(home):
    (home / ".aws").mkdir()
    creds = home / ".aws" / "credentials"
    creds.write_bytes(b"this is not ini\n[default\n")
    with pytest.raises(rh.RhValueError) as err:
        rh.Secrets.save_provider_secrets(secrets={"aws": {"access_key": "A", "secret_key": "B"}})
    assert str(creds) in str(err.value)
    assert creds.read_bytes() == b"this is not ini\n[default\n"
    assert not (home / ".rh").exists()


def test_secrets_none_without_a_secret_store_is_an_error_and_writes_nothing(home):
    with pytest.raises(rh.RhError) as err:
        rh.Secrets.save_provider_secrets()
    assert "no secret store configured" in str(err.value)
    assert snapshot(home) == {}


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


def test_saves_are_logged_on_the_rh_logger_without_values(home, rh_log):
    rh.Secrets.save_provider_secrets(secrets={"lambda": {"api_key": "lmb-secret-key"}})
    lines = [(r.levelname, r.getMessage()) for r in rh_log]
    assert ("INFO", f"Saved lambda secrets to {home / '.lambda_cloud' / 'lambda_keys'}") in lines
    assert all("lmb-secret-key" not in m for _, m in lines)


def test_check_enabled_warns_about_a_provider_still_not_configured(home, rh_log):
    rh.Secrets.save_provider_secrets(secrets={"ssh": {"id_x.pub": "ssh-ed25519 AAAA x"}})
    warnings = [r.getMessage() for r in rh_log if r.levelno == logging.WARNING]
    assert any("Received secrets [ssh]" in w for w in warnings), warnings
    rh_log.clear()
    rh.Secrets.save_provider_secrets(secrets={"ssh": {"id_y.pub": "ssh-ed25519 AAAA y"}}, check_enabled=False)
    assert [r for r in rh_log if r.levelno == logging.WARNING] == []
    assert (home / ".ssh" / "id_y.pub").read_bytes() == b"ssh-ed25519 AAAA y\n"


def test_the_exceptions_derive_from_the_builtins():
    assert issubclass(rh.RhValueError, rh.RhError) and issubclass(rh.RhValueError, ValueError)
    assert issubclass(rh.RhFileNotFoundError, FileNotFoundError)
    assert issubclass(rh.RhKeyError, KeyError)
    assert issubclass(rh.RhPermissionError, PermissionError)
    assert issubclass(rh.RhConnectionError, ConnectionError)
    assert str(rh.RhKeyError("config key `x` is not set")) == "config key `x` is not set"
