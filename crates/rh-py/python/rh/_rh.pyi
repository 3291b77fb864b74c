"""The native module of ``rh`` (Rust, PyO3). Use the package's public names instead."""

from os import PathLike
from typing import Any, Dict, List, Optional

__version__: str

def config_get(key: str) -> Any:
    """The stored value of ``key``, else its built-in default, else None."""

def config_set(key: str, value: Any) -> None:
    """Stores ``value`` under ``key`` and saves config.yaml."""

def config_delete(key: str) -> bool:
    """Removes ``key``; True if it was stored."""

def config_path() -> PathLike[str]:
    """The path of config.yaml."""

def builtin_provider_names() -> List[str]:
    """The builtin provider names in Runhouse's order."""

def save_provider_secrets(
    secrets: Dict[str, Dict[str, str]],
    providers: Optional[List[str]] = None,
    check_enabled: bool = True,
) -> List[str]:
    """Writes provider secrets into their files; returns the providers saved."""
