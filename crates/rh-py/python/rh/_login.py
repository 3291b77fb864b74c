"""``rh.login`` and ``rh.logout``: the questions (only on a terminal); the flows run in Rust (rh-ops' login,
as ``rh login`` / ``rh logout`` run them)."""

import getpass
import logging
import sys
from typing import List, Optional

from rh import _rh
from rh.exceptions import RhValueError

_log = logging.getLogger("rh")


def _on_terminal() -> bool:
    stdin = sys.stdin
    try:
        return stdin is not None and stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _ask(question: str) -> bool:
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def login(
    token: Optional[str] = None,
    download_config: Optional[bool] = None,
    upload_config: Optional[bool] = None,
    download_secrets: Optional[bool] = None,
    upload_secrets: Optional[bool] = None,
    ret_token: bool = False,
    interactive: Optional[bool] = None,
) -> Optional[str]:
    """Logs in to rh-server (``rh login``): checks ``token`` first (``rh.RhPermissionError`` for a refused
    one, ``rh.RhConnectionError`` for a server down; nothing written), then stores it with the username and
    default folder in ``~/.rh/config.yaml`` and moves config and secrets as chosen. Questions (and the
    token prompt, without echo) only when stdin is a terminal and ``interactive`` is not False; otherwise
    unset choices take ``rh login --yes``'s safe defaults: download config yes, upload config, download
    and upload secrets no. Returns the token if ``ret_token``."""
    interactive = (interactive is not False) and _on_terminal()
    if token is None:
        if not interactive:
            raise RhValueError(
                "no token given: pass rh.login(token=...) (prompting needs a terminal on stdin)"
            )
        print(
            "Paste your rh-server token (`rh-server user create` prints it; see "
            f"{_rh.config_get('dashboard_url')}).",
            file=sys.stderr,
        )
        token = getpass.getpass("Token: ")
    explicit_secrets = download_secrets is True or upload_secrets is True
    check = _rh.login_check(token)
    if interactive:
        if download_config is None:
            download_config = _ask("Download your config from rh-server to ~/.rh/config.yaml?")
        if download_secrets is None:
            download_secrets = _ask("Download secrets from your secret store to this machine?")
        if upload_config is None and check.config_exists:
            upload_config = _ask("Upload your local config to rh-server?")
        if upload_secrets is None:
            upload_secrets = _ask("Upload your local provider secrets to your secret store?")
    # Unanswered choices take `rh login --yes`'s safe defaults: download the account's user defaults,
    # change nothing else.
    username = _rh.login_finish(
        check,
        download_config if download_config is not None else not interactive,
        bool(upload_config),
        bool(download_secrets),
        bool(upload_secrets),
        explicit_secrets,
    )
    _log.info("Logged in to %s as %s.", check.url, username)
    return token if ret_token else None


def logout(
    delete_loaded_secrets: Optional[bool] = None,
    delete_rh_config_file: Optional[bool] = None,
    interactive: Optional[bool] = None,
) -> None:
    """Logs out (``rh logout``): removes token, username and default folder from ``~/.rh/config.yaml``.
    ``delete_loaded_secrets`` also deletes the credentials files recorded under ``secrets:`` (never SSH
    keys); ``delete_rh_config_file`` deletes the file. Unset choices are asked only on a terminal (else
    no). Secrets in the store are not touched."""
    interactive = (interactive is not False) and _on_terminal()
    delete: List[str] = []
    forget: List[str] = []
    for provider in _rh.logout_providers():
        if delete_loaded_secrets is None:
            yes = interactive and _ask(f"Delete credentials file for {provider}?")
        else:
            yes = delete_loaded_secrets
        (delete if yes else forget).append(provider)
    if delete_rh_config_file is None:
        delete_config = interactive and _rh.config_file_exists() and _ask("Delete your local rh config file?")
    else:
        delete_config = delete_rh_config_file
    _rh.logout_finish(delete, forget, bool(delete_config))
    _log.info("Successfully logged out.")


__all__ = ["login", "logout"]
