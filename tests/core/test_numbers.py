"""Numbers as shown: significant figures, scientific notation where values span decades."""

import math

import pytest

from optviz.core.numbers import sig


@pytest.mark.parametrize(
    "value,text",
    [
        (1e-21, "1e-21"),
        (9.9999997e-07, "1e-6"),
        (0.001234567, "0.001235"),
        (12.3456, "12.35"),
        (123456.0, "1.235e5"),
        (0.0, "0"),
        (-2.5e-9, "-2.5e-9"),
        (3.0, "3"),
        (None, ""),
        (math.nan, "nan"),
        (math.inf, "inf"),
    ],
)
def test_significant_figures(value, text):
    assert sig(value) == text
