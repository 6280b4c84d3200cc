"""eoscope: an analytical and symbolic explorer of gradient-descent dynamics at the edge of stability."""
from .dynamics import package_version as _package_version

__version__ = _package_version()
