"""A trivial cached numba function whose first call pays numba's one-off runtime start-up."""
from numba import njit


@njit(cache=True)
def numba_runtime_probe(value):
    return value + 1.0
