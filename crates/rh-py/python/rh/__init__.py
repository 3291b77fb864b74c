"""rh: Runhouse's Python API over rh's Rust core.

``import rh`` in place of ``import runhouse as rh``. Every operation runs in the Rust crates (the native
module ``rh._rh``); this package only gives them Python shapes. Available so far:

- ``rh.Secrets``: ``builtin_providers``, ``save_provider_secrets``, ``put``, ``get``, ``download_into_env``,
  ``upload``, ``delete_from_vault``, ``enabled_providers``, ``load_provider_secrets``;
- named secrets: ``rh.secret(name=None, values=None, provider=None)``, ``rh.provider_secret(provider=None,
  name=None, values=None, path=None, env_vars=None)``, ``rh.Secret`` (``.save()``, ``.delete()``, ``.write()``);
- ``rh.login(...)`` and ``rh.logout(...)``;
- ``rh.configs.get(key, default=None)``, ``rh.configs.set(key, value)``, ``rh.configs.delete(key)``,
  ``rh.configs.upload_defaults(defaults=None)``, ``rh.configs.download_defaults()``;
- the exceptions ``rh.RhError`` and its subclasses (``rh.exceptions``);
- resources: ``rh.ondemand_cluster(...)``, ``rh.cluster(...)``, ``rh.blob(...)``, ``rh.load(name)``,
  ``rh.exists(name)``, with ``.save()``, ``.history()``, ``.delete_configs()``, ``.share(...)``;
- log lines on the ``logging`` logger ``rh``.
"""

from rh import _logging
from rh._rh import __version__
from rh._configs import Configs, configs
from rh.exceptions import (
    RhConnectionError,
    RhError,
    RhFileNotFoundError,
    RhKeyError,
    RhPermissionError,
    RhValueError,
)
from rh._secrets import Provider, Secrets
from rh._named import ProviderSecret, Secret, provider_secret, secret
from rh._resources import Blob, Cluster, Folder, OnDemandCluster, Resource, blob, cluster, exists, load, ondemand_cluster
from rh._login import login, logout

_logging.install()

__all__ = [
    "Blob",
    "Cluster",
    "Folder",
    "OnDemandCluster",
    "Resource",
    "blob",
    "cluster",
    "exists",
    "load",
    "ondemand_cluster",
    "Provider",
    "ProviderSecret",
    "Secret",
    "provider_secret",
    "secret",
    "RhConnectionError",
    "RhError",
    "RhFileNotFoundError",
    "RhKeyError",
    "RhPermissionError",
    "RhValueError",
    "Configs",
    "Secrets",
    "__version__",
    "configs",
    "login",
    "logout",
]
