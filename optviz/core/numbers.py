"""Numbers as people read them: significant figures, and powers of ten where values span decades."""

from __future__ import annotations

import math


def sig(value, digits: int = 4) -> str:
    """``value`` to ``digits`` significant figures: 0.001234, 12.35, 1e-21, 1.235e5; '' for None.

    Fixed decimals print 1e-21 as 0.000000000000000000001 (or as 0); here the notation follows
    the value, and exponents lose their padding (1e-6, not 1e-06).
    """
    if value is None:
        return ""
    value = float(value)
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text
