"""rh: Runhouse's Python API over rh's Rust core (``import rh``)."""

from typing import Any, Dict, List, Literal, Optional, Tuple, Union, overload

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
    """A builtin provider (aws, azure, gcp, huggingface, lambda, sky, ssh, github, anthropic, …, docker); its
    repr names it."""

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

# --- resources (rh._resources) ---------------------------------------------------------------------

class Resource:
    """A named resource of any kind; it holds its config (a dict), so it pickles and deep-copies."""

    dryrun: bool
    @property
    def config_for_rns(self) -> Dict[str, Any]:
        """The config as it is saved (a copy): ``name``, ``resource_type``, ``resource_subtype``, …"""
    @property
    def rns_address(self) -> Optional[str]:
        """The full address: ``~/aws_cluster``, ``/alice/my_blob``."""
    @property
    def name(self) -> Optional[str]:
        """The last segment of the address: ``aws_cluster``."""
    @property
    def resource_type(self) -> str:
        """``cluster``, ``blob``, ``folder``, …"""
    def save(self, name: Optional[str] = None, overwrite: bool = True) -> "Resource":
        """Saves the config under ``name`` (default: its own): ``~/…`` names in the working dir's
        ``rh/`` folder (``config.json``, as ``rh resource save`` writes it), ``/user/…`` names on
        rh-server. ``overwrite=False`` refuses an existing one. Returns the resource."""
    def history(self, num_entries: Optional[int] = None) -> List[Dict[str, Any]]:
        """The saved changes, newest first: dicts of ``id``, ``short_id``, ``timestamp``, ``time``,
        ``author``, ``message``, ``change``."""
    def delete_configs(self) -> None:
        """Deletes the saved config (the resource's data stays)."""
    def share(
        self,
        users: Union[str, List[str]],
        access_type: str = "read",
        notify_users: bool = True,
        allow_reshare: Optional[bool] = None,
    ) -> Tuple[Dict[str, str], Dict[str, str]]:
        """Gives ``users`` (names or emails) ``access_type`` (``read``/``write``) to this remote resource;
        returns ``(added_users, new_users)``, e.g. ``({}, {'teammate1@email.com': 'write'})``."""

class Cluster(Resource):
    """A cluster of hosts you run yourself (Runhouse's bring-your-own ``Cluster``)."""

    @property
    def ips(self) -> List[str]:
        """The hosts; the first is the head."""
    @property
    def ssh_creds(self) -> Any:
        """The ssh secret's name, never a key."""
    def keep_warm(self, autostop_mins: int = -1) -> "Cluster":
        """Sets the autostop (-1: never); a saved on-demand cluster is saved again. Returns the cluster."""

class OnDemandCluster(Cluster):
    """A cluster launched on demand on a cloud (Runhouse's ``OnDemandCluster``)."""

    @property
    def instance_type(self) -> Optional[str]: ...
    @property
    def num_instances(self) -> Optional[int]: ...
    @property
    def provider(self) -> Optional[str]: ...
    @property
    def autostop_mins(self) -> Optional[int]: ...
    @property
    def use_spot(self) -> bool: ...
    @property
    def image_id(self) -> Optional[str]: ...
    @property
    def region(self) -> Optional[str]: ...

class Blob(Resource):
    """Bytes in a file, S3, GCS or Azure store, with a saved config (Runhouse's ``Blob``)."""

    @property
    def path(self) -> str:
        """``/BUCKET/KEY`` for object stores, a file path for ``file``."""
    @property
    def system(self) -> Any:
        """``file``, ``s3``, ``gs`` or ``azure``."""
    @property
    def data(self) -> bytes:
        """The bytes: the ones given, else read from the store on first use."""
    @data.setter
    def data(self, value: bytes) -> None: ...
    def write(self) -> "Blob":
        """Uploads the data (bytes) to ``path``, creating the bucket if needed, then saves the config
        (``rh blob write``): no config without its bytes. Ctrl-C leaves neither. Returns the blob."""
    def rm(self) -> None:
        """Deletes the bytes (the config stays)."""
    def exists_in_system(self) -> bool:
        """Whether the bytes are in the store."""

class Folder(Resource):
    """A folder of files (its config only)."""

def ondemand_cluster(
    name: Optional[str] = None,
    instance_type: Optional[str] = None,
    num_instances: Optional[int] = None,
    provider: Optional[str] = None,
    autostop_mins: Optional[int] = None,
    use_spot: Optional[bool] = None,
    image_id: Optional[str] = None,
    region: Optional[str] = None,
    dryrun: bool = False,
) -> OnDemandCluster:
    """An on-demand cluster: with only a name, the saved one; otherwise a new one (saved by ``.save()``),
    absent ``provider``/``autostop_mins``/``use_spot`` taken from ``~/.rh/config.yaml``'s defaults."""

def cluster(
    name: str,
    ips: Optional[List[str]] = None,
    ssh_creds: Optional[str] = None,
    dryrun: bool = False,
    **kwargs: Any,
) -> Cluster:
    """A cluster: with only a name, the saved one; with ``instance_type`` an on-demand one; with ``ips``
    (and ``ssh_creds``, an ssh secret's name) one of hosts you run yourself."""

def blob(
    data: Optional[bytes] = None,
    name: Optional[str] = None,
    path: Optional[str] = None,
    system: Optional[str] = None,
    dryrun: bool = False,
) -> Blob:
    """A blob: with only a name, the saved one (data read lazily); otherwise a new one on ``system``
    (default ``file``) at ``path`` (default: a fresh one). Nothing is stored until ``.write()``."""

def load(name: str, dryrun: bool = False) -> Resource:
    """The resource saved under ``name``, as the object of its kind; ``rh.RhFileNotFoundError`` if none."""

def exists(name: str) -> bool:
    """Whether a resource is saved under ``name``."""
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

class Secret:
    """A secret: a name (``None`` while only in memory), an optional provider, and its values."""

    def __init__(
        self, name: Optional[str] = None, values: Optional[Dict[str, str]] = None, provider: Optional[str] = None
    ) -> None: ...
    @property
    def name(self) -> Optional[str]: ...
    @property
    def provider(self) -> Optional[str]: ...
    @property
    def values(self) -> Dict[str, str]: ...
    @classmethod
    def from_name(cls, name: str) -> "Secret": ...
    def save(self, name: Optional[str] = None) -> "Secret": ...
    def delete(self) -> None: ...
    def write(self, path: Optional[str] = None, env: bool = False) -> List[str]: ...

class ProviderSecret(Secret):
    """A secret of one provider (``aws``, ``openai``…, or a custom one)."""

def secret(
    name: Optional[str] = None, values: Optional[Dict[str, str]] = None, provider: Optional[str] = None
) -> Secret:
    """Runhouse's ``rh.secret``."""

def provider_secret(
    provider: Optional[str] = None,
    name: Optional[str] = None,
    values: Optional[Dict[str, str]] = None,
    path: Optional[str] = None,
    env_vars: Optional[Dict[str, str]] = None,
) -> ProviderSecret:
    """Runhouse's ``rh.provider_secret``: at most one of values, path and env_vars."""
