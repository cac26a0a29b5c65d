"""optviz: an interactive explorer of Adam and its peers.

Layers, each importing only those below it (tests/test_layers.py checks): ``optviz.core``
(optimizers, problems, engines, analyses: JAX and NumPy only), ``optviz.link`` (every page's
view as a link), ``optviz.plots`` (figure dicts: no Streamlit, no JAX), ``optviz.app`` (the
Streamlit app) and ``optviz.cli.main`` (the command line). docs/design.md draws them.
"""

from optviz.core.engine.devices import tune_for_this_cpu

__version__ = "0.1.0"

tune_for_this_cpu()  # before anything runs on JAX (see optviz.core.engine.devices)
