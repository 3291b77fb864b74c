"""``rh.configs``: ``~/.rh/config.yaml`` (or ``$RH_CONFIG_DIR/config.yaml``), the file ``rh config`` uses.

Each call reads the file and each change rewrites it atomically with mode 0600 (in Rust, rh-config), so
there is no cache to go stale between Python and the CLI.
"""

from typing import Any, Dict, Optional

from rh import _rh


class Configs:
    """rh's settings file. Use the instance ``rh.configs``."""

    def get(self, key: str, default: Any = None) -> Any:
        """The stored value of ``key`` (dots reach into maps: ``"secrets.aws"``), else its built-in
        default (``default_provider`` is ``"cheapest"``), else ``default``. A stored ``0``, ``False``
        or ``""`` is returned as stored."""
        value = _rh.config_get(key)
        return default if value is None else value

    def set(self, key: str, value: Any) -> None:
        """Stores ``value`` (None, bool, int, float, str, list or dict) under ``key`` and saves the file."""
        _rh.config_set(key, value)

    def delete(self, key: str) -> None:
        """Removes ``key`` from the file (its default applies again); a key not stored changes nothing."""
        _rh.config_delete(key)

    def upload_defaults(self, defaults: Optional[Dict[str, Any]] = None) -> int:
        """Uploads the user defaults of the settings file (or of ``defaults``, leaving the file alone) as
        the logged-in account's config on rh-server (``rh config upload``); token, username, endpoints and
        secrets never leave this machine. Returns how many keys were sent."""
        return _rh.config_upload(defaults)

    def download_defaults(self) -> int:
        """Merges the account's config from rh-server into the settings file, server values winning
        (``rh config download``); only user defaults are taken. Returns how many keys came."""
        return _rh.config_download()

    @property
    def path(self) -> str:
        """The path of the settings file (``rh config path``)."""
        return str(_rh.config_path())

    def __repr__(self) -> str:
        return "<rh.configs>"


configs = Configs()
"""The settings of this user: ``rh.configs.set("default_autostop", 30)``."""

__all__ = ["Configs", "configs"]
