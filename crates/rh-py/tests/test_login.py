"""`rh.login` / `rh.logout` against a real rh-server (and the OpenBao it proxies to): config.yaml bytes, secrets
moved at login, bad tokens, a server down, interop with `rh login` / `rh logout`."""

import pytest

import rh
from conftest import RhServer, free_port, snapshot, vault_read, vault_write


@pytest.fixture
def account(rh_server, home, monkeypatch):
    """A fresh account on the suite's rh-server, with this home pointed at it; yields (name, token)."""
    monkeypatch.setenv("RH_API_SERVER_URL", rh_server.url)
    return rh_server.create_user()


def config_text(home) -> str:
    return (home / ".rh" / "config.yaml").read_text()


def test_login_stores_token_username_and_folder(account, home):
    user, token = account
    assert rh.login(token=token) is None
    config = config_text(home)
    assert f"token: {token}\n" in config
    assert f"username: {user}\n" in config
    assert f"default_folder: /{user}\n" in config
    assert rh.configs.get("username") == user
    assert rh.login(token=token, ret_token=True) == token


def test_python_login_writes_what_rh_login_yes_writes(account, home, cli, tmp_path):
    user, token = account
    rh.login(token=token)
    from_python = (home / ".rh" / "config.yaml").read_bytes()
    other = tmp_path / "cli-home"
    other.mkdir()
    cli("login", token, "--yes", home=other)
    assert (other / ".rh" / "config.yaml").read_bytes() == from_python
    # And the CLI sees the Python login.
    assert cli("config", "get", "username").stdout.strip() == user


def test_login_upload_secrets_sends_local_secrets_through_the_server(account, home):
    user, token = account
    rh.Secrets.save_provider_secrets({"lambda": {"api_key": "lmb-login-up"}})
    rh.login(token=token, upload_secrets=True)
    assert vault_read(user, "lambda") == {"api_key": "lmb-login-up"}


def test_login_download_secrets_writes_the_providers_files(account, home):
    user, token = account
    vault_write(user, "azure", {"subscription_id": "12345"})
    rh.login(token=token, download_secrets=True)
    assert (home / ".azure" / "clouds.config").read_bytes() == b"[AzureCloud]\nsubscription = 12345\n"


def test_login_download_and_upload_config(account, home):
    user, token = account
    rh.configs.set("default_autostop", 30)
    rh.login(token=token, upload_config=True, download_config=False)
    # A fresh machine that downloads the account's config gets the value typed.
    (home / ".rh" / "config.yaml").unlink()
    rh.login(token=token, download_config=True)
    assert rh.configs.get("default_autostop") == 30


def test_a_refused_token_is_a_permission_error_and_writes_nothing(account, home):
    rh.configs.set("use_spot", True)
    before = snapshot(home)
    with pytest.raises(rh.RhPermissionError) as err:
        rh.login(token="rh_not-a-valid-token")
    assert "rh_not-a-valid-token" not in str(err.value)
    assert snapshot(home) == before


def test_a_server_down_is_a_connection_error_and_writes_nothing(home, monkeypatch):
    monkeypatch.setenv("RH_API_SERVER_URL", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(rh.RhConnectionError) as err:
        rh.login(token="rh_whatever-token")
    assert "127.0.0.1" in str(err.value) and "rh_whatever-token" not in str(err.value)
    assert snapshot(home) == {}


def test_no_token_without_a_terminal_is_a_value_error(home):
    with pytest.raises(rh.RhValueError) as err:
        rh.login()
    assert "token" in str(err.value)
    assert snapshot(home) == {}


@pytest.fixture
def server_without_vault(tmp_path):
    """A second real rh-server whose Vault is down (a closed port)."""
    server = RhServer(tmp_path / "server-no-vault", vault_addr=f"http://127.0.0.1:{free_port()}")
    server.data_dir.mkdir()
    server.create_user("bootstrap")
    server.start()
    yield server
    server.stop()


def test_explicit_secrets_with_the_servers_vault_down_fail_before_writing(server_without_vault, home, monkeypatch):
    user, token = server_without_vault.create_user()
    monkeypatch.setenv("RH_API_SERVER_URL", server_without_vault.url)
    rh.configs.set("use_spot", True)
    before = snapshot(home)
    with pytest.raises(rh.RhConnectionError) as err:
        rh.login(token=token, upload_secrets=True)
    assert "cannot reach its Vault" in str(err.value)
    assert token not in str(err.value)
    assert snapshot(home) == before
    # Not asked for explicitly, secrets are skipped with a warning and the login goes on.
    rh.login(token=token)
    assert rh.configs.get("username") == user


def test_logout_forgets_the_login_and_keeps_files_by_default(account, home):
    user, token = account
    rh.Secrets.save_provider_secrets({"lambda": {"api_key": "lmb-keep"}})
    rh.login(token=token)
    rh.logout()
    config = config_text(home)
    assert "token" not in config and "username" not in config and "default_folder" not in config
    assert (home / ".lambda_cloud" / "lambda_keys").read_bytes() == b"api_key = lmb-keep\n"
    assert rh.configs.get("secrets.lambda") is None


def test_logout_deleting_secrets_and_the_config_file(account, home):
    user, token = account
    rh.Secrets.save_provider_secrets(
        {"lambda": {"api_key": "lmb-gone"}, "ssh": {"id_k": "PRIVATE", "id_k.pub": "ssh-ed25519 AAAA k"}}
    )
    rh.login(token=token)
    rh.logout(delete_loaded_secrets=True, delete_rh_config_file=True)
    assert not (home / ".lambda_cloud" / "lambda_keys").exists()
    assert not (home / ".rh" / "config.yaml").exists()
    # SSH keys are never deleted.
    assert (home / ".ssh" / "id_k").read_bytes() == b"PRIVATE\n"


def test_python_logout_leaves_what_rh_logout_leaves(account, home, cli, tmp_path):
    user, token = account
    rh.Secrets.save_provider_secrets({"lambda": {"api_key": "lmb-x"}})
    rh.login(token=token)
    other = tmp_path / "cli-home"
    import shutil

    shutil.copytree(home, other)
    rh.logout()
    cli("logout", "--yes", home=other)
    assert snapshot(other) == snapshot(home)


def run_on_a_terminal(code: str, answers: list, env: dict) -> str:
    """Runs `python -c code` with stdin, stdout and stderr on a pseudo-terminal, typing the next of
    `answers` at each prompt (`Token: `, `[y/N] `); returns everything it printed."""
    import os
    import pty
    import select
    import subprocess
    import sys

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    answers = list(answers)
    out = b""
    seen = 0
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            raise AssertionError(f"no output and no exit within 60 s: {out!r}")
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        # Answer each prompt once, after it is shown (getpass flushes what was typed before it).
        while answers:
            at = min((i for i in (out.find(b"Token: ", seen), out.find(b"[y/N] ", seen)) if i >= 0), default=-1)
            if at < 0:
                break
            seen = at + 6
            os.write(master, answers.pop(0))
    proc.wait(timeout=60)
    os.close(master)
    assert proc.returncode == 0, out.decode(errors="replace")
    assert answers == [], f"prompts not shown for {answers}: {out!r}"
    return out.decode(errors="replace")


def test_on_a_terminal_login_asks_and_follows_the_answers(account, home):
    import os

    user, token = account
    rh.Secrets.save_provider_secrets({"lambda": {"api_key": "lmb-tty"}})
    # Answers in the CLI's order: download config, download secrets, upload config (config.yaml exists),
    # upload secrets.
    out = run_on_a_terminal(
        f"import rh; rh.login(token={token!r})", [b"n\n", b"n\n", b"n\n", b"y\n"], dict(os.environ)
    )
    assert "Download your config from rh-server" in out
    assert "Upload your local provider secrets to your secret store?" in out
    assert token not in out
    assert vault_read(user, "lambda") == {"api_key": "lmb-tty"}
    assert rh.configs.get("username") == user


def test_on_a_terminal_the_token_is_read_without_echo(account, home):
    import os

    user, token = account
    out = run_on_a_terminal(
        "import rh; rh.login()", [token.encode() + b"\n", b"n\n", b"n\n", b"n\n"], dict(os.environ)
    )
    # No config.yaml yet: nothing to upload, so that question is not asked.
    assert "Upload your local config" not in out
    assert "Token:" in out
    assert token not in out
    assert rh.configs.get("username") == user


def test_interactive_false_never_asks_even_on_a_terminal(account, home):
    import os

    user, token = account
    out = run_on_a_terminal(f"import rh; rh.login(token={token!r}, interactive=False)", [], dict(os.environ))
    assert "[y/N]" not in out
    # `rh login --yes`'s defaults: the account's config downloaded, nothing else.
    assert rh.configs.get("default_folder") == f"/{user}"
