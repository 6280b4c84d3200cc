"""``eoscope reproduce [--out DIR]``: regenerate every figure of docs/ (the README's main job).

Without ``--out`` the figures go to docs/figures and the claims page to docs/claims.md; with ``--out DIR``
everything is written inside DIR (claims page included). The CLI has chosen matplotlib's Agg backend.
"""
from __future__ import annotations

import os
import time

from ..derivations import InputError

from ..dynamics._progress import progress_bar

from ._output_paths import check_output_folder


class Progress:
    """A job's tqdm bar (:func:`eoscope.dynamics._progress.progress_bar`): ``advance(n=1, note="")``, and callable
    as ``progress(done, total)`` so a job can hand it to a verb's ``progress=`` (each call adds what was done)."""

    def __init__(self, total: int, label: str):
        self._bar = progress_bar(True, total, label, unit="step")
        self._inner = 0

    def advance(self, n: int = 1, note: str = "") -> None:
        if note:
            self._bar.set_postfix_str(note)
        self._bar.update(n)

    def __call__(self, done: int, total: int) -> None:
        self._bar.update(max(done - self._inner, 0))
        self._inner = 0 if done >= total else done

    def close(self) -> None:
        self._bar.close()

DEFAULT_OUT = os.path.join("docs", "figures")
FIGURE_JOBS = [
    "._reproduce_single_neuron",
    "._reproduce_two_layer",
    "._reproduce_claims",
    "._reproduce_bifurcations",
    "._reproduce_phase",
]


def register(sub) -> None:
    parser = sub.add_parser("reproduce", help="regenerate every figure of docs/")
    parser.add_argument("--out", default=None,
                        help="output folder; every file is written inside it (default: docs/figures, "
                             "and the claims page to docs/claims.md)")
    parser.add_argument("--only", action="append", default=[], help="run only jobs whose name contains this")
    parser.set_defaults(func=run)


def run(args) -> int:
    import importlib

    jobs = [importlib.import_module(name, __package__) for name in FIGURE_JOBS]
    jobs = [job for job in jobs if not args.only or any(o in job.__name__ for o in args.only)]
    if not jobs:
        names = ", ".join(name.rsplit("_reproduce_", 1)[-1] for name in FIGURE_JOBS)
        raise InputError(f"--only {' '.join(args.only)}: no job matches (jobs: {names})")
    out = args.out if args.out is not None else DEFAULT_OUT
    check_output_folder(out)
    claims_page = None
    if any(job.__name__.endswith("._reproduce_claims") for job in jobs):
        from ._reproduce_claims import claims_page_path

        claims_page = claims_page_path(out, default_docs=args.out is None)  # refused before any work
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out: cannot create {out}: {exc.strerror}") from None
    start = time.perf_counter()
    written = []
    for job in jobs:
        progress = Progress(job.work_units(), job.__name__.rsplit("_reproduce_", 1)[-1])
        if job.__name__.endswith("._reproduce_claims"):
            written += job.make_figures(out, progress, page=claims_page)
        else:
            written += job.make_figures(out, progress)
        progress.close()
    for path in written:
        print(path)
    print(f"reproduce: {len(written)} figures in {time.perf_counter() - start:.1f} s", file=os.sys.stderr)
    return 0
