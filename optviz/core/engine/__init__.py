"""The loops that run optimizers, all through one step (optviz.core.optimizers.step): single 2D
runs (one compiled program for the whole catalogue), sweeps (grids of runs laid side by side),
and network training; with the process's JAX set-up and the start-up warm-up."""
