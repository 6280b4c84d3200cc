"""One progress protocol for every long call, drawn with tqdm (``tqdm.auto``: a widget in a notebook).

progress_bar(progress, total, description, unit="point") -> a context manager with ``update(n)``

``progress`` is what a caller hands to a verb:

* ``True``: a tqdm bar on stderr with rate and ETA (``tqdm.auto`` picks the notebook widget in Jupyter);
* ``False`` or ``None``: nothing is drawn;
* a callable ``progress(done, total)``: called after each update (for GUIs and tests).

Callers update in units of work small enough that the bar advances at least every ~2 s (points of a grid, not
tiles). ``mininterval`` keeps the drawing itself cheap.
"""
from __future__ import annotations

import sys


class _Silent:
    def __init__(self, total, callback=None):
        self.total = int(total)
        self.n = 0
        self._callback = callback

    def update(self, n: int = 1) -> None:
        self.n += int(n)
        if self._callback is not None:
            self._callback(self.n, self.total)

    def set_postfix_str(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def progress_bar(progress, total: int, description: str, unit: str = "point"):
    """progress_bar(progress, total, description, unit="point") -> bar with ``update(n)``, ``close()``,
    ``set_postfix_str(text)``; usable as a context manager. See the module docstring for ``progress``."""
    if callable(progress) and not isinstance(progress, bool):
        return _Silent(total, progress)
    if not progress:
        return _Silent(total)
    from tqdm.auto import tqdm

    return tqdm(total=int(total), desc=description, unit=unit, unit_scale=int(total) >= 10_000, mininterval=0.5, file=sys.stderr,
                dynamic_ncols=True, smoothing=0.1)
