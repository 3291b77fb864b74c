"""``rh.Secrets``: provider credentials on this machine (rh-secrets does the work)."""

from typing import Dict, List, Optional, Union

from rh import _rh


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
        """The eight builtin providers in Runhouse's order, as ``Provider`` objects or (``as_str=True``)
        their names."""
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
        and records them in ``~/.rh/config.yaml``. Every provider and existing file is checked before the
        first write: an unknown provider, a missing key or a malformed file raises ``rh.RhValueError`` with
        nothing written. ``providers`` keeps only those providers; with ``check_enabled`` a provider still
        not detected as configured is warned about (offline). Returns the providers saved.

        ``secrets=None`` (Runhouse: download them from Vault first) is not available yet.
        """
        if secrets is None:
            raise NotImplementedError(
                "save_provider_secrets(secrets=None) downloads from Vault, which rh's Python package cannot do yet"
            )
        return _rh.save_provider_secrets(secrets, providers, check_enabled)


__all__ = ["Provider", "Secrets"]
