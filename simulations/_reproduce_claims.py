"""Reproduce job: regenerate docs/claims.md from the claim registry (derivations.claims.claims_markdown).

``eoscope reproduce`` writes figures into ``--out`` (default docs/figures); this job writes the claims page
next to that folder when its parent is a ``docs`` folder whose claims.md is absent or a page this job
generated (docs/claims.md by default), and into ``--out`` itself otherwise: a user's own file is never
overwritten. It runs no claim:
the page holds the registry's statements, assumptions and kinds of check; ``eoscope verify`` gives results.
"""
from __future__ import annotations

import os

from ._output_paths import write_text_atomically


def work_units() -> int:
    return 1


GENERATED_HEADER = "<!-- Generated from the claim registry"


def _is_generated_page(path: str) -> bool:
    """Whether ``path`` is absent or a page this job wrote (it starts with :data:`GENERATED_HEADER`)."""
    if not os.path.lexists(path):
        return True
    if os.path.islink(path) or not os.path.isfile(path):
        return False
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read(len(GENERATED_HEADER)) == GENERATED_HEADER


def claims_page_path(out: str) -> str:
    """``<parent>/claims.md`` when ``out``'s parent is a ``docs`` folder whose claims.md is absent or generated
    (docs/claims.md for the default docs/figures), else ``<out>/claims.md``: a user's own claims.md is
    never overwritten."""
    parent = os.path.dirname(os.path.abspath(out))
    beside = os.path.join(parent, "claims.md")
    if os.path.basename(parent) == "docs" and _is_generated_page(beside):
        return beside
    return os.path.join(os.path.abspath(out), "claims.md")


def make_figures(out: str, progress) -> list[str]:
    from ..derivations.claims import claims_markdown

    path = claims_page_path(out)
    write_text_atomically(path, claims_markdown())
    progress.advance(note="docs/claims.md")
    return [path]
