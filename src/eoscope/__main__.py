"""``python -m eoscope``: the command line."""
import sys

from .simulations.cli import main

sys.exit(main())
