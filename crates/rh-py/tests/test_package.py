"""The installed distribution itself: one abi3 wheel, typed, not linked to a libpython, exports as documented."""

import copy
import importlib.metadata
import pathlib
import pickle
import subprocess

import rh
import rh._rh

DIST = "rh-secrets-rns"


def test_the_wheel_is_abi3_for_cpython_3_9_and_up():
    wheel = importlib.metadata.distribution(DIST).read_text("WHEEL")
    tags = [line.split(": ", 1)[1] for line in wheel.splitlines() if line.startswith("Tag: ")]
    assert tags and all(t.startswith("cp39-abi3-") for t in tags), wheel
    assert importlib.metadata.metadata(DIST)["Requires-Python"] == ">=3.9"


def test_the_native_module_is_abi3_and_does_not_link_libpython():
    so = pathlib.Path(rh._rh.__file__)
    assert so.name == "_rh.abi3.so"
    needed = subprocess.run(["ldd", str(so)], capture_output=True, text=True, check=True).stdout
    assert "libpython" not in needed, needed


def test_stubs_and_py_typed_are_installed():
    pkg = pathlib.Path(rh.__file__).parent
    for name in ("py.typed", "__init__.pyi", "_rh.pyi"):
        assert (pkg / name).is_file(), name
    assert "def save_provider_secrets" in (pkg / "__init__.pyi").read_text()


def test_every_exported_name_exists_and_is_documented():
    for name in rh.__all__:
        obj = getattr(rh, name)
        if name != "__version__":
            assert (obj.__doc__ or "").strip(), name
    assert rh.__version__ == importlib.metadata.version(DIST)


def test_providers_pickle_and_deepcopy():
    aws = rh.Secrets.builtin_providers()[0]
    assert pickle.loads(pickle.dumps(aws)) == aws
    assert copy.deepcopy(aws) == aws and repr(copy.deepcopy(aws)) == "<rh.Provider aws>"
