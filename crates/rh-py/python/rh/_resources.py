"""Resources: ``rh.ondemand_cluster``, ``rh.cluster``, ``rh.blob``, ``rh.load`` and ``rh.exists``.

A resource object holds its config (a plain ``dict``, so ``pickle`` and ``copy.deepcopy`` work) and
nothing else that matters. The config is made and checked in Rust (rh-resources, through rh-ops, the
same operations ``rh resource``, ``rh cluster`` and ``rh blob`` run): names, defaults, validation,
``config.json`` bytes, rh-server calls and storage all happen there.
"""

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from rh import _rh
from rh.exceptions import RhValueError


class Resource:
    """A named resource of any kind (its config is kept as stored)."""

    def __init__(self, config: Dict[str, Any], dryrun: bool = False) -> None:
        self._config = dict(config)
        self.dryrun = dryrun

    # --- what it is -----------------------------------------------------------------------------

    @property
    def config_for_rns(self) -> Dict[str, Any]:
        """The config as it is saved (a copy): ``name``, ``resource_type``, ``resource_subtype``, …"""
        return dict(self._config)

    @property
    def rns_address(self) -> Optional[str]:
        """The full address: ``~/aws_cluster``, ``/alice/my_blob``."""
        return self._config.get("name")

    @property
    def name(self) -> Optional[str]:
        """The last segment of the address: ``aws_cluster``."""
        address = self.rns_address
        return None if address is None else _rh.name_basename(address)

    @property
    def resource_type(self) -> str:
        """``cluster``, ``blob``, ``folder``, …"""
        return self._config.get("resource_type", "")

    # --- what it does ---------------------------------------------------------------------------

    def save(self, name: Optional[str] = None, overwrite: bool = True) -> "Resource":
        """Saves the config under ``name`` (default: its own): ``~/…`` names in the working dir's ``rh/``
        folder, ``/user/…`` names on rh-server. Returns the resource."""
        _, self._config = _rh.resource_save(self._config, name, overwrite)
        return self

    def history(self, num_entries: Optional[int] = None) -> List[Dict[str, Any]]:
        """The saved changes of this resource, newest first (git commits locally, rh-server remotely)."""
        return _rh.resource_history(self._address(), num_entries)

    def delete_configs(self) -> None:
        """Deletes the saved config (the resource's data stays)."""
        _rh.resource_delete(self._address())

    def share(
        self,
        users: Union[str, Sequence[str]],
        access_type: str = "read",
        notify_users: bool = True,
        allow_reshare: Optional[bool] = None,
    ) -> Tuple[Dict[str, str], Dict[str, str]]:
        """Gives ``users`` (names or emails) ``access_type`` (``read`` or ``write``) to this remote
        resource. Returns ``(added_users, new_users)``: accounts given access, and emails invited.
        For a secret you own, ``allow_reshare=True`` lets its write grantees share it further
        (``False``: only you again; ``None``: unchanged)."""
        if isinstance(users, str):
            users = [users]
        return _rh.resource_share(
            self._address(), list(users), access_type, notify_users, allow_reshare
        )

    def _address(self) -> str:
        address = self.rns_address
        if address is None:
            raise RhValueError("the resource has no name: save it under a name first")
        return address

    # --- Python ---------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"<rh.{type(self).__name__} {self.rns_address}>"

    def __str__(self) -> str:
        return _rh.config_json(self._config)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._config == self._config  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]


class Cluster(Resource):
    """A cluster of hosts you run yourself (Runhouse's bring-your-own ``Cluster``)."""

    @property
    def ips(self) -> List[str]:
        """The hosts; the first is the head."""
        return list(self._config.get("ips") or [])

    @property
    def ssh_creds(self) -> Any:
        """The ssh secret's name (or Runhouse's paths-only form), never a key."""
        return self._config.get("ssh_creds")

    def keep_warm(self, autostop_mins: int = -1) -> "Cluster":
        """Sets the minutes of idleness before the cluster stops (-1: never); a saved on-demand cluster
        is saved again. A cluster you run yourself has no autostop (logged). Returns the cluster."""
        self._config = _rh.cluster_keep_warm(self._config, autostop_mins)
        return self


class OnDemandCluster(Cluster):
    """A cluster launched on demand on a cloud (Runhouse's ``OnDemandCluster``)."""

    @property
    def instance_type(self) -> Optional[str]:
        """``V100:1``, ``CPU:2+`` or a cloud instance type."""
        return self._config.get("instance_type")

    @property
    def num_instances(self) -> Optional[int]:
        """Number of nodes."""
        return self._config.get("num_instances")

    @property
    def provider(self) -> Optional[str]:
        """``aws``, ``gcp``, ``azure``, ``lambda`` or ``cheapest``."""
        return self._config.get("provider")

    @property
    def autostop_mins(self) -> Optional[int]:
        """Minutes of idleness before autostop; -1 never."""
        return self._config.get("autostop_mins")

    @property
    def use_spot(self) -> bool:
        """Spot instances."""
        return bool(self._config.get("use_spot"))

    @property
    def image_id(self) -> Optional[str]:
        """Machine image."""
        return self._config.get("image_id")

    @property
    def region(self) -> Optional[str]:
        """Cloud region."""
        return self._config.get("region")


class Blob(Resource):
    """Bytes in a file, S3, GCS or Azure store, with a saved config (Runhouse's ``Blob``)."""

    def __init__(self, config: Dict[str, Any], data: Optional[bytes] = None, dryrun: bool = False) -> None:
        super().__init__(config, dryrun)
        self._data = data

    @property
    def path(self) -> str:
        """Where the bytes are: ``/BUCKET/KEY`` for object stores, a file path for ``file``."""
        return self._config["path"]

    @property
    def system(self) -> Any:
        """``file``, ``s3``, ``gs`` or ``azure``."""
        return self._config.get("system")

    @property
    def data(self) -> bytes:
        """The bytes: the ones given, else read from the store on first use."""
        if self._data is None:
            self._data = _rh.blob_read(self._config)
        return self._data

    @data.setter
    def data(self, value: bytes) -> None:
        self._data = value

    def write(self) -> "Blob":
        """Uploads the data to ``path`` (creating the bucket or directory if needed), then saves the
        config, as ``rh blob write`` does: no config without its bytes, no bytes left without a config.
        ``data`` must be ``bytes`` (serialise it first, e.g. with pickle). Returns the blob."""
        self._config = _rh.blob_write(self._config, self._data)
        return self

    def rm(self) -> None:
        """Deletes the bytes (the config stays; ``delete_configs()`` removes it)."""
        _rh.blob_rm(self._config)
        self._data = None

    def exists_in_system(self) -> bool:
        """Whether the bytes are in the store."""
        return _rh.blob_exists(self._config)


class Folder(Resource):
    """A folder of files (its config only: rh reads blobs, not folders)."""


_CLASSES = {
    "OnDemandCluster": OnDemandCluster,
    "Cluster": Cluster,
    "Blob": Blob,
    "Folder": Folder,
    "Resource": Resource,
}


def _build(kind_config: Tuple[str, Dict[str, Any]], dryrun: bool = False) -> Resource:
    kind, config = kind_config
    return _CLASSES[kind](config, dryrun=dryrun)


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
    """An on-demand cluster. Given only a name (none of ``instance_type``, ``num_instances``,
    ``provider``, ``image_id``, ``region``), loads the saved one; otherwise makes a new one (not saved
    until ``.save()``), whose absent ``provider``, ``autostop_mins`` and ``use_spot`` come from
    ``default_provider``, ``default_autostop`` and ``use_spot`` in ``~/.rh/config.yaml``."""
    if name is not None and all(v is None for v in (instance_type, num_instances, provider, image_id, region)):
        return _build(_rh.resource_load(name, "OnDemandCluster"), dryrun)  # type: ignore[return-value]
    return _build(
        _rh.ondemand_cluster_new(
            name, instance_type, num_instances, provider, autostop_mins, use_spot, image_id, region
        ),
        dryrun,
    )  # type: ignore[return-value]


def cluster(
    name: str,
    ips: Optional[List[str]] = None,
    ssh_creds: Optional[str] = None,
    dryrun: bool = False,
    **kwargs: Any,
) -> Cluster:
    """A cluster. Given only a name, loads the saved one (on-demand or not); with ``instance_type`` (and
    the other ``ondemand_cluster`` arguments) makes an on-demand one; with ``ips`` (and ``ssh_creds``, the
    name of an ssh secret) one of hosts you run yourself."""
    if "instance_type" in kwargs:
        return ondemand_cluster(name, dryrun=dryrun, **kwargs)
    if kwargs:
        raise TypeError(f"cluster() got unexpected keyword arguments: {', '.join(sorted(kwargs))}")
    if ips is None and ssh_creds is None:
        return _build(_rh.resource_load(name, "cluster"), dryrun)  # type: ignore[return-value]
    return _build(_rh.cluster_new(name, list(ips or []), ssh_creds), dryrun)  # type: ignore[return-value]


def blob(
    data: Optional[bytes] = None,
    name: Optional[str] = None,
    path: Optional[str] = None,
    system: Optional[str] = None,
    dryrun: bool = False,
) -> Blob:
    """A blob. Given only a name, loads the saved one (its data is read on first use of ``.data``);
    otherwise a new one on ``system`` (``file`` by default; ``s3``, ``gs``, ``azure``) at ``path``
    (default: a fresh path, in ``default_blob_bucket`` for object stores, under ``~/.rh/blobs`` for
    ``file``). Nothing is stored until ``.write()``."""
    if name is not None and data is None and path is None and system is None:
        kind, config = _rh.resource_load(name, "Blob")
        return Blob(config, dryrun=dryrun)
    if name is None:
        raise RhValueError("rh.blob needs a name (`~/my_blob`, or `my_blob` when logged in)")
    _, config = _rh.blob_new(name, system or "file", path)
    return Blob(config, data, dryrun=dryrun)


def load(name: str, dryrun: bool = False) -> Resource:
    """Loads the resource saved under ``name``, as the object of its kind (``OnDemandCluster``,
    ``Cluster``, ``Blob``, …). A missing one raises ``rh.RhFileNotFoundError`` naming it."""
    return _build(_rh.resource_load(name), dryrun)


def exists(name: str) -> bool:
    """Whether a resource is saved under ``name`` (any kind)."""
    return _rh.resource_exists(name)


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
]
