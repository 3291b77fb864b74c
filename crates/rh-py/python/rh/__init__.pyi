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
