"""The installed eoscope version (or "0+unknown" when run from a source tree that is not installed)."""
from functools import lru_cache
from importlib import metadata


@lru_cache(maxsize=1)  # read once per process: every result records it when it is made
def package_version() -> str:
    """package_version() -> str

    The installed eoscope version, as the package metadata gives it (``eoscope.__version__``).

    Returns:
        str: e.g. ``"0.1.0"``, or ``"0+unknown"`` when eoscope runs from a source tree that is not installed.
    """
    try:
        return metadata.version("eoscope")
    except metadata.PackageNotFoundError:
        return "0+unknown"
