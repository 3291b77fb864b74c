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
        ``~/.rh/config.yaml``; everything is checked before the first write (``rh.RhValueError`` for an
        unknown provider, a missing key or a malformed file, nothing written). ``providers`` keeps only
        those; ``check_enabled`` warns about providers still not detected as configured (offline).
        Returns the providers saved. ``secrets=None`` (download from Vault) is not available yet."""

class Configs:
    """rh's settings file, ``~/.rh/config.yaml`` (or ``$RH_CONFIG_DIR/config.yaml``)."""

    def get(self, key: str, default: Any = None) -> Any:
        """The stored value of ``key`` (dots reach into maps), else its built-in default, else ``default``."""
    def set(self, key: str, value: Any) -> None:
        """Stores ``value`` (None, bool, int, float, str, list or dict) under ``key``; saves the file (0600)."""
    def delete(self, key: str) -> None:
        """Removes ``key`` from the file; a key not stored changes nothing."""
    @property
    def path(self) -> str:
        """The path of the settings file."""

configs: Configs
"""The settings of this user: ``rh.configs.set("default_autostop", 30)``."""
