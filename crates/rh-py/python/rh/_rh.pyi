"""The native module of ``rh`` (Rust, PyO3). Use the package's public names instead."""

from os import PathLike
from typing import Any, Dict, List, Optional, Tuple

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
    secrets: Optional[Dict[str, Dict[str, str]]],
    providers: Optional[List[str]] = None,
    check_enabled: bool = True,
) -> List[str]:
    """Writes provider secrets into their files; returns the providers saved."""

# resources (src/resource.rs, src/blob.rs): configs cross as dicts, with the kind of resource
def ondemand_cluster_new(
    name: Optional[str],
    instance_type: Optional[str] = None,
    num_instances: Optional[int] = None,
    provider: Optional[str] = None,
    autostop_mins: Optional[int] = None,
    use_spot: Optional[bool] = None,
    image_id: Optional[str] = None,
    region: Optional[str] = None,
) -> Tuple[str, Dict[str, Any]]:
    """A new, unsaved on-demand cluster: (kind, config)."""

def cluster_new(name: str, ips: List[str], ssh_creds: Optional[str] = None) -> Tuple[str, Dict[str, Any]]:
    """A new, unsaved bring-your-own cluster: (kind, config)."""

def resource_load(name: str, expect: Optional[str] = None) -> Tuple[str, Dict[str, Any]]:
    """Loads a saved resource: (kind, config); ``expect`` refuses another kind."""

def resource_exists(name: str) -> bool:
    """Whether a resource is saved under ``name``."""

def resource_save(
    config: Dict[str, Any], name: Optional[str] = None, overwrite: bool = True
) -> Tuple[str, Dict[str, Any]]:
    """Saves a config; returns the saved (kind, config)."""

def resource_delete(name: str) -> None:
    """Deletes a saved config."""

def resource_history(name: str, limit: Optional[int] = None) -> List[Dict[str, Any]]:
    """The changes of a resource, newest first."""

def resource_share(
    name: str,
    users: List[str],
    access_type: str,
    notify_users: bool,
    allow_reshare: Optional[bool] = None,
) -> Tuple[Dict[str, str], Dict[str, str]]:
    """Shares a remote resource: (added_users, new_users)."""

def cluster_keep_warm(config: Dict[str, Any], autostop_mins: int) -> Dict[str, Any]:
    """Sets a cluster's autostop (saved again when saved); the new config."""

def resource_check(config: Dict[str, Any]) -> Tuple[str, Dict[str, Any]]:
    """(kind, config) of a config, checked as a stored one is."""

def config_json(config: Dict[str, Any]) -> str:
    """The config as config.json holds it."""

def name_basename(address: str) -> str:
    """The last segment of an address."""

def blob_new(name: str, system: str, path: Optional[str] = None) -> Tuple[str, Dict[str, Any]]:
    """A new, unsaved blob: (kind, config)."""

def blob_write(config: Dict[str, Any], data: bytes, overwrite: bool = True) -> Dict[str, Any]:
    """Uploads the bytes, then saves the config; the saved config."""

def blob_read(config: Dict[str, Any]) -> bytes:
    """The blob's bytes."""

def blob_exists(config: Dict[str, Any]) -> bool:
    """Whether the blob's bytes exist."""

def blob_rm(config: Dict[str, Any]) -> None:
    """Deletes the blob's bytes."""
    """Writes provider secrets into their files (None: from the secret store); returns the providers saved."""

def config_upload(defaults: Optional[Dict[str, Any]] = None) -> int:
    """Uploads config.yaml's (or ``defaults``') user defaults to rh-server; returns how many keys."""

def config_download() -> int:
    """Merges the account's config from rh-server into config.yaml; returns how many keys."""

def secrets_put(
    provider: str, from_env: bool = False, file_path: Optional[str] = None, secret: Optional[Dict[str, str]] = None
) -> int:
    """Stores a provider's secrets in the secret store; returns the new version."""

def secrets_get(provider: str, save: bool = False) -> Dict[str, str]:
    """A provider's secrets from the secret store (``save``: also into its local files)."""

def secrets_download(
    providers: Optional[List[str]] = None, save_locally: bool = True, check_enabled: bool = True
) -> Tuple[Dict[str, Dict[str, str]], Dict[str, str]]:
    """Downloads from the secret store; returns (values by provider, env vars)."""

def secrets_upload(providers: Optional[List[str]] = None) -> List[str]:
    """Uploads local secrets to the secret store; returns the providers uploaded."""

def secrets_delete_remote(providers: Optional[List[str]] = None) -> List[str]:
    """Deletes providers from the secret store; returns the providers asked for."""

def enabled_provider_names() -> List[str]:
    """The builtin providers configured on this machine (offline)."""

def load_provider_secrets(from_env: bool = False, providers: Optional[List[str]] = None) -> Dict[str, Dict[str, str]]:
    """Local secrets by provider."""

class LoginCheck:
    """A token rh-server accepted; used once by ``login_finish``."""

    @property
    def username(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def config_exists(self) -> bool: ...

def login_check(token: str, api_server_url: Optional[str] = None) -> LoginCheck:
    """Checks a token against rh-server, changing nothing."""

def login_finish(
    check: LoginCheck,
    download_config: bool,
    upload_config: bool,
    download_secrets: bool,
    upload_secrets: bool,
    explicit_secrets: bool,
) -> str:
    """Stores the token and moves config and secrets as chosen; returns the account name."""

def logout_providers() -> List[str]:
    """Providers recorded in config.yaml whose files logout may delete."""

def config_file_exists() -> bool:
    """Whether config.yaml exists."""

def logout_finish(delete: List[str], forget: List[str], delete_config: bool) -> None:
    """Deletes or forgets as chosen and removes the login from config.yaml."""

def make_secret(
    name: Optional[str] = None,
    values: Optional[Dict[str, str]] = None,
    provider: Optional[str] = None,
    path: Optional[str] = None,
    env_vars: Optional[Dict[str, str]] = None,
    provider_call: bool = False,
) -> Tuple[Optional[str], Optional[str], Dict[str, str]]: ...
def save_secret(name: str, values: Dict[str, str], provider: Optional[str] = None) -> str: ...
def delete_secret(name: str) -> str: ...
def write_secret(name: str, path: Optional[str] = None, env: bool = False) -> List[str]: ...
