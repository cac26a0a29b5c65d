"""optviz: an interactive explorer of Adam and its peers.

Layers, each importing only those below it (tests/test_layers.py checks): ``optviz.core``
(optimizers, problems, engines, analyses: JAX and NumPy only), ``optviz.link`` (every page's
view as a link), ``optviz.plots`` (figure dicts: no Streamlit, no JAX), ``optviz.app`` (the
Streamlit app) and ``optviz.cli`` (the command line). docs/design.md draws them.

Importing it changes nothing in the process: the entry points set JAX up
(optviz.core.engine.devices).
"""

__version__ = "0.2.0"
