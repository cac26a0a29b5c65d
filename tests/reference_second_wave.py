"""Float64 references for the second wave of optimizers (LAMB to SAM), and cautious masking,
written out in NumPy from each reference's own statement: optax's transforms for the optax ones,
the AGI-Arena/MARS repository's update_fn for MARS, nikhilvyas/SOAP's step for SOAP, C-Optim's
c_adamw.py for the cautious mask. tests/reference.py merges them into its tables.

Nothing here imports optviz.
"""

from __future__ import annotations

import numpy as np


def _zeros(x):
    return np.zeros_like(x)


def _norm(x):
    return float(np.sqrt(np.sum(x * x)))


def cautious(u, g, hp):
    """C-AdamW's mask: 1[u g > 0] / max(mean, 1e-3); ones when cautious is off."""
    if not hp.get("cautious", 0):
        return np.ones_like(u)
    phi = (u * g > 0).astype(np.float64)
    return phi / max(phi.mean(), 1e-3)


def adamw(x, g, s, hp):
    """torch.optim.AdamW; with cautious=1, C-AdamW."""
    x = x * (1 - hp["lr"] * hp["weight_decay"])
    s["t"] = t = s.get("t", 0) + 1
    s["m"] = m = hp["b1"] * s.get("m", _zeros(x)) + (1 - hp["b1"]) * g
    s["v"] = v = hp["b2"] * s.get("v", _zeros(x)) + (1 - hp["b2"]) * g * g
    denom = np.sqrt(v / (1 - hp["b2"] ** t)) + hp["eps"]
    return x - hp["lr"] / (1 - hp["b1"] ** t) * m * cautious(m, g, hp) / denom


def lion(x, g, s, hp):
    """Chen et al. 2023, Algorithm 2; with cautious=1, C-Lion masked as C-AdamW masks."""
    m = s.get("m", _zeros(x))
    u = np.sign(hp["b1"] * m + (1 - hp["b1"]) * g)
    x = x - hp["lr"] * (u * cautious(u, g, hp) + hp["weight_decay"] * x)
    s["m"] = hp["b2"] * m + (1 - hp["b2"]) * g
    return x


def ademamix(x, g, s, hp):
    """optax.contrib.ademamix; with cautious=1 the adaptive term masked."""
    t = s["t"] = s.get("t", 0) + 1
    m1 = s["m1"] = hp["b1"] * s.get("m1", _zeros(x)) + (1 - hp["b1"]) * g
    m2 = s["m2"] = hp["b3"] * s.get("m2", _zeros(x)) + (1 - hp["b3"]) * g
    nu = s["nu"] = hp["b2"] * s.get("nu", _zeros(x)) + (1 - hp["b2"]) * g * g
    u = (m1 / (1 - hp["b1"] ** t) + hp["alpha"] * m2) / (np.sqrt(nu / (1 - hp["b2"] ** t)) + hp["eps"])
    return x - hp["lr"] * (u * cautious(u, g, hp) + hp["weight_decay"] * x)


def lamb(x, g, s, hp):
    """optax.lamb: scale_by_adam, add_decayed_weights, scale_by_trust_ratio, scale by -lr."""
    t = s["t"] = s.get("t", 0) + 1
    m = s["m"] = hp["b1"] * s.get("m", _zeros(x)) + (1 - hp["b1"]) * g
    v = s["v"] = hp["b2"] * s.get("v", _zeros(x)) + (1 - hp["b2"]) * g * g
    u = (m / (1 - hp["b1"] ** t)) / (np.sqrt(v / (1 - hp["b2"] ** t) + hp["eps_root"]) + hp["eps"])
    u = u + hp["weight_decay"] * x
    pn, un = _norm(x), _norm(u)
    ratio = 1.0 if pn == 0 or un == 0 else pn / un
    return x - hp["lr"] * ratio * u


def lars(x, g, s, hp):
    """optax.lars: add_decayed_weights, scale_by_trust_ratio(c, eps), scale by -lr, trace."""
    u = g + hp["weight_decay"] * x
    pn, un = _norm(x), _norm(u)
    ratio = 1.0 if pn == 0 or un == 0 else hp["trust_coefficient"] * pn / (un + hp["eps"])
    u = -hp["lr"] * ratio * u
    s["f"] = f = u + hp["momentum"] * s.get("f", _zeros(x))
    return x + (u + hp["momentum"] * f if hp["nesterov"] else f)


def signum(x, g, s, hp):
    """optax.signum: an EMA without debiasing, its sign, scaled by -lr."""
    s["m"] = m = hp["beta"] * s.get("m", _zeros(x)) + (1 - hp["beta"]) * g
    return x - hp["lr"] * np.sign(m)


def adan(x, g, s, hp):
    """optax.scale_by_adan (Xie et al. 2022, Algorithm 1), then decay and -lr."""
    b1, b2, b3 = hp["b1"], hp["b2"], hp["b3"]
    d = _zeros(x) if "prev" not in s else g - s["prev"]
    s["m"] = m = b1 * s.get("m", _zeros(x)) + (1 - b1) * g
    s["v"] = v = b2 * s.get("v", _zeros(x)) + (1 - b2) * d
    s["n"] = n = b3 * s.get("n", _zeros(x)) + (1 - b3) * (g + (1 - b2) * d) ** 2
    s["prev"] = g
    s["t"] = t = s.get("t", 0) + 1
    u = (m / (1 - b1**t) + (1 - b2) * v / (1 - b2**t)) / (np.sqrt(n / (1 - b3**t) + hp["eps_root"]) + hp["eps"])
    return x - hp["lr"] * (u + hp["weight_decay"] * x)


def simplified_ademamix(x, g, s, hp):
    """optax.contrib.simplified_ademamix: m = b1 m + g (undamped), Adam's v, then alpha g."""
    s["m"] = m = hp["b1"] * s.get("m", _zeros(x)) + g
    s["n"] = n = hp["b2"] * s.get("n", _zeros(x)) + (1 - hp["b2"]) * g * g
    s["t"] = t = s.get("t", 0) + 1
    u = (m + hp["alpha"] * g) / (np.sqrt(n / (1 - hp["b2"] ** t) + hp["eps_root"]) + hp["eps"])
    return x - hp["lr"] * (u + hp["weight_decay"] * x)


def mars(x, g, s, hp):
    """AGI-Arena/MARS update_fn, mars-adamw, is_approx=True (last_grad starts at zero), the
    vector treated by MARS (optimize_1d=True); cautious=1 masks exp_avg/denom against g."""
    b1, b2 = hp["b1"], hp["b2"]
    s["t"] = t = s.get("t", 0) + 1
    c = (g - s.get("last", _zeros(x))) * (hp["gamma"] * (b1 / (1 - b1))) + g
    if _norm(c) > 1:
        c = c / _norm(c)
    s["m"] = m = b1 * s.get("m", _zeros(x)) + (1 - b1) * c
    s["v"] = v = b2 * s.get("v", _zeros(x)) + (1 - b2) * c * c
    s["last"] = g
    denom = (np.sqrt(v) / np.sqrt(1 - b2**t) + hp["eps"]) * (1 - b1**t)
    u = m / denom
    return x - hp["lr"] * (x * hp["weight_decay"] + u * cautious(u, g, hp))


def dog(x, g, s, hp):
    """optax.contrib.dog with init_step=("heuristic", init_step)."""
    if "x0" not in s:
        s.update(x0=x.copy(), r=hp["init_step"] * (1 + _norm(x)), G=0.0)
    u = g + hp["weight_decay"] * x
    s["r"] = max(s["r"], _norm(s["x0"] - x))
    s["G"] += _norm(u) ** 2
    return x - hp["lr"] * s["r"] / np.sqrt(s["G"] + hp["eps"]) * u


def dadapt_adamw(x, g, s, hp):
    """optax.contrib.dadapt_adamw's update_fn."""
    b1, b2 = hp["b1"], hp["b2"]
    sb2 = b2**0.5
    if "d" not in s:
        s.update(d=hp["estim_lr0"], m=_zeros(x), v=_zeros(x), sk=_zeros(x), r=0.0, t=0)
    s["t"] += 1
    t = s["t"]
    dlr = s["d"] * hp["lr"] * (1 - b2**t) ** 0.5 / (1 - b1**t)
    acc = float(np.dot(g, s["sk"] / (np.sqrt(s["v"]) + hp["eps"])))
    s["m"] = b1 * s["m"] + (1 - b1) * dlr * g
    s["v"] = b2 * s["v"] + (1 - b2) * g * g
    s["sk"] = sb2 * s["sk"] + (1 - sb2) * dlr * g
    s["r"] = sb2 * s["r"] + (1 - sb2) * dlr * acc
    s["d"] = max(s["d"], s["r"] / ((1 - sb2) * np.sum(np.abs(s["sk"]))))
    return x - hp["weight_decay"] * dlr * x - s["m"] / (np.sqrt(s["v"]) + hp["eps"])


def sfsgd(x, g, s, hp):
    """optax.contrib.schedule_free_sgd in optax's form: the iterate is y (where gradients are
    taken), x = (y - (1-b1) z)/b1 is reported."""
    b1 = hp["b1"]
    if "y" not in s:
        s.update(y=x.copy(), z=x.copy(), weight_sum=0.0, max_lr=0.0)
    y, z = s["y"], s["z"]
    g = s["grad"](y)
    new_z = z - hp["lr"] * (g + hp["weight_decay"] * y)
    s["max_lr"] = max(s["max_lr"], hp["lr"])
    weight = s["max_lr"] ** hp["weight_lr_power"]
    s["weight_sum"] += weight
    ck = weight / s["weight_sum"]
    new_x = (1 - ck) * ((y - (1 - b1) * z) / b1) + ck * new_z
    s["y"], s["z"] = b1 * new_x + (1 - b1) * new_z, new_z
    return (s["y"] - (1 - b1) * s["z"]) / b1


def _eigenbasis(gg):
    _, q = np.linalg.eigh(gg + 1e-30 * np.eye(len(gg)))
    return q[:, ::-1]


def soap(x, g, s, hp):
    """nikhilvyas/SOAP's step for one vector with precondition_1d=True, transcribed: the first
    call only builds GG and Q; then Adam in Q's basis, decay, and update_preconditioner."""
    b1, b2 = hp["b1"], hp["b2"]
    sb = hp["shampoo_beta"] if hp["shampoo_beta"] >= 0 else b2
    if "Q" not in s:
        s.update(step=0, m=_zeros(x), v=_zeros(x), GG=np.zeros((len(x), len(x))))
        s["GG"] = s["GG"] + (1 - sb) * (np.outer(g, g) - s["GG"])
        s["Q"] = _eigenbasis(s["GG"])
        return x
    q = s["Q"]
    gp = q.T @ g
    s["step"] += 1
    t = s["step"]
    s["m"] = b1 * s["m"] + (1 - b1) * gp
    s["v"] = b2 * s["v"] + (1 - b2) * gp * gp
    step_size = hp["lr"] * (1 - b2**t) ** 0.5 / (1 - b1**t)
    x = x - step_size * (q @ (s["m"] / (np.sqrt(s["v"]) + hp["eps"])))
    x = x - hp["lr"] * hp["weight_decay"] * x
    m = q @ s["m"]  # project_back before the basis may change
    s["GG"] = s["GG"] + (1 - sb) * (np.outer(g, g) - s["GG"])
    if t % int(hp["precondition_frequency"]) == 0:
        order = np.argsort(-np.diag(q.T @ s["GG"] @ q), kind="stable")
        s["v"] = s["v"][order]
        s["Q"] = np.linalg.qr(s["GG"] @ q[:, order])[0]
    s["m"] = s["Q"].T @ m
    return x


def sam(x, g, s, hp):
    """Foret et al. 2021 as optax.contrib.sam (opaque mode): the gradient at x + rho g/||g||,
    stepped with optax.sgd(lr, momentum) from x."""
    a = x + hp["rho"] * g / _norm(g) if _norm(g) > 0 else x
    s["f"] = f = s["grad"](a) + hp["momentum"] * s.get("f", _zeros(x))
    return x - hp["lr"] * f


OPTIMIZERS = {
    f.__name__: f for f in (lamb, lars, signum, adan, simplified_ademamix, mars, dog, dadapt_adamw, sfsgd, soap, sam)
}
# The built-ins whose references here replace tests/reference.py's (they take the cautious key).
CAUTIOUS = {f.__name__: f for f in (adamw, lion, ademamix)} | {"mars": mars}

# SOAP's eps is large here: where a gradient lies along one eigenvector of GG (its first steps,
# when GG is rank one, and all along a quadratic's axis) the other rotated component is float32
# rounding, ~1e-8 of the gradient, which Adam with a tiny eps normalises into a visible step; in
# float64 it is ~1e-16 and stays invisible (test_soap_in_float32_parts_from_float64_only_by_rounding_amplified).
CASES = {
    "lamb": dict(lr=0.01, b1=0.8, b2=0.99, eps=1e-5, eps_root=1e-8, weight_decay=0.01),
    "lars": dict(lr=1.0, weight_decay=0.01, trust_coefficient=0.005, eps=1e-4, momentum=0.8, nesterov=1.0),
    "signum": dict(lr=0.004, beta=0.8),
    "adan": dict(lr=0.03, b1=0.9, b2=0.8, b3=0.95, eps=1e-6, eps_root=1e-7, weight_decay=0.01),
    "simplified_ademamix": dict(lr=0.002, b1=0.9, b2=0.9, alpha=2.0, eps=1e-6, eps_root=1e-8, weight_decay=0.01),
    "mars": dict(lr=0.02, b1=0.9, b2=0.95, eps=1e-6, weight_decay=0.01, gamma=0.05),
    "dog": dict(lr=0.5, init_step=1e-3, eps=1e-6, weight_decay=0.01),
    "dadapt_adamw": dict(lr=0.5, b1=0.8, b2=0.99, eps=1e-6, estim_lr0=1e-3, weight_decay=0.01),
    "sfsgd": dict(lr=0.005, b1=0.8, weight_decay=0.01, weight_lr_power=1.5),
    "soap": dict(lr=0.03, b1=0.8, b2=0.9, shampoo_beta=0.8, eps=1e-2, weight_decay=0.01, precondition_frequency=4),
    "sam": dict(lr=0.003, rho=0.1, momentum=0.5),
}
