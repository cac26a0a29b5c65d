"""Plotly charts without the per-rerun validation: the figure dicts are checked by the tests.

``st.plotly_chart`` validates a dict by building a ``go.Figure`` from it (property by
property) and then deep-copies it: on the Surfaces page that was a third of a rerun's time.
The figure builders in :mod:`optviz.plots` are tested against Plotly's schema instead, and
their dicts, encoded once (arrays as base64 typed arrays), reach Streamlit wrapped in
:class:`Checked`, which Streamlit takes as an already validated figure.
"""

from __future__ import annotations

from plotly.basedatatypes import BaseFigure

from optviz.plots.common import encode


class Checked(BaseFigure):
    """An encoded figure dict that Streamlit passes on as it is (``to_dict`` returns it)."""

    def __init__(self, fig: dict):
        object.__setattr__(self, "_fig", fig)

    def to_dict(self) -> dict:
        return self._fig


def chart(target, fig: dict, key: str | None = None, **kwargs):
    """Draw a figure dict from :mod:`optviz.plots` in ``target`` (``st``, a column, a placeholder)."""
    return target.plotly_chart(Checked(encode(fig)), key=key, **kwargs)
