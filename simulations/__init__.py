"""eoscope.simulations: everything at scale and everything a user touches: sweeps, stores, figures, the CLI."""
