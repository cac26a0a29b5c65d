"""optviz: an interactive explorer of Adam and its peers.

The compute core (optimizers, surfaces, trajectory, spec) uses only JAX, NumPy and the
standard library; ``optviz.plots`` builds Plotly figures; ``optviz.ui`` is the Streamlit app.
"""

from .jaxsetup import tune_for_this_cpu

__version__ = "0.1.0"

tune_for_this_cpu()  # before anything runs on JAX (see jaxsetup)
