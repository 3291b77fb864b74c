"""Drives the original Runhouse 0.0.7 client against a running rh-server (run by `cargo xtask compat`).

Environment: RH_COMPAT_URL (the server), RH_COMPAT_TOKEN (alice's token), RH_COMPAT_BOB_TOKEN (bob's),
RH_COMPAT_WORK (a scratch dir), RH_COMPAT_SECRETS=1 when the server has a Vault behind /user/secret.
HOME must be a throwaway directory: the client writes ~/.rh/config.yaml.
Prints one line per step and exits 1 if any step failed.
"""

import json
import os
import sys
import traceback
from pathlib import Path

URL = os.environ["RH_COMPAT_URL"]
TOKEN = os.environ["RH_COMPAT_TOKEN"]
BOB_TOKEN = os.environ["RH_COMPAT_BOB_TOKEN"]
WORK = Path(os.environ["RH_COMPAT_WORK"])
SECRETS = os.environ.get("RH_COMPAT_SECRETS") == "1"

# The client reads api_server_url from ~/.rh/config.yaml when it is imported.
rh_dir = Path.home() / ".rh"
rh_dir.mkdir(parents=True, exist_ok=True)
(rh_dir / "config.yaml").write_text(f"api_server_url: {URL}\n")
os.chdir(WORK)

import requests  # noqa: E402

import runhouse as rh  # noqa: E402
from runhouse.rh_config import configs, rns_client  # noqa: E402

failed = []


def step(name):
    def wrap(fn):
        try:
            fn()
            print(f"ok    {name}", flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported, then the next step runs
            failed.append(name)
            print(f"FAIL  {name}: {type(e).__name__}: {e}", flush=True)
            traceback.print_exc(file=sys.stderr)
        return fn

    return wrap


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def as_bob(method, path, **kw):
    return requests.request(method, f"{URL}{path}", headers={"Authorization": f"Bearer {BOB_TOKEN}"}, **kw)


@step("rh.login(token, download_config=True) stores username, token and default_folder")
def _():
    rh.login(
        token=TOKEN,
        download_config=True,
        upload_config=False,
        download_secrets=False,
        upload_secrets=False,
        interactive=False,
    )
    check(configs.get("username") == "alice", f"username {configs.get('username')!r}")
    check(configs.get("token") == TOKEN, "token not stored")
    check(configs.get("default_folder") == "/alice", f"default_folder {configs.get('default_folder')!r}")
    check("rns" in rns_client.save_to, f"save_to {rns_client.save_to}")


@step("configs.upload_defaults() of the whole config is refused (it carries api_server_url); user defaults round-trip")
def _():
    configs.set("default_autostop", 45)
    # rh-server takes only user defaults (issue 15.3): the client's whole cache holds api_server_url.
    try:
        configs.upload_defaults()
        refused = ""
    except Exception as e:  # noqa: BLE001 - the client raises a bare Exception with the status code
        refused = str(e)
    check("400" in refused, f"the whole config was accepted ({refused!r})")
    configs.upload_defaults(defaults={"default_autostop": 45})
    got = configs.download_defaults()
    check(got.get("default_autostop") == 45, f"downloaded {got}")
    user = requests.get(f"{URL}/user/", headers=configs.request_headers).json()["data"]
    check("token" not in user["config"], "the token was stored server-side")
    check("api_server_url" not in user["config"], "an endpoint key was stored server-side")


@step("rh.login(token, upload_config=True) is refused (the config names api_server_url); a bad token is refused")
def _():
    configs.set("default_provider", "aws")
    try:
        rh.login(
            token=TOKEN,
            download_config=False,
            upload_config=True,
            download_secrets=False,
            upload_secrets=False,
            interactive=False,
        )
        refused = ""
    except Exception as e:  # noqa: BLE001 - as above
        refused = str(e)
    check("400" in refused, f"the whole config was accepted ({refused!r})")
    check(configs.download_defaults().get("default_provider") != "aws", "a refused upload was stored")
    r = requests.get(f"{URL}/user/", headers={"Authorization": "Bearer rh_not-a-token"})
    check(r.status_code == 401, f"bad token got {r.status_code}")


blob_path = str(WORK / "compat-blob.pickle")


@step("rh.blob(name='/alice/compat-blob', ...).save() creates the resource (PUT 404 -> POST)")
def _():
    b = rh.blob(name="/alice/compat-blob", path=blob_path, system="file", data=b"hello")
    b.write()
    b.save()
    check(rh.exists("/alice/compat-blob"), "rh.exists is False after save")


@step("bare names resolve into the default folder: rh.exists('compat-blob')")
def _():
    check(rh.exists("compat-blob"), "rh.exists('compat-blob') is False")
    check(not rh.exists("/alice/no-such-thing"), "rh.exists of a missing resource is True")


@step("rh.load('/alice/compat-blob') returns the blob with its path and system")
def _():
    b = rh.load("/alice/compat-blob", dryrun=True)
    check(type(b).__name__ == "Blob", f"loaded {type(b).__name__}")
    check(b.path == blob_path, f"path {b.path!r}")


@step("saving a changed blob updates it (PUT 200); saving it unchanged is a no-op (PUT 422)")
def _():
    other = str(WORK / "compat-blob-2.pickle")
    b = rh.blob(name="/alice/compat-blob", path=other, system="file", dryrun=True)
    b.save()
    b.save()
    check(rh.load("/alice/compat-blob", dryrun=True).path == other, "update not visible")


@step("resource.history() lists every version, newest first, with the config of each")
def _():
    b = rh.load("/alice/compat-blob", dryrun=True)
    hist = b.history()
    check(isinstance(hist, list) and len(hist) == 2, f"history {json.dumps(hist)[:300]}")
    check(hist[0]["data"]["data"]["path"].endswith("compat-blob-2.pickle"), f"newest {hist[0]}")
    check(hist[1]["data"]["data"]["path"] == blob_path, f"oldest {hist[1]}")
    check(len(b.history(num_entries=1)) == 1, "num_entries ignored")


@step("rh.folder(name='/alice/compat-folder', ...).save() and rh.load of it")
def _():
    f = rh.folder(name="/alice/compat-folder", path=str(WORK), system="file", dryrun=True)
    f.save()
    g = rh.load("/alice/compat-folder", dryrun=True)
    check(type(g).__name__ == "Folder", f"loaded {type(g).__name__}")


@step("a cluster config: rh.cluster(name='/alice/compat-cluster', ips=..., ssh_creds=...).save()")
def _():
    c = rh.cluster(
        name="/alice/compat-cluster",
        ips=["10.1.2.3"],
        ssh_creds={"ssh_user": "ubuntu", "ssh_private_key": "~/.ssh/compat"},
        dryrun=True,
    )
    c.save()
    got = rns_client.load_config("/alice/compat-cluster")
    check(got.get("ips") == ["10.1.2.3"], f"config {got}")
    check(got.get("resource_type") == "cluster", f"config {got}")


@step("resource.share(users=['bob', 'carol@example.com'], access_type='read') and bob can read it")
def _():
    c = rh.cluster(name="/alice/compat-cluster", dryrun=True)
    check(as_bob("GET", "/resource/alice:compat-cluster").status_code == 404, "bob reads before the share")
    added, new = c.share(users=["bob", "carol@example.com"], access_type="read", notify_users=True)
    check(added == {"bob": "read"}, f"added_users {added}")
    check(new == {"carol@example.com": "read"}, f"new_users {new}")
    r = as_bob("GET", "/resource/alice:compat-cluster")
    check(r.status_code == 200 and r.json()["data"]["data"]["ips"] == ["10.1.2.3"], f"bob got {r.status_code}")
    r = as_bob("PUT", "/resource/alice:compat-cluster", data=json.dumps({"name": "/alice/compat-cluster"}))
    check(r.status_code == 403, f"bob's update got {r.status_code}")


@step("share(access_type='write') lets bob update")
def _():
    c = rh.cluster(name="/alice/compat-cluster", dryrun=True)
    added, _ = c.share(users=["bob"], access_type="write", notify_users=False)
    check(added == {"bob": "write"}, f"added_users {added}")
    cfg = as_bob("GET", "/resource/alice:compat-cluster").json()["data"]
    cfg["data"]["ips"] = ["10.9.9.9"]
    r = as_bob("PUT", "/resource/alice:compat-cluster", data=json.dumps(cfg))
    check(r.status_code == 200, f"bob's update got {r.status_code}: {r.text}")
    check(rns_client.load_config("/alice/compat-cluster")["ips"] == ["10.9.9.9"], "update not visible to alice")


if SECRETS:

    @step("rh.Secrets.put / get / download_into_env / delete_from_vault through /user/secret")
    def _():
        rh.Secrets.put(provider="compat", secret={"api_key": "compat-key-1"})
        check(rh.Secrets.get(provider="compat") == {"api_key": "compat-key-1"}, "get after put")
        everything = rh.Secrets.download_into_env(save_locally=False)
        check(everything.get("compat") == {"api_key": "compat-key-1"}, f"download has {sorted(everything)}")
        rh.Secrets.delete_from_vault(providers=["compat"])
        r = requests.get(f"{URL}/user/secret/compat", headers=configs.request_headers)
        check(r.status_code == 404 or not r.json().get("data", {}).get("compat"), f"after delete {r.status_code}")

else:
    print("skip  secrets (the server has no Vault: set VAULT_ADDR and VAULT_TOKEN)", flush=True)


@step("deleting: rns_client.delete_configs(blob) removes it; rh.exists is False")
def _():
    b = rh.load("/alice/compat-blob", dryrun=True)
    b.delete_configs()
    check(not rh.exists("/alice/compat-blob"), "still exists after delete")


if failed:
    print(f"{len(failed)} step(s) failed: {failed}", flush=True)
    sys.exit(1)
print("all steps passed", flush=True)
