"""Errors raised for bad user input anywhere in eoscope."""


class InputError(ValueError):
    """Bad user input: the CLI prints its message on one line and exits with status 2."""
