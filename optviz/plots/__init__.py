"""Plotly figure builders: NumPy arrays in, plain figure dicts out. No Streamlit, no JAX here.

The dicts follow Plotly's figure schema; the tests check every builder's output against it
(``go.Figure(fig)`` validates), so the app can send them without validating them again on
every rerun, which cost more than the rest of a rerun together.
"""
