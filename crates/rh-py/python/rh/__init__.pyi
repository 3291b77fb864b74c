"""rh: Runhouse's Python API over rh's Rust core (``import rh``)."""

from typing import Any, Dict, List, Literal, Optional, Union, overload

from rh.exceptions import (
    RhConnectionError as RhConnectionError,
    RhError as RhError,
    RhFileNotFoundError as RhFileNotFoundError,
    RhKeyError as RhKeyError,
    RhPermissionError as RhPermissionError,
    RhValueError as RhValueError,
)

__version__: str

class Provider:
    """A builtin provider (aws, azure, gcp, huggingface, lambda, sky, ssh, github); its repr names it."""

    def __init__(self, name: str) -> None: ...
    @property
    def name(self) -> str:
        """The provider's name, lower-case: ``"aws"``."""

class Secrets:
    """Provider secrets: Runhouse's ``rh.Secrets`` class methods."""

    @overload
    @classmethod
    def builtin_providers(cls, as_str: Literal[False] = False) -> List[Provider]: ...
    @overload
    @classmethod
    def builtin_providers(cls, as_str: Literal[True]) -> List[str]: ...
    @classmethod
    def builtin_providers(cls, as_str: bool = False) -> Union[List[Provider], List[str]]:
        """The eight builtin providers in Runhouse's order (aws, azure, gcp, huggingface, lambda, sky,
        ssh, github), as ``Provider`` objects or, with ``as_str=True``, their names."""
    @classmethod
    def save_provider_secrets(
        cls,
        secrets: Optional[Dict[str, Dict[str, str]]] = None,
        providers: Optional[List[str]] = None,
        check_enabled: bool = True,
    ) -> List[str]:
        """Writes ``{provider: {key: value}}`` into each provider's own files and records them in
        ``~/.rh/config.yaml`` (``rh secrets save``); everything is checked before the first write
        (``rh.RhValueError`` for an unknown provider, a missing key or a malformed file, nothing written).
        ``providers`` keeps only those; ``check_enabled`` warns about providers still not detected as
        configured (offline). Returns the providers saved.

        ``secrets=None`` downloads them from the secret store (``rh secrets pull``: Vault directly from
        ``VAULT_ADDR``/``VAULT_TOKEN``, or rh-server's when logged in) and returns the providers whose files
        changed. An unreachable store is ``rh.RhConnectionError``."""
    @classmethod
    def put(
        cls,
        provider: str,
        from_env: bool = False,
        file_path: Optional[str] = None,
        secret: Optional[Dict[str, str]] = None,
    ) -> int:
        """Stores one provider's secrets in the secret store as a new version (``rh secrets put``):
        ``secret`` if given, else its env vars (``from_env``), else ``file_path`` in the provider's format
        (``~`` expanded), else its configured local files. Builtin providers' keys are checked first
        (``rh.RhValueError``); custom providers need ``secret`` or a JSON file. Returns the new version."""
    @classmethod
    def get(cls, provider: str, save_to_env: bool = False) -> Dict[str, str]:
        """One provider's secrets from the secret store (``rh secrets get``); ``rh.RhKeyError`` when it
        holds none. ``save_to_env=True`` also writes a builtin provider's into its local files (Runhouse's
        meaning of the flag, ``rh secrets get --save``)."""
    @classmethod
    def download_into_env(
        cls,
        providers: Optional[List[str]] = None,
        save_locally: bool = True,
        check_enabled: bool = True,
    ) -> Optional[Dict[str, Dict[str, str]]]:
        """Downloads ``providers`` (default: all in the secret store). ``save_locally`` writes the builtin
        ones into their files (``rh secrets pull``). The env vars of providers that have them (aws, azure,
        gcp) are set in ``os.environ``. Returns ``{provider: {key: value}}`` unless ``save_locally``."""
    @classmethod
    def upload(cls, providers: Optional[List[str]] = None) -> List[str]:
        """Uploads the local secrets of ``providers`` (default: the configured ones) to the secret store
        (``rh secrets push --yes``); returns the providers uploaded (unchanged ones are skipped)."""
    @classmethod
    def delete_from_vault(cls, providers: Optional[List[str]] = None) -> List[str]:
        """Deletes ``providers`` (default: the configured ones) from the secret store only; local files
        stay. Returns the providers asked for."""
    @overload
    @classmethod
    def enabled_providers(cls, as_str: Literal[False] = False) -> List[Provider]: ...
    @overload
    @classmethod
    def enabled_providers(cls, as_str: Literal[True]) -> List[str]: ...
    @classmethod
    def enabled_providers(cls, as_str: bool = False) -> Union[List[Provider], List[str]]:
        """The builtin providers detected as configured on this machine, offline (``rh secrets status``)."""
    @classmethod
    def load_provider_secrets(
        cls, from_env: bool = False, providers: Optional[List[str]] = None
    ) -> Dict[str, Dict[str, str]]:
        """``{provider: {key: value}}`` read locally for ``providers`` (default: the configured ones), from
        their files or (``from_env``) env vars; providers without secrets are left out. Sends nothing."""

class Configs:
    """rh's settings file, ``~/.rh/config.yaml`` (or ``$RH_CONFIG_DIR/config.yaml``)."""

    def get(self, key: str, default: Any = None) -> Any:
        """The stored value of ``key`` (dots reach into maps), else its built-in default, else ``default``."""
    def set(self, key: str, value: Any) -> None:
        """Stores ``value`` (None, bool, int, float, str, list or dict) under ``key``; saves the file (0600)."""
    def delete(self, key: str) -> None:
        """Removes ``key`` from the file; a key not stored changes nothing."""
    def upload_defaults(self, defaults: Optional[Dict[str, Any]] = None) -> int:
        """Uploads the file's user defaults (or ``defaults``, leaving the file alone) as the logged-in
        account's config on rh-server (``rh config upload``); token, username, endpoints and secrets stay
        here. ``rh.RhPermissionError`` when not logged in. Returns how many keys were sent."""
    def download_defaults(self) -> int:
        """Merges the account's config from rh-server into the file, server values winning (``rh config
        download``); only user defaults are taken. Returns how many keys came."""
    @property
    def path(self) -> str:
        """The path of the settings file."""

configs: Configs
"""The settings of this user: ``rh.configs.set("default_autostop", 30)``."""

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

def logout(
    delete_loaded_secrets: Optional[bool] = None,
    delete_rh_config_file: Optional[bool] = None,
    interactive: Optional[bool] = None,
) -> None:
    """Logs out (``rh logout``): removes token, username and default folder from ``~/.rh/config.yaml``.
    ``delete_loaded_secrets`` also deletes the credentials files recorded under ``secrets:`` (never SSH
    keys); ``delete_rh_config_file`` deletes the file. Unset choices are asked only on a terminal (else
    no). Secrets in the store are not touched."""
