"""Named secrets: Runhouse 0.0.14's ``rh.secret(...)``, ``rh.provider_secret(...)`` and ``rh.Secret``.

A secret is a resource of its own: ``~/name`` is kept on this machine (``~/.rh/secrets/<name>.json``, 0600),
``/alice/name`` by rh-server. The rules of the factories and their error texts live in rh-ops (the same
operations as ``rh secrets create|show|rm|write``); this module only gives them Python shapes.
"""

from typing import Dict, List, Optional

from rh import _rh


class Secret:
    """A secret: a name (``None`` while only in memory), an optional provider, and its values."""

    __slots__ = ("_name", "_provider", "_values")

    def __init__(self, name: Optional[str] = None, values: Optional[Dict[str, str]] = None,
                 provider: Optional[str] = None) -> None:
        self._name = name
        self._provider = provider
        self._values = dict(values or {})

    @property
    def name(self) -> Optional[str]:
        """``~/name`` or ``/alice/name``; ``None`` for a secret not saved under a name."""
        return self._name

    @property
    def provider(self) -> Optional[str]:
        """The provider (``"openai"``), or ``None`` for a plain secret."""
        return self._provider

    @property
    def values(self) -> Dict[str, str]:
        """The values (a copy)."""
        return dict(self._values)

    @classmethod
    def from_name(cls, name: str) -> "Secret":
        """Loads the secret ``name``; ``rh.RhKeyError`` naming it when there is none."""
        return _make(_rh.make_secret(name=name))

    def save(self, name: Optional[str] = None) -> "Secret":
        """Saves it as ``name`` (default: its name, else its provider), replacing one of that name."""
        target = name or self._name or self._provider
        if not target:
            raise ValueError("A name must be provided to save a secret.")
        self._name = _rh.save_secret(target, self._values, self._provider)
        return self

    def delete(self) -> None:
        """Deletes the saved secret (its file or rh-server's copy)."""
        if not self._name:
            raise ValueError("This secret has no name: it was never saved.")
        _rh.delete_secret(self._name)

    def write(self, path: Optional[str] = None, env: bool = False) -> List[str]:
        """Writes the saved secret into its provider's own files, a JSON file at ``path``, or (``env``) the
        ``export`` lines of ``~/.rh/secrets/<name>.env``; returns the files written."""
        if not self._name:
            raise ValueError("Save the secret before writing it.")
        return _rh.write_secret(self._name, path, env)

    def __repr__(self) -> str:  # never the values
        kind = f" {self._provider}" if self._provider else ""
        return f"<rh.Secret{kind} {self._name or '(unsaved)'} keys={sorted(self._values)}>"


class ProviderSecret(Secret):
    """A secret of one provider (``aws``, ``openai``…, or a custom one)."""

    __slots__ = ()


def _make(made) -> Secret:
    name, provider, values = made
    cls = ProviderSecret if provider else Secret
    return cls(name=name, values=values, provider=provider)


def secret(name: Optional[str] = None, values: Optional[Dict[str, str]] = None,
           provider: Optional[str] = None) -> Secret:
    """Runhouse's ``rh.secret``: with ``provider``, as ``provider_secret``; with ``values``, an in-memory
    secret; with a name only, the saved secret of that name. Neither → ``ValueError``
    "values must be provided for an in-memory secret."."""
    return _make(_rh.make_secret(name=name, values=values, provider=provider))


def provider_secret(provider: Optional[str] = None, name: Optional[str] = None,
                    values: Optional[Dict[str, str]] = None, path: Optional[str] = None,
                    env_vars: Optional[Dict[str, str]] = None) -> ProviderSecret:
    """Runhouse's ``rh.provider_secret``: at most one of ``values``, ``path`` (a file in the provider's
    format) and ``env_vars`` (key → variable name). None of them for a builtin provider → its default file,
    then its env vars (else ``ValueError``); for another provider → the saved secret of that name."""
    return _make(_rh.make_secret(name=name, values=values, provider=provider, path=path,
                                 env_vars=env_vars, provider_call=True))


__all__ = ["ProviderSecret", "Secret", "provider_secret", "secret"]
