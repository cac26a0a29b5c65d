"""The compute core: optimizers, problems, the engines that run them, and the analyses on top.

It imports JAX, NumPy and the standard library only: never Streamlit, never Plotly
(tests/test_layers.py checks). Layers inside, each importing only those before it:
``limits``, ``numbers``; ``optimizers`` (the registry); ``spec`` (the one parser);
``problems``; ``engine``; ``analysis``.
"""
