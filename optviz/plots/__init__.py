"""Plotly figure builders: NumPy arrays in, ``go.Figure`` out. No Streamlit, no JAX here."""
