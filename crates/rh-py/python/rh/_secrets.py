"""``rh.Secrets``: provider credentials on this machine and in the secret store (rh-ops does the work)."""

import logging
import os
from typing import Dict, List, Optional, Union

from rh import _rh

_log = logging.getLogger("rh")


class Provider:
    """A builtin provider (aws, azure, gcp, huggingface, lambda, sky, ssh, github); its repr names it."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def name(self) -> str:
        """The provider's name, lower-case: ``"aws"``."""
        return self._name

    def __repr__(self) -> str:
        return f"<rh.Provider {self._name}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Provider) and other._name == self._name

    def __hash__(self) -> int:
        return hash(self._name)

    def __reduce__(self):
        return (Provider, (self._name,))


class Secrets:
    """Provider secrets: Runhouse's ``rh.Secrets`` class methods."""

    @classmethod
    def builtin_providers(cls, as_str: bool = False) -> Union[List[Provider], List[str]]:
        """The builtin providers (Runhouse's eight in its order, then anthropic, cohere, langchain, openai,
        pinecone, wandb, kubernetes, docker), as ``Provider`` objects or (``as_str=True``) their names."""
        names = _rh.builtin_provider_names()
        return list(names) if as_str else [Provider(n) for n in names]

    @classmethod
    def save_provider_secrets(
        cls,
        secrets: Optional[Dict[str, Dict[str, str]]] = None,
        providers: Optional[List[str]] = None,
        check_enabled: bool = True,
    ) -> List[str]:
        """Writes ``{provider: {key: value}}`` into each provider's own files (``~/.aws/credentials``, …)
        and records them in ``~/.rh/config.yaml`` (``rh secrets save``). Every provider and existing file is
        checked before the first write: an unknown provider, a missing key or a malformed file raises
        ``rh.RhValueError`` with nothing written. ``providers`` keeps only those providers; with
        ``check_enabled`` a provider still not detected as configured is warned about (offline). Returns
        the providers saved.

        ``secrets=None`` downloads them from the secret store first (``rh secrets pull``: Vault directly,
        or rh-server's when logged in) and returns the providers whose files changed.
        """
        return _rh.save_provider_secrets(secrets, providers, check_enabled)

    @classmethod
    def put(
        cls,
        provider: str,
        from_env: bool = False,
        file_path: Optional[str] = None,
        secret: Optional[Dict[str, str]] = None,
    ) -> int:
        """Stores one provider's secrets in the secret store (``rh secrets put``) as a new version:
        ``secret`` if given, else the provider's env vars (``from_env``), else ``file_path`` in the
        provider's own format, else its configured local files. Custom providers need ``secret`` or a
        JSON ``file_path``. Returns the store's new version."""
        return _rh.secrets_put(provider, from_env, file_path, secret)

    @classmethod
    def get(cls, provider: str, save_to_env: bool = False) -> Dict[str, str]:
        """One provider's secrets from the secret store (``rh secrets get``); ``rh.RhKeyError`` when the
        store has none. With ``save_to_env`` a builtin provider's are also written into its local files
        (``rh secrets get --save``, Runhouse's meaning of the flag)."""
        return _rh.secrets_get(provider, save_to_env)

    @classmethod
    def download_into_env(
        cls,
        providers: Optional[List[str]] = None,
        save_locally: bool = True,
        check_enabled: bool = True,
    ) -> Optional[Dict[str, Dict[str, str]]]:
        """Downloads ``providers`` (default: every provider in the secret store). With ``save_locally`` the
        builtin ones are written into their files (``rh secrets pull``). The env vars of the providers that
        have them (aws: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``; azure; gcp) are set in
        ``os.environ``. Returns ``{provider: {key: value}}`` when not saving locally, else None."""
        values, env = _rh.secrets_download(providers, save_locally, check_enabled)
        os.environ.update(env)
        return None if save_locally else values

    @classmethod
    def upload(cls, providers: Optional[List[str]] = None) -> List[str]:
        """Uploads the local secrets of ``providers`` (default: every configured provider) to the secret
        store (``rh secrets push --yes``); returns the providers uploaded (unchanged ones are skipped)."""
        uploaded = _rh.secrets_upload(providers)
        if not uploaded:
            _log.info("Vault already holds these secrets; nothing to upload")
        return uploaded

    @classmethod
    def delete_from_vault(cls, providers: Optional[List[str]] = None) -> List[str]:
        """Deletes ``providers`` (default: every configured provider) from the secret store only
        (``rh secrets delete --remote``); the local files stay. Returns the providers asked for."""
        return _rh.secrets_delete_remote(providers)

    @classmethod
    def enabled_providers(cls, as_str: bool = False) -> Union[List[Provider], List[str]]:
        """The builtin providers detected as configured on this machine, offline (``rh secrets status``),
        in Runhouse's order, as ``Provider`` objects or (``as_str=True``) names."""
        names = _rh.enabled_provider_names()
        return list(names) if as_str else [Provider(n) for n in names]

    @classmethod
    def load_provider_secrets(
        cls, from_env: bool = False, providers: Optional[List[str]] = None
    ) -> Dict[str, Dict[str, str]]:
        """``{provider: {key: value}}`` read on this machine for ``providers`` (default: the configured
        ones) from their files or, with ``from_env``, their env vars. Providers without secrets are left
        out; nothing is sent anywhere."""
        return _rh.load_provider_secrets(from_env, providers)


__all__ = ["Provider", "Secrets"]
