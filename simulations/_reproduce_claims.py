"""Reproduce job: regenerate docs/claims.md from the claim registry (derivations.claims.claims_markdown).

``eoscope reproduce`` writes figures into ``--out`` (default docs/figures); this job writes the claims page
next to that folder, i.e. ``<parent of --out>/claims.md`` (docs/claims.md by default). It runs no claim:
the page holds the registry's statements, assumptions and kinds of check; ``eoscope verify`` gives results.
"""
from __future__ import annotations

import os

from ._cmd_verify import write_text_atomically


def work_units() -> int:
    return 1


def claims_page_path(out: str) -> str:
    return os.path.join(os.path.dirname(os.path.abspath(out)), "claims.md")


def make_figures(out: str, progress) -> list[str]:
    from derivations.claims import claims_markdown

    path = claims_page_path(out)
    write_text_atomically(path, claims_markdown())
    progress.advance(note="docs/claims.md")
    return [path]
