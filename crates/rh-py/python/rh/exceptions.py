"""The exceptions rh raises.

Each carries the Rust error's message on one line (it names the file, key or provider, never a secret
value). Catch ``rh.RhError`` for any of them, or the builtin a Python user would catch anyway.
"""


class RhError(Exception):
    """Base class of every error rh raises."""


class RhValueError(RhError, ValueError):
    """Bad input: an argument, or a malformed existing file (named in the message)."""


class RhFileNotFoundError(RhError, FileNotFoundError):
    """A missing file or resource."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class RhKeyError(RhError, KeyError):
    """A missing key or secret."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class RhPermissionError(RhError, PermissionError):
    """A file or resource rh may not read or write."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class RhConnectionError(RhError, ConnectionError):
    """A server or Vault that cannot be reached."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


__all__ = [
    "RhConnectionError",
    "RhError",
    "RhFileNotFoundError",
    "RhKeyError",
    "RhPermissionError",
    "RhValueError",
]
