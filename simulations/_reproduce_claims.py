"""Reproduce job: regenerate docs/claims.md from the claim registry (derivations.claims.claims_markdown).

``eoscope reproduce`` without ``--out`` writes the figures into docs/figures and this page to docs/claims.md
(into docs/figures when docs/claims.md is a user's own file); ``eoscope reproduce --out DIR`` writes only
inside DIR, this page as DIR/claims.md. A file this job did not generate is never overwritten. It runs no claim:
the page holds the registry's statements, assumptions and kinds of check; ``eoscope verify`` gives results.
"""
from __future__ import annotations

import os

from ..derivations import InputError

from ._output_paths import write_text_atomically

DEFAULT_PAGE = os.path.join("docs", "claims.md")


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


def claims_page_path(out: str, default_docs: bool = False) -> str:
    """Where the claims page goes. With ``default_docs`` (``eoscope reproduce`` without ``--out``):
    docs/claims.md when it is absent or a generated page, else ``<out>/claims.md``. Otherwise
    ``<out>/claims.md``: a run with ``--out`` writes only inside it. InputError when the chosen file is a
    user's own (never overwritten)."""
    if default_docs and _is_generated_page(DEFAULT_PAGE):
        return DEFAULT_PAGE
    path = os.path.join(os.path.abspath(out), "claims.md")
    if not _is_generated_page(path):
        raise InputError(f"--out: {path} exists and is not a claims page eoscope generated; it is left alone "
                         "(choose another --out or --only another job)")
    return path


def make_figures(out: str, progress, page: str | None = None) -> list[str]:
    from ..derivations.claims import claims_markdown

    path = page or claims_page_path(out)
    write_text_atomically(path, claims_markdown())
    progress.advance(note="claims page")
    return [path]
