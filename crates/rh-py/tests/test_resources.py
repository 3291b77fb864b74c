"""Clusters and resources from Python: the local RNS (a git working dir) and a real rh-server, checked
byte for byte against the real CLI."""

import json
import logging
import os
import re
import stat

import pytest

import rh
from conftest import snapshot
from _server import dead_url, rh_server  # noqa: F401 - fixture
from _workdir import git_commit, rh_log, workdir  # noqa: F401 - fixtures

TUTORIAL_CONFIG = b"""{
    "name": "~/aws_cluster",
    "resource_type": "cluster",
    "resource_subtype": "OnDemandCluster",
    "instance_type": "V100:1",
    "num_instances": null,
    "provider": "aws",
    "autostop_mins": 30,
    "use_spot": false,
    "image_id": null,
    "region": null,
    "sky_state": null
}"""


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_tutorials_cluster_is_saved_as_the_tutorial_and_the_cli_write_it(workdir, home, tmp_path, cli, rh_log):
    rh.configs.set("default_autostop", 30)
    my_resource = rh.ondemand_cluster(name="~/aws_cluster", instance_type="V100:1", provider="aws")
    assert not (workdir / "rh").exists()  # nothing saved before .save()
    assert my_resource.save() is my_resource
    path = workdir / "rh" / "aws_cluster" / "config.json"
    assert path.read_bytes() == TUTORIAL_CONFIG
    # The log line, through logger `rh`, in the tutorial's format.
    saving = [r for r in rh_log if r.getMessage().startswith("Saving config")]
    assert [(r.levelname, r.getMessage()) for r in saving] == [("INFO", f"Saving config for ~/aws_cluster to: {path}")]
    fmt = logging.getLogger("rh").handlers[0].formatter
    assert re.fullmatch(
        r"INFO \| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \| Saving config for ~/aws_cluster to: " + re.escape(str(path)),
        fmt.format(saving[0]),
    )
    # The CLI writes the same bytes, with the same modes.
    other = tmp_path / "cli-work"
    other.mkdir()
    os.system(f"git init -q {other}")
    os.chdir(other)
    cli("cluster", "create", "~/aws_cluster", "--instance-type", "V100:1", "--provider", "aws")
    cli_path = other / "rh" / "aws_cluster" / "config.json"
    assert cli_path.read_bytes() == path.read_bytes()
    assert mode(cli_path) == mode(path) and mode(cli_path.parent) == mode(path.parent)


def test_name_only_loads_and_load_returns_the_class_of_the_kind(workdir, home):
    rh.ondemand_cluster(name="~/aws_cluster", instance_type="V100:1", provider="aws").save()
    rh.cluster("~/byo", ips=["10.0.0.1", "10.0.0.2"], ssh_creds="~/ssh-key").save()
    loaded = rh.load("~/aws_cluster")
    assert type(loaded) is rh.OnDemandCluster
    assert (loaded.name, loaded.rns_address, loaded.instance_type, loaded.provider) == ("aws_cluster", "~/aws_cluster", "V100:1", "aws")
    assert loaded.autostop_mins == -1  # the built-in default_autostop
    assert rh.ondemand_cluster(name="~/aws_cluster") == loaded
    byo = rh.cluster("~/byo")
    assert type(byo) is rh.Cluster and byo.ips == ["10.0.0.1", "10.0.0.2"] and byo.ssh_creds == "~/ssh-key"
    assert type(rh.cluster("~/aws_cluster")) is rh.OnDemandCluster
    assert rh.exists("~/aws_cluster") and rh.exists("~/byo") and not rh.exists("~/nope")
    assert loaded.config_for_rns == json.loads(TUTORIAL_CONFIG.replace(b"30", b"-1"))


def test_what_the_cli_saved_python_loads_and_resaves_byte_identically(workdir, home, cli):
    cli("cluster", "create", "~/gpu", "--instance-type", "A100:4", "--provider", "gcp", "--use-spot", "--region", "us-central1")
    cli("cluster", "create", "~/hosts", "--ips", "1.2.3.4,5.6.7.8", "--ssh-creds", "~/ssh-k")
    before = snapshot(workdir / "rh")
    for name in ("~/gpu", "~/hosts"):
        rh.load(name).save()
    assert snapshot(workdir / "rh") == before
    gpu = rh.load("~/gpu")
    assert (gpu.use_spot, gpu.region, gpu.provider) == (True, "us-central1", "gcp")
    gpu.save("~/gpu_copy")
    assert json.loads(cli("resource", "show", "~/gpu_copy", "--json").stdout) == {**gpu.config_for_rns, "name": "~/gpu_copy"}


def test_what_python_saved_the_cli_shows_as_stored(workdir, home, cli):
    rh.cluster("~/hosts", ips=["1.2.3.4"], ssh_creds="~/ssh-k").save()
    shown = cli("resource", "show", "~/hosts", "--json").stdout
    assert shown.encode() == (workdir / "rh" / "hosts" / "config.json").read_bytes() + b"\n"
    assert str(rh.load("~/hosts")) + "\n" == shown


def test_a_stored_config_with_unknown_keys_keeps_them_in_place(workdir, home):
    d = workdir / "rh" / "odd"
    d.mkdir(parents=True)
    text = b'{\n    "name": "~/odd",\n    "extra": [1, 2],\n    "resource_type": "cluster",\n    "resource_subtype": "OnDemandCluster",\n    "provider": "aws"\n}'
    (d / "config.json").write_bytes(text)
    c = rh.load("~/odd")
    assert list(c.config_for_rns)[:2] == ["name", "extra"]
    c.keep_warm(15)
    assert json.loads((d / "config.json").read_bytes())["autostop_mins"] == 15
    assert list(json.loads((d / "config.json").read_bytes()))[:2] == ["name", "extra"]


def test_keep_warm_saves_a_saved_cluster_and_only_sets_an_unsaved_one(workdir, home):
    c = rh.ondemand_cluster(name="~/c", instance_type="CPU:2", provider="aws", autostop_mins=30).save()
    assert c.keep_warm() is c and c.autostop_mins == -1
    assert rh.load("~/c").autostop_mins == -1
    unsaved = rh.ondemand_cluster(name="~/u", instance_type="CPU:2", provider="aws")
    unsaved.keep_warm(60)
    assert unsaved.autostop_mins == 60 and not rh.exists("~/u")
    with pytest.raises(rh.RhValueError, match="autostop_mins"):
        c.keep_warm(-5)
    assert rh.load("~/c").autostop_mins == -1


def test_history_and_delete_configs(workdir, home):
    c = rh.ondemand_cluster(name="~/c", instance_type="CPU:2", provider="aws").save()
    git_commit(workdir, "add c")
    c.keep_warm(10)
    git_commit(workdir, "warm c")
    history = c.history()
    assert [h["message"] for h in history] == ["warm c", "add c"]
    assert history[1]["change"] == "created"
    assert set(history[0]) == {"id", "short_id", "timestamp", "time", "author", "message", "change"}
    c.delete_configs()
    assert not rh.exists("~/c") and not (workdir / "rh" / "c" / "config.json").exists()


def test_an_unknown_name_is_a_file_not_found_error_naming_it(workdir, home):
    before = snapshot(home.parent)
    for call in (lambda: rh.load("~/nope"), lambda: rh.ondemand_cluster(name="~/nope"), lambda: rh.cluster("~/nope")):
        with pytest.raises(rh.RhFileNotFoundError) as err:
            call()
        assert isinstance(err.value, FileNotFoundError) and "~/nope" in str(err.value)
    assert snapshot(home.parent) == before


def test_a_malformed_config_json_is_a_value_error_naming_the_file_and_is_left_alone(workdir, home):
    d = workdir / "rh" / "bad"
    d.mkdir(parents=True)
    (d / "config.json").write_bytes(b'{"name": "~/bad", "resource_type": ')
    before = snapshot(home.parent)
    with pytest.raises(rh.RhValueError) as err:
        rh.load("~/bad")
    assert str(d / "config.json") in str(err.value) and "\n" not in str(err.value)
    (d / "config.json").write_bytes(b'{"name": "~/bad", "resource_type": "cluster", "resource_subtype": "OnDemandCluster", "use_spot": "yes"}')
    with pytest.raises(rh.RhValueError, match="use_spot") as err:
        rh.load("~/bad")
    assert str(d / "config.json") in str(err.value)
    before = snapshot(home.parent)
    with pytest.raises(rh.RhValueError):
        rh.load("~/bad").save()
    assert snapshot(home.parent) == before


def test_bad_arguments_are_value_errors_and_write_nothing(workdir, home):
    before = snapshot(home.parent)
    with pytest.raises(rh.RhValueError, match="provider"):
        rh.ondemand_cluster(name="~/c", instance_type="V100:1", provider="nocloud")
    with pytest.raises(rh.RhValueError, match="reserved"):
        rh.cluster("~/s3", ips=["1.2.3.4"])
    with pytest.raises(rh.RhValueError, match="num_instances"):
        rh.ondemand_cluster(name="~/c", instance_type="m5.xlarge", num_instances=0)
    with pytest.raises(rh.RhValueError, match="needs a name"):
        rh.ondemand_cluster(instance_type="V100:1")
    with pytest.raises(rh.RhValueError):
        rh.load("not a//name")
    rh.ondemand_cluster(name="~/c", instance_type="V100:1", provider="aws")  # fine, and still not saved
    assert snapshot(home.parent) == before


def test_the_wrong_kind_is_a_value_error(workdir, home):
    rh.cluster("~/hosts", ips=["1.2.3.4"]).save()
    with pytest.raises(rh.RhValueError, match="not an on-demand cluster"):
        rh.ondemand_cluster(name="~/hosts")
    with pytest.raises(rh.RhValueError, match="not a blob"):
        rh.blob(name="~/hosts")


def test_overwrite_false_refuses_an_existing_resource(workdir, home):
    rh.ondemand_cluster(name="~/c", instance_type="V100:1", provider="aws").save()
    before = snapshot(workdir)
    with pytest.raises(rh.RhError, match="already exists"):
        rh.ondemand_cluster(name="~/c", instance_type="A100:8", provider="aws").save(overwrite=False)
    assert snapshot(workdir) == before


def login(cli, server, name, email=None, home=None):
    token = server.create_user(name, email)
    cli("login", token, "--api-server-url", server.url, home=home)
    return token


def test_a_remote_cluster_saved_from_python_is_shared_and_read_by_a_second_account_from_the_cli(
    workdir, home, tmp_path, cli, rh_server
):
    login(cli, rh_server, "alice")
    bob_home = tmp_path / "bob"
    bob_home.mkdir()
    login(cli, rh_server, "bob", home=bob_home)
    c = rh.ondemand_cluster(name="team_gpu", instance_type="A100:1", provider="aws")
    assert c.rns_address == "/alice/team_gpu"  # a bare name is remote when logged in
    c.save()
    assert not (workdir / "rh").exists()
    assert rh.exists("/alice/team_gpu")
    assert not cli("resource", "show", "/alice/team_gpu", "--json", home=bob_home, check=False).returncode == 0
    added, new = c.share(["bob", "teammate1@email.com"], access_type="write")
    assert (added, new) == ({"bob": "write"}, {"teammate1@email.com": "write"})
    shown = cli("resource", "show", "/alice/team_gpu", "--json", home=bob_home).stdout
    assert shown == str(c) + "\n"
    assert rh.load("/alice/team_gpu") == c
    assert [h["change"] for h in c.history()][-1:] != []


def test_the_tutorials_share_prints_what_runhouse_printed(workdir, home, cli, rh_server):
    login(cli, rh_server, "alice")
    c = rh.ondemand_cluster(name="c", instance_type="V100:1", provider="aws").save()
    assert repr(c.share(users=["teammate1@email.com"], access_type="write")) == "({}, {'teammate1@email.com': 'write'})"


def test_allow_reshare_reaches_the_server_and_is_for_secrets_only(workdir, home, cli, rh_server):
    login(cli, rh_server, "alice")
    c = rh.ondemand_cluster(name="reshare_c", instance_type="V100:1", provider="aws").save()
    with pytest.raises(rh.RhError, match="allow_reshare is for secrets"):
        c.share(["teammate2@email.com"], access_type="write", allow_reshare=True)
    # Nothing was shared by the refused request; without the flag the same share goes through.
    assert c.share(["teammate2@email.com"], access_type="write", notify_users=False) == (
        {},
        {"teammate2@email.com": "write"},
    )


def test_what_the_cli_saved_remotely_python_loads(workdir, home, cli, rh_server):
    login(cli, rh_server, "alice")
    cli("cluster", "create", "/alice/hosts", "--ips", "1.2.3.4")
    c = rh.cluster("/alice/hosts")
    assert type(c) is rh.Cluster and c.ips == ["1.2.3.4"]
    assert str(c) + "\n" == cli("resource", "show", "/alice/hosts", "--json").stdout


def test_sharing_a_local_resource_is_a_value_error(workdir, home, cli, rh_server):
    login(cli, rh_server, "alice")
    c = rh.ondemand_cluster(name="~/local", instance_type="V100:1", provider="aws").save()
    with pytest.raises(rh.RhValueError, match="local name"):
        c.share(["bob"])


def test_a_server_that_is_down_is_a_connection_error_and_nothing_changes(workdir, home, monkeypatch):
    monkeypatch.setenv("RH_TOKEN", "some-token")
    monkeypatch.setenv("RH_API_SERVER_URL", dead_url())
    before = snapshot(home.parent)
    with pytest.raises(rh.RhConnectionError) as err:
        rh.load("/alice/c")
    assert isinstance(err.value, ConnectionError)
    with pytest.raises(rh.RhConnectionError):
        rh.ondemand_cluster(name="/alice/c", instance_type="V100:1", provider="aws").save()
    assert "some-token" not in str(err.value)
    assert snapshot(home.parent) == before
