"""``eoscope reproduce [--out DIR]``: regenerate every figure of docs/ (the README's main job)."""
from __future__ import annotations

import os
import time

from ..derivations import InputError

from ._output_paths import check_output_folder
from ._progress import Progress

FIGURE_JOBS = [
    "._reproduce_single_neuron",
    "._reproduce_two_layer",
    "._reproduce_claims",
    "._reproduce_bifurcations",
    "._reproduce_phase",
]


def register(sub) -> None:
    parser = sub.add_parser("reproduce", help="regenerate every figure of docs/")
    parser.add_argument("--out", default=os.path.join("docs", "figures"), help="output folder (default docs/figures)")
    parser.add_argument("--only", action="append", default=[], help="run only jobs whose name contains this")
    parser.set_defaults(func=run)


def run(args) -> int:
    import importlib

    jobs = [importlib.import_module(name, __package__) for name in FIGURE_JOBS]
    jobs = [job for job in jobs if not args.only or any(o in job.__name__ for o in args.only)]
    if not jobs:
        names = ", ".join(name.rsplit("_reproduce_", 1)[-1] for name in FIGURE_JOBS)
        raise InputError(f"--only {' '.join(args.only)}: no job matches (jobs: {names})")
    check_output_folder(args.out)
    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out: cannot create {args.out}: {exc.strerror}") from None
    start = time.perf_counter()
    written = []
    for job in jobs:
        progress = Progress(job.work_units(), job.__name__.rsplit("_reproduce_", 1)[-1])
        written += job.make_figures(args.out, progress)
        progress.close()
    for path in written:
        print(path)
    print(f"reproduce: {len(written)} figures in {time.perf_counter() - start:.1f} s", file=os.sys.stderr)
    return 0
