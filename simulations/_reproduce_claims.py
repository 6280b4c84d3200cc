"""Reproduce job: regenerate docs/claims.md from the claim registry (derivations.claims.claims_markdown).

``eoscope reproduce`` writes figures into ``--out`` (default docs/figures); this job writes the claims page
next to that folder when its parent is a ``docs`` folder (docs/claims.md by default), and into ``--out``
itself otherwise, so that reproduce writes nowhere but where it is pointed. It runs no claim:
the page holds the registry's statements, assumptions and kinds of check; ``eoscope verify`` gives results.
"""
from __future__ import annotations

import os

from ._cmd_verify import write_text_atomically


def work_units() -> int:
    return 1


def claims_page_path(out: str) -> str:
    parent = os.path.dirname(os.path.abspath(out))
    return os.path.join(parent if os.path.basename(parent) == "docs" else os.path.abspath(out), "claims.md")


def make_figures(out: str, progress) -> list[str]:
    from derivations.claims import claims_markdown

    path = claims_page_path(out)
    write_text_atomically(path, claims_markdown())
    progress.advance(note="docs/claims.md")
    return [path]
