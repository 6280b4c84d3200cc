"""Errors raised for bad user input anywhere in eoscope."""


class InputError(ValueError):
    """InputError(message)

    Bad user input: the CLI prints its message on one line and exits with status 2.

    Arguments:
        message: the reason, in one line (what was given and what is allowed).

    A subclass of ValueError, so ``except ValueError`` catches it too.
    """


class ConvergenceError(RuntimeError):
    """ConvergenceError(message)

    A numerical method failed on good input (a Newton solve that does not converge, a bracket that does not
    close). Not an input error: the CLI reports it with exit status 1, not 2.

    Arguments:
        message: what failed and why, in one line.

    A subclass of RuntimeError, not of ValueError (so ``except InputError`` does not catch it).
    """
