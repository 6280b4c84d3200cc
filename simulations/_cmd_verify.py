"""``eoscope verify [CLAIM_ID ...] [--loss L | --loss-expr E] [--json] [--latex FILE] [--claims FILE]``

Runs registered claims (derivations.claims) and prints a table: id, kind of check, status, time,
statement; ``--json`` prints the list of result records instead; ``--latex FILE`` also writes a
self-contained LaTeX report with each derivation. ``--claims FILE`` loads a user's Python file of claims
(executed as ordinary Python: the user's own code) and, without ids, runs only those. ``--list`` shows the
registry without running it; ``--write-docs [PATH]`` regenerates docs/claims.md.

Exit status: 0 when every claim ran and none was refuted; 1 when a claim is ``refuted`` or ``error``;
2 for bad input.
"""
from __future__ import annotations

import os
import sys

from ..derivations import get_loss

from ._cli_common import check_output_path, print_json
from ._output_paths import write_text_atomically
from ..dynamics._progress import progress_bar

DEFAULT_DOCS = os.path.join("docs", "claims.md")
STATEMENT_WIDTH = 70


def register(sub) -> None:
    parser = sub.add_parser("verify", help="check the paper's claims (symbolic, certified interval, or numerical evidence)")
    parser.add_argument("ids", nargs="*", metavar="CLAIM_ID", help="claims to run (default: all; see --list)")
    parser.add_argument("--loss", help="loss for loss-dependent claims (default sqrt1p): sqrt1p, logcosh, symlogistic, square, huber")
    parser.add_argument("--loss-expr", help='custom loss ℓ(s) for loss-dependent claims, e.g. "log(cosh(s))"')
    parser.add_argument("--json", action="store_true", help="print the results as a JSON list of records")
    parser.add_argument("--latex", metavar="FILE", help="also write a self-contained LaTeX report with each derivation")
    parser.add_argument("--claims", metavar="FILE", help="load extra claims from a Python file (runs it: your own code)")
    parser.add_argument("--list", action="store_true", help="list the registered claims and exit")
    parser.add_argument("--write-docs", nargs="?", const=DEFAULT_DOCS, metavar="PATH",
                        help=f"regenerate the claims page (default {DEFAULT_DOCS}) and exit")
    parser.set_defaults(func=run)


def run(args) -> int:
    from ..derivations import claims as registry

    if args.write_docs:
        check_output_path(args.write_docs, "--write-docs")
        write_text_atomically(args.write_docs, registry.claims_markdown())
        print(args.write_docs)
        return 0
    loss = get_loss(args.loss or (None if args.loss_expr else registry.DEFAULT_LOSS), args.loss_expr,
                    require_smooth=False)  # a non-smooth loss makes claims not checkable, with the reason
    if args.latex:
        check_output_path(args.latex, "--latex")
    user_ids = []
    if args.claims:
        user_ids = [c.id for c in registry.load_claims_file(args.claims)]
    ids = list(args.ids) or user_ids
    claims = [registry.get_claim(i) for i in ids] if ids else registry.registered_claims()
    if args.list:
        if args.json:
            print_json([c.describe() for c in claims])
        else:
            for c in claims:
                print(f"{c.id:<40} {c.kind}  {c.model:<16} {_short(c.statement)}")
        return 0
    results = []
    with progress_bar(True, len(claims), "verify", unit="claim") as bar:
        for item in claims:
            results.append(registry.run_claim(item, loss))
            bar.set_postfix_str(f"{item.id}: {results[-1].status}")
            bar.update(1)
    if args.latex:
        write_text_atomically(args.latex, registry.latex_report(results))
    if args.json:
        print_json([r.to_dict() for r in results])
    else:
        print_table(results, loss)
        if args.latex:
            print(f"LaTeX report: {args.latex}")
    return 1 if any(r.status in ("refuted", "error") for r in results) else 0


def print_table(results, loss, stream=None) -> None:
    """The text table: id, kind, status, time, statement; then the message of every non-verified claim."""
    stream = stream or sys.stdout
    width = max([len("id")] + [len(r.claim.id) for r in results])
    header = f"{'id':<{width}}  kind  {'status':<13} {'time':>7}  statement"
    print(header, file=stream)
    print("-" * len(header), file=stream)
    for r in results:
        print(f"{r.claim.id:<{width}}  {r.kind:^4}  {r.status:<13} {r.seconds:6.2f}s  {_short(r.claim.statement)}", file=stream)
    counts = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    total = sum(r.seconds for r in results)
    summary = ", ".join(f"{n} {status}" for status, n in counts.items())
    print(f"\n{len(results)} claims ({summary}) in {total:.1f} s; loss-dependent claims use ℓ = {loss.label}", file=stream)
    for r in results:
        if r.status != "verified":
            print(f"  {r.claim.id} [{r.status}]: {r.outcome.message}", file=stream)
            if r.outcome.counterexample:
                print(f"    counterexample: {r.outcome.counterexample}", file=stream)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= STATEMENT_WIDTH else text[: STATEMENT_WIDTH - 1] + "…"
