"""The ``rh`` logger's default handler, in the tutorial's format (``INFO | 2023-06-21 22:15:57,611 | …``).

The Rust crates decide what to log; their INFO+ lines reach ``logging.getLogger("rh")``. Silence them with
``logging.getLogger("rh").setLevel(logging.WARNING)``, or replace the handler.
"""

import logging

_FORMAT = "%(levelname)s | %(asctime)s | %(message)s"


def install() -> None:
    """Adds one stream handler to the ``rh`` logger at INFO, unless it has handlers already."""
    logger = logging.getLogger("rh")
    if logger.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(_FORMAT))
    logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    logger.propagate = False
