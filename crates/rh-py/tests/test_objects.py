"""Resource objects as Python objects: pickle, deepcopy, repr; and the package under threads and fork."""

import copy
import json
import os
import pickle
import threading

import rh
from _workdir import workdir  # noqa: F401 - fixture


def test_a_cluster_pickles_and_deep_copies(workdir, home):
    c = rh.ondemand_cluster(name="~/aws_cluster", instance_type="V100:1", provider="aws")
    for twin in (pickle.loads(pickle.dumps(c)), copy.deepcopy(c)):
        assert type(twin) is rh.OnDemandCluster and twin == c and twin is not c
        assert twin.config_for_rns == c.config_for_rns
        twin.save()
    assert rh.load("~/aws_cluster") == c
    copied = copy.deepcopy(c)
    copied.keep_warm(5)
    assert c.autostop_mins == -1 and copied.autostop_mins == 5  # no shared state


def test_a_blob_pickles_and_deep_copies_with_its_data(workdir, home):
    b = rh.blob(b"payload", name="~/b").write()
    for twin in (pickle.loads(pickle.dumps(b)), copy.deepcopy(b)):
        assert type(twin) is rh.Blob and twin == b
        assert twin.data == b"payload" and twin.exists_in_system()
    loaded = pickle.loads(pickle.dumps(rh.load("~/b")))
    assert loaded.data == b"payload"


def test_repr_names_the_class_and_address_and_str_is_the_config(workdir, home):
    c = rh.cluster("~/hosts", ips=["1.2.3.4"])
    assert repr(c) == "<rh.Cluster ~/hosts>"
    assert json.loads(str(c)) == c.config_for_rns
    c.save()
    assert str(c).encode() == (workdir / "rh" / "hosts" / "config.json").read_bytes()
    assert repr(rh.blob(b"x", name="~/b")) == "<rh.Blob ~/b>"


def test_config_for_rns_is_a_copy(workdir, home):
    c = rh.ondemand_cluster(name="~/c", instance_type="V100:1", provider="aws")
    c.config_for_rns["provider"] = "gcp"
    assert c.provider == "aws"


def test_eight_threads_saving_and_loading_at_once(workdir, home):
    errors = []

    def work(n):
        try:
            for i in range(10):
                rh.ondemand_cluster(name=f"~/t{n}", instance_type=f"CPU:{i + 1}", provider="aws").save()
                assert rh.load(f"~/t{n}").instance_type == f"CPU:{i + 1}"
                rh.blob(f"{n}:{i}".encode(), name=f"~/b{n}").write()
                assert rh.blob(name=f"~/b{n}").data == f"{n}:{i}".encode()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [rh.load(f"~/t{n}").instance_type for n in range(8)] == ["CPU:10"] * 8
    assert sorted(p.name for p in (workdir / "rh").iterdir()) == sorted([f"t{n}" for n in range(8)] + [f"b{n}" for n in range(8)])
    # No temp file left behind by the atomic writes.
    assert sorted(p.name for p in (workdir / "rh").rglob("*") if p.is_file()) == ["config.json"] * 16


def test_a_forked_child_uses_the_package_after_the_parent(workdir, home):
    rh.ondemand_cluster(name="~/parent", instance_type="V100:1", provider="aws").save()
    rh.blob(b"from the parent", name="~/pb").write()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            parent = rh.load("~/parent")
            rh.blob(rh.blob(name="~/pb").data + b" and the child", name="~/cb").write()
            rh.ondemand_cluster(name="~/child", instance_type=parent.instance_type, provider="gcp").save()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert rh.load("~/child").instance_type == "V100:1"
    assert rh.blob(name="~/cb").data == b"from the parent and the child"
