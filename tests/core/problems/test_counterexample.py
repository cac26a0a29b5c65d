"""The AMSGrad counterexample (Reddi et al., 2018) with our own Adam and AMSGrad."""

import numpy as np
import pytest

from optviz.core.problems.counterexample import counterexample_hparams, reddi_path


@pytest.mark.parametrize("C", [3.0, 4.0])
def test_adam_goes_to_plus_one_and_amsgrad_to_the_optimum(C):
    adam = reddi_path("adam", C=C, lr=0.01, steps=3000)
    amsgrad = reddi_path("amsgrad", C=C, lr=0.01, steps=3000)
    assert adam[-300:].mean() > 0.95  # the wrong end: f summed over a period is (C - 2) x
    assert amsgrad[-300:].mean() < -0.95  # the optimum, x = -1
    assert np.all(np.abs(adam) <= 1) and np.all(np.abs(amsgrad) <= 1)


def test_settings_are_the_papers():
    hp = counterexample_hparams("adam", 3.0, 0.01)
    assert hp["b1"] == 0.0 and hp["b2"] == pytest.approx(0.1)


def test_matches_a_written_out_reference():
    C, lr = 3.0, 0.05
    for name, use_max in (("adam", False), ("amsgrad", True)):
        ours = reddi_path(name, C=C, lr=lr, steps=60)
        x, m, v, vmax, b2 = 0.0, 0.0, 0.0, 0.0, 1 / (1 + C * C)
        for t in range(1, 61):
            g = C if t % 3 == 1 else -1.0
            m, v = g, b2 * v + (1 - b2) * g * g
            vmax = max(vmax, v)
            x = float(np.clip(x - lr * m / (np.sqrt((vmax if use_max else v) / (1 - b2**t)) + 1e-8), -1, 1))
            assert ours[t - 1] == pytest.approx(x, abs=1e-5)
