"""The ``eoscope`` command line: a thin layer over the Python API, one verb per module.

Bad input (InputError or an argparse error) prints one line ``eoscope: error: …`` on stderr and exits
with status 2, with no traceback. A numerical failure on good input (ConvergenceError: Newton or a bracket
search that does not converge) prints one line ``eoscope: error: …`` too and exits with status 1.
"""
from __future__ import annotations

import argparse
import importlib
import os
import shlex
import sys

from ..derivations import ConvergenceError, InputError

COMMAND_MODULES = [
    "._cmd_derive",
    "._cmd_simulate",
    "._cmd_reproduce",
    "._cmd_network",
    "._cmd_verify",
    "._cmd_bifurcation",
    "._cmd_continue",
    "._cmd_critical",
    "._cmd_phase",
]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        raise InputError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="eoscope", description="Analytical and symbolic explorer of GD at the edge of stability.")
    from ..dynamics import package_version

    parser.add_argument("--version", action="version", version=f"eoscope {package_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name, __package__).register(sub)
    return parser


def _use_agg_backend() -> None:
    """The CLI draws only into files: matplotlib's non-interactive Agg backend, chosen here and nowhere else
    (the figure functions of eoscope.plot leave a notebook's backend alone). Through the environment, so that a
    command that draws nothing never imports matplotlib (nor creates its cache folders under HOME)."""
    os.environ["MPLBACKEND"] = "Agg"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _use_agg_backend()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        args.command_line = "eoscope " + shlex.join(argv)  # results record the command that made them
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            return 2
        result = args.func(args)
        return int(result or 0)
    except InputError as exc:
        message = " ".join(str(exc).split())
        print(f"eoscope: error: {message}", file=sys.stderr)
        return 2
    except ConvergenceError as exc:
        message = " ".join(str(exc).split())
        print(f"eoscope: error: {message}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `eoscope derive ... | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("eoscope: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an eoscope bug: one line unless EOSCOPE_DEBUG is set
        if os.environ.get("EOSCOPE_DEBUG"):
            raise
        print(f"eoscope: internal error: {type(exc).__name__}: {exc} (set EOSCOPE_DEBUG=1 for a traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
