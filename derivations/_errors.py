"""Errors raised for bad user input anywhere in eoscope."""


class InputError(ValueError):
    """Bad user input: the CLI prints its message on one line and exits with status 2."""


class ConvergenceError(RuntimeError):
    """A numerical method failed on good input (a Newton solve that does not converge, a bracket that does not
    close). Not an input error: the CLI reports it with exit status 1, not 2."""
