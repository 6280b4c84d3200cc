"""save_figure(fig, path, dpi=120) -> path: the one place where eoscope writes a figure to a file.

The figure functions of :mod:`eoscope.plot` only draw and return a Figure; the CLI commands and the
``eoscope reproduce`` jobs save it here, atomically (a temporary sibling renamed onto ``path``, see
:func:`._output_paths.atomic_output`), so an error or a kill never leaves a half-written PNG.
"""
from __future__ import annotations

import os

from ._output_paths import atomic_output


def save_figure(fig, path, dpi: int = 120) -> str:
    """save_figure(fig, path, dpi=120) -> path

    Write ``fig`` (a matplotlib Figure) to ``path``; the format follows the suffix (``.png``, ``.pdf``,
    ``.svg``). The figure is left open to the caller (eoscope's figures are plain ``Figure`` objects,
    not held by pyplot, so nothing leaks).

    Arguments:
        fig: the Figure to write.
        path: the output file; its folder must exist.
        dpi: resolution of raster formats.

    Returns:
        ``path`` as a string.

    Raises:
        OSError: when the file cannot be written (nothing is left at ``path``).
    """
    path = os.fspath(path)
    with atomic_output(path) as temporary:
        fig.savefig(temporary, dpi=dpi)
    return path
