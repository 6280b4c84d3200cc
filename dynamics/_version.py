"""The installed eoscope version (or "0+unknown" when run from a source tree that is not installed)."""
from importlib import metadata


def package_version() -> str:
    try:
        return metadata.version("eoscope")
    except metadata.PackageNotFoundError:
        return "0+unknown"
