"""Independent float64 references for the tests: analytic surface gradients and optimizer
rules written out in NumPy, step by step, the way torch.optim (or the paper) states them.

Nothing here imports optviz: it is the yardstick the package is measured against.
"""

from __future__ import annotations

import math

import numpy as np

from tests import reference_second_wave as second_wave

# --- surfaces: value and analytic gradient, float64 ---------------------------------------


def bowl(p):
    x, y = p
    return x * x + y * y, np.array([2 * x, 2 * y])


def ellipse(p):
    x, y = p
    return 0.5 * (x * x + 25 * y * y), np.array([x, 25 * y])


def rosenbrock(p):
    x, y = p
    f = (1 - x) ** 2 + 100 * (y - x * x) ** 2
    return f, np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def booth(p):
    x, y = p
    a, b = x + 2 * y - 7, 2 * x + y - 5
    return a * a + b * b, np.array([2 * a + 4 * b, 4 * a + 2 * b])


def himmelblau(p):
    x, y = p
    a, b = x * x + y - 11, x + y * y - 7
    return a * a + b * b, np.array([4 * x * a + 2 * b, 2 * a + 4 * y * b])


def beale(p):
    x, y = p
    t1, t2, t3 = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
    gx = 2 * t1 * (y - 1) + 2 * t2 * (y**2 - 1) + 2 * t3 * (y**3 - 1)
    gy = 2 * t1 * x + 2 * t2 * 2 * x * y + 2 * t3 * 3 * x * y**2
    return t1**2 + t2**2 + t3**2, np.array([gx, gy])


def six_hump_camel(p):
    x, y = p
    f = (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2
    gx = 8 * x - 8.4 * x**3 + 2 * x**5 + y
    gy = x - 8 * y + 16 * y**3
    return f, np.array([gx, gy])


def rastrigin(p):
    x, y = p
    f = 20 + x**2 - 10 * math.cos(2 * math.pi * x) + y**2 - 10 * math.cos(2 * math.pi * y)
    return f, np.array(
        [2 * x + 20 * math.pi * math.sin(2 * math.pi * x), 2 * y + 20 * math.pi * math.sin(2 * math.pi * y)]
    )


def ackley(p):
    x, y = p
    r = math.sqrt((x * x + y * y) / 2)
    e1 = math.exp(-0.2 * r)
    e2 = math.exp((math.cos(2 * math.pi * x) + math.cos(2 * math.pi * y)) / 2)
    f = -20 * e1 - e2 + math.e + 20
    d = 20 * 0.2 * e1 / (2 * r) if r > 0 else 0.0  # d(-20 e^(-0.2 r))/dx = 4 e1 * x / (2 r)
    return f, np.array(
        [d * x + e2 * math.pi * math.sin(2 * math.pi * x), d * y + e2 * math.pi * math.sin(2 * math.pi * y)]
    )


def saddle(p):
    x, y = p
    return x * x - y * y, np.array([2 * x, -2 * y])


def goldstein_price(p):
    x, y = p
    a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2)
    b = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2)
    da_dx = 2 * (x + y + 1) * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2) + (x + y + 1) ** 2 * (
        -14 + 6 * x + 6 * y
    )
    da_dy = 2 * (x + y + 1) * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2) + (x + y + 1) ** 2 * (
        -14 + 6 * x + 6 * y
    )
    db_dx = 4 * (2 * x - 3 * y) * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2) + (2 * x - 3 * y) ** 2 * (
        -32 + 24 * x - 36 * y
    )
    db_dy = -6 * (2 * x - 3 * y) * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2) + (
        2 * x - 3 * y
    ) ** 2 * (48 - 36 * x + 54 * y)
    return a * b, np.array([da_dx * b + a * db_dx, da_dy * b + a * db_dy])


def cliff(p):
    x, y = p
    t = math.tanh(20 * (x - 1))
    return 0.1 * (x - 3) ** 2 + 0.5 * y * y + 25 * (1 + t), np.array([0.2 * (x - 3) + 25 * 20 * (1 - t * t), y])


SURFACES = {
    f.__name__: f
    for f in (
        bowl,
        ellipse,
        rosenbrock,
        booth,
        himmelblau,
        beale,
        six_hump_camel,
        rastrigin,
        ackley,
        saddle,
        goldstein_price,
        cliff,
    )
}

# --- optimizers: (init(x) -> state dict, step(x, g, state, hp) -> x) -----------------------


def _zeros(x):
    return np.zeros_like(x)


def sgd(x, g, s, hp):
    return x - hp["lr"] * g


def momentum(x, g, s, hp, nesterov=False):
    s["t"] = s.get("t", 0) + 1
    s["buf"] = g.copy() if s["t"] == 1 else hp["momentum"] * s["buf"] + g
    d = g + hp["momentum"] * s["buf"] if nesterov else s["buf"]
    return x - hp["lr"] * d


def nesterov(x, g, s, hp):
    return momentum(x, g, s, hp, nesterov=True)


def adagrad(x, g, s, hp):
    s["sum"] = s.get("sum", _zeros(x)) + g * g
    return x - hp["lr"] * g / (np.sqrt(s["sum"]) + hp["eps"])


def rmsprop(x, g, s, hp):
    s["sq"] = hp["alpha"] * s.get("sq", _zeros(x)) + (1 - hp["alpha"]) * g * g
    return x - hp["lr"] * g / (np.sqrt(s["sq"]) + hp["eps"])


def _adam_moments(x, g, s, hp):
    s["t"] = s.get("t", 0) + 1
    s["m"] = hp["b1"] * s.get("m", _zeros(x)) + (1 - hp["b1"]) * g
    s["v"] = hp["b2"] * s.get("v", _zeros(x)) + (1 - hp["b2"]) * g * g
    return s["t"]


def adam(x, g, s, hp):
    t = _adam_moments(x, g, s, hp)
    if hp.get("bias_correction", 1) == 0:
        return x - hp["lr"] * s["m"] / (np.sqrt(s["v"]) + hp["eps"])
    m_hat = s["m"] / (1 - hp["b1"] ** t)
    v_hat = s["v"] / (1 - hp["b2"] ** t)
    return x - hp["lr"] * m_hat / (np.sqrt(v_hat) + hp["eps"])


def adamw(x, g, s, hp):
    return adam(x * (1 - hp["lr"] * hp["weight_decay"]), g, s, hp)


def amsgrad(x, g, s, hp):
    t = _adam_moments(x, g, s, hp)
    s["vmax"] = np.maximum(s.get("vmax", _zeros(x)), s["v"])
    m_hat = s["m"] / (1 - hp["b1"] ** t)
    return x - hp["lr"] * m_hat / (np.sqrt(s["vmax"] / (1 - hp["b2"] ** t)) + hp["eps"])


def adamax(x, g, s, hp):
    s["t"] = t = s.get("t", 0) + 1
    s["m"] = hp["b1"] * s.get("m", _zeros(x)) + (1 - hp["b1"]) * g
    s["u"] = np.maximum(hp["b2"] * s.get("u", _zeros(x)), np.abs(g) + hp["eps"])
    return x - hp["lr"] / (1 - hp["b1"] ** t) * s["m"] / s["u"]


def nadam(x, g, s, hp):
    t = _adam_moments(x, g, s, hp)
    mu = hp["b1"] * (1 - 0.5 * 0.96 ** (t * hp["momentum_decay"]))
    mu_next = hp["b1"] * (1 - 0.5 * 0.96 ** ((t + 1) * hp["momentum_decay"]))
    s["prod"] = s.get("prod", 1.0) * mu
    denom = np.sqrt(s["v"] / (1 - hp["b2"] ** t)) + hp["eps"]
    x = x - hp["lr"] * (1 - mu) / (1 - s["prod"]) * g / denom
    return x - hp["lr"] * mu_next / (1 - s["prod"] * mu_next) * s["m"] / denom


def lion(x, g, s, hp):
    m = s.get("m", _zeros(x))
    c = hp["b1"] * m + (1 - hp["b1"]) * g
    x = x - hp["lr"] * (np.sign(c) + hp["weight_decay"] * x)
    s["m"] = hp["b2"] * m + (1 - hp["b2"]) * g
    return x


def swats(x, g, s, hp):
    """Keskar & Socher 2017, Algorithm 1, transcribed."""
    b1, b2, eps = hp["b1"], hp["b2"], hp["eps"]
    s["k"] = k = s.get("k", 0) + 1
    if s.get("phase") == "sgd":
        s["v_sgd"] = b1 * s["v_sgd"] + g
        return x - (1 - b1) * s["Lambda"] * s["v_sgd"]
    s["m"] = b1 * s.get("m", _zeros(x)) + (1 - b1) * g
    s["a"] = b2 * s.get("a", _zeros(x)) + (1 - b2) * g * g
    p = -hp["lr"] * math.sqrt(1 - b2**k) / (1 - b1**k) * s["m"] / (np.sqrt(s["a"]) + eps)
    x = x + p
    pg = float(p @ g)
    if pg != 0:
        gamma = float(p @ p) / -pg
        s["lam"] = b2 * s.get("lam", 0.0) + (1 - b2) * gamma
        if k > 1 and abs(s["lam"] / (1 - b2**k) - gamma) < eps:
            s["phase"], s["v_sgd"], s["Lambda"], s["switched_at"] = "sgd", _zeros(x), s["lam"] / (1 - b2**k), k
    return x


# --- torch.optim: RAdam, Adadelta, Rprop (torch 2.x single-tensor code, written out) ---------


def radam(x, g, s, hp):
    g = g + hp["weight_decay"] * x
    t = s["t"] = s.get("t", 0) + 1
    b1, b2 = hp["b1"], hp["b2"]
    m = s["m"] = s.get("m", _zeros(x)) + (g - s.get("m", _zeros(x))) * (1 - b1)
    v = s["v"] = b2 * s.get("v", _zeros(x)) + (1 - b2) * g * g
    bc1, bc2 = 1 - b1**t, 1 - b2**t
    m_hat = m / bc1
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * (b2**t) / bc2
    if rho_t > 5.0:
        rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        adaptive = math.sqrt(bc2) / (np.sqrt(v) + hp["eps"])
        return x - m_hat * hp["lr"] * adaptive * rect
    return x - m_hat * hp["lr"]


def adadelta(x, g, s, hp):
    g = g + hp["weight_decay"] * x
    rho, eps = hp["rho"], hp["eps"]
    square_avg = s["square_avg"] = rho * s.get("square_avg", _zeros(x)) + (1 - rho) * g * g
    acc_delta = s.get("acc_delta", _zeros(x))
    delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * g
    s["acc_delta"] = rho * acc_delta + (1 - rho) * delta * delta
    return x - hp["lr"] * delta


def rprop(x, g, s, hp):
    prev = s.get("prev", _zeros(x))
    step_size = s.get("step_size", np.full_like(x, hp["lr"]))
    sign = np.sign(g * prev)
    sign = np.where(sign > 0, hp["etaplus"], np.where(sign < 0, hp["etaminus"], 1.0))
    step_size = np.clip(step_size * sign, hp["step_size_min"], hp["step_size_max"])
    g = np.where(sign == hp["etaminus"], 0.0, g)
    s["prev"], s["step_size"] = g, step_size
    return x - np.sign(g) * step_size


# --- optax: AdaBelief, Yogi, and optax.contrib's ADOPT, AdEMAMix, Schedule-Free, Prodigy -------


def adabelief(x, g, s, hp):
    t = s["t"] = s.get("t", 0) + 1
    mu = s["mu"] = hp["b1"] * s.get("mu", _zeros(x)) + (1 - hp["b1"]) * g
    nu = s["nu"] = hp["b2"] * s.get("nu", _zeros(x)) + (1 - hp["b2"]) * (g - mu) ** 2 + hp["eps_root"]
    return x - hp["lr"] * (mu / (1 - hp["b1"] ** t)) / (np.sqrt(nu / (1 - hp["b2"] ** t)) + hp["eps"])


def yogi(x, g, s, hp):
    t = s["t"] = s.get("t", 0) + 1
    mu = s["mu"] = hp["b1"] * s.get("mu", np.full_like(x, 1e-6)) + (1 - hp["b1"]) * g
    nu = s.get("nu", np.full_like(x, 1e-6))
    nu = s["nu"] = nu - (1 - hp["b2"]) * np.sign(nu - g * g) * g * g
    return x - hp["lr"] * (mu / (1 - hp["b1"] ** t)) / (np.sqrt(nu / (1 - hp["b2"] ** t)) + hp["eps"])


def adopt(x, g, s, hp):
    count = s.get("count", 0)
    b1 = hp["b1"] if count > 0 else 1.0
    b2 = hp["b2"] if count > 0 else 0.0
    nu_prev = s.get("nu", _zeros(x))
    s["nu"] = b2 * nu_prev + (1 - b2) * g * g
    clip = count**0.25
    normed = np.clip(g / np.maximum(np.sqrt(nu_prev), hp["eps"]), -clip, clip)
    mu = s["mu"] = b1 * s.get("mu", _zeros(x)) + (1 - b1) * normed
    s["count"] = count + 1
    return x - hp["lr"] * mu


def ademamix(x, g, s, hp):
    t = s["t"] = s.get("t", 0) + 1
    m1 = s["m1"] = hp["b1"] * s.get("m1", _zeros(x)) + (1 - hp["b1"]) * g
    m2 = s["m2"] = hp["b3"] * s.get("m2", _zeros(x)) + (1 - hp["b3"]) * g
    nu = s["nu"] = hp["b2"] * s.get("nu", _zeros(x)) + (1 - hp["b2"]) * g * g
    update = (m1 / (1 - hp["b1"] ** t) + hp["alpha"] * m2) / (np.sqrt(nu / (1 - hp["b2"] ** t)) + hp["eps"])
    return x - hp["lr"] * (update + hp["weight_decay"] * x)


def sfadamw(x, g, s, hp):
    """optax's form: the iterate is y (where gradients are taken), x = (y - (1-b1) z)/b1 is reported."""
    b1 = hp["b1"]
    if "y" not in s:
        s.update(y=x.copy(), z=x.copy(), nu=_zeros(x), count=0, weight_sum=0.0, max_lr=0.0)
    y, z = s["y"], s["z"]
    g = s["grad"](y)
    s["count"] += 1
    s["nu"] = hp["b2"] * s["nu"] + (1 - hp["b2"]) * g * g
    nu_hat = s["nu"] / (1 - hp["b2"] ** s["count"])
    base = -hp["lr"] * (g / (np.sqrt(nu_hat) + hp["eps"]) + hp["weight_decay"] * y)
    s["max_lr"] = max(s["max_lr"], hp["lr"])
    weight = s["max_lr"] ** hp["weight_lr_power"]
    s["weight_sum"] += weight
    ck = weight / s["weight_sum"]
    new_z = z + base
    prev_x = (y - (1 - b1) * z) / b1
    new_x = (1 - ck) * prev_x + ck * new_z
    s["y"], s["z"] = b1 * new_x + (1 - b1) * new_z, new_z
    return (s["y"] - (1 - b1) * s["z"]) / b1


def prodigy(x, g, s, hp):
    b1, b2, d0 = hp["b1"], hp["b2"], hp["estim_lr0"]
    b3 = b2**0.5
    if "d" not in s:
        s.update(d=d0, exp_avg=_zeros(x), exp_avg_sq=_zeros(x), grad_sum=_zeros(x), x0=x.copy(), num=0.0, t=0)
    s["t"] += 1
    t, d = s["t"], s["d"]
    dlr = d * hp["lr"] * math.sqrt(1 - b2**t) / (1 - b1**t)
    dg = d * g
    acc = float(np.dot(g, s["x0"] - x))
    s["exp_avg"] = b1 * s["exp_avg"] + (1 - b1) * dg
    s["exp_avg_sq"] = b2 * s["exp_avg_sq"] + (1 - b2) * dg * dg
    s["grad_sum"] = b3 * s["grad_sum"] + dlr * dg / d0
    s["num"] = b3 * s["num"] + (d / d0) * dlr * acc
    s["d"] = max(d, hp["estim_lr_coef"] * s["num"] / np.sum(np.abs(s["grad_sum"])))
    return x - hp["weight_decay"] * dlr * x - dlr * s["exp_avg"] / (np.sqrt(s["exp_avg_sq"]) + s["d"] * hp["eps"])


def newton(x, g, s, hp):
    """Eigenvalues made positive and at least the damping; the step at most max_step long. The
    Hessian by central differences of the analytic gradient (s["grad"], set by trajectory)."""
    h = 1e-6
    cols = [(s["grad"](x + h * e) - s["grad"](x - h * e)) / (2 * h) for e in np.eye(len(x))]
    hess = np.array(cols).T
    lam, vec = np.linalg.eigh((hess + hess.T) / 2)
    step = -hp["lr"] * vec @ ((vec.T @ g) / np.maximum(np.abs(lam), hp["damping"]))
    norm = np.linalg.norm(step)
    return x + step * min(1.0, hp["max_step"] / norm) if norm > 0 else x


def lbfgs(x, g, s, hp):
    """torch.optim.LBFGS.step with max_iter=1, line_search_fn=None (its loop body, written out)."""
    if np.abs(g).max() <= 1e-7:
        return x
    s["n_iter"] = s.get("n_iter", 0) + 1
    if s["n_iter"] == 1:
        d = -g
        s.update(old_dirs=[], old_stps=[], ro=[], H_diag=1.0)
    else:
        y = g - s["prev_flat_grad"]
        st = s["d"] * s["t"]
        ys = float(y @ st)
        if ys > 1e-10:
            if len(s["old_dirs"]) == int(hp["history_size"]):
                s["old_dirs"].pop(0), s["old_stps"].pop(0), s["ro"].pop(0)
            s["old_dirs"].append(y), s["old_stps"].append(st), s["ro"].append(1.0 / ys)
            s["H_diag"] = ys / float(y @ y)
        num_old = len(s["old_dirs"])
        al = [0.0] * num_old
        q = -g
        for i in range(num_old - 1, -1, -1):
            al[i] = float(s["old_stps"][i] @ q) * s["ro"][i]
            q = q - al[i] * s["old_dirs"][i]
        d = r = q * s["H_diag"]
        for i in range(num_old):
            be_i = float(s["old_dirs"][i] @ r) * s["ro"][i]
            r = r + (al[i] - be_i) * s["old_stps"][i]
        d = r
    s["prev_flat_grad"] = g.copy()
    t = min(1.0, 1.0 / np.abs(g).sum()) * hp["lr"] if s["n_iter"] == 1 else hp["lr"]
    s["d"], s["t"] = d, t
    gtd = float(g @ d)
    if gtd > -1e-9:
        return x
    if hp.get("line_search"):  # line_search_fn="strong_wolfe", max_ls = max_eval - current_evals (1)
        loss = s["objective"](x)[0]
        _, _, t, _ = strong_wolfe(
            lambda x0, t, d: s["objective"](x0 + t * d), x, t, d, loss, g, gtd, max_ls=int(hp["max_eval"]) - 1
        )
        s["t"] = t
    return x + t * d


def _hessian_diagonal(x, grad, h=1e-6):
    """diag(H) by central differences of the analytic gradient."""
    return np.array([(grad(x + h * e) - grad(x - h * e))[i] / (2 * h) for i, e in enumerate(np.eye(len(x)))])


def sophia(x, g, s, hp):
    """Liu et al. (2023) as optax.contrib.sophia: bias-corrected momentum over max(gamma h, eps),
    clipped per coordinate to rho; h refreshed with the exact diagonal every k-th update (after
    the step direction is formed); decoupled weight decay; all times lr."""
    if "m" not in s:
        s.update(m=np.zeros_like(x), h=np.zeros_like(x), t=0)
    t = s["t"] = s["t"] + 1
    s["m"] = hp["b1"] * s["m"] + (1 - hp["b1"]) * g
    u = (s["m"] / (1 - hp["b1"] ** t)) / np.maximum(hp["gamma"] * s["h"], hp["eps"])
    u = np.clip(u, -hp["clip_threshold"], hp["clip_threshold"])
    if (t - 1) % int(hp["update_interval"]) == 0:
        s["h"] = hp["b2"] * s["h"] + (1 - hp["b2"]) * _hessian_diagonal(x, s["grad"])
    return x - hp["lr"] * (u + hp["weight_decay"] * x)


def adafactor_tensor(p, g, s, hp, t):
    """torch.optim.Adafactor's update of one tensor (torch's layout), written out: returns the new
    tensor; s holds row/col (matrices, factored over the last two dims) or v (vectors)."""
    one_minus_beta2 = t ** hp["beta2_decay"]
    rho = min(hp["lr"], 1 / np.sqrt(t))
    alpha = max(hp["eps2"], np.sqrt(np.sum(p * p) / p.size)) * rho
    p = p * (1 - hp["lr"] * hp["weight_decay"])
    if g.ndim > 1:
        s.setdefault("row", np.zeros(g.shape[:-1] + (1,)))
        s.setdefault("col", np.zeros(g.shape[:-2] + (1, g.shape[-1])))
        s["row"] = (1 - one_minus_beta2) * s["row"] + one_minus_beta2 * np.mean(g * g, axis=-1, keepdims=True)
        s["col"] = (1 - one_minus_beta2) * s["col"] + one_minus_beta2 * np.mean(g * g, axis=-2, keepdims=True)
        v = s["row"] @ s["col"] / np.maximum(np.mean(s["row"], axis=-2, keepdims=True), hp["eps1"])
    else:
        s.setdefault("v", np.zeros_like(g))
        s["v"] = (1 - one_minus_beta2) * s["v"] + one_minus_beta2 * g * g
        v = s["v"]
    u = g / np.sqrt(np.maximum(v, hp["eps1"] ** 2))
    return p - alpha / max(1.0, np.sqrt(np.sum(u * u) / u.size) / hp["d"]) * u


def adafactor(x, g, s, hp):
    """A 2D surface's parameters: one vector, so Adafactor is unfactored there."""
    s["t"] = s.get("t", 0) + 1
    return adafactor_tensor(x, g, s, hp, s["t"])


def newton_schulz(g, steps, eps=1e-7, coefficients=(3.4445, -4.7750, 2.0315)):
    """torch.optim.Muon's _zeropower_via_newtonschulz, in float64."""
    a, b, c = coefficients
    x = g.T if g.shape[0] > g.shape[1] else g
    x = x / max(np.linalg.norm(x), eps)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if g.shape[0] > g.shape[1] else x


def muon_matrix(p, g, s, hp):
    """torch.optim.Muon's _single_tensor_muon for one (out, in) matrix, adjust_lr_fn=None."""
    s.setdefault("buf", np.zeros_like(g))
    s["buf"] = s["buf"] + (1 - hp["momentum"]) * (g - s["buf"])
    update = g + hp["momentum"] * (s["buf"] - g) if hp["nesterov"] else s["buf"]
    o = newton_schulz(update, int(hp["ns_steps"]), hp["eps"])
    adjusted = hp["lr"] * np.sqrt(max(1.0, p.shape[0] / p.shape[1]))
    return p * (1 - hp["lr"] * hp["weight_decay"]) - adjusted * o


def adamw_tensor(p, g, s, hp, t):
    """torch.optim.AdamW for one tensor."""
    s.setdefault("m", np.zeros_like(g)), s.setdefault("v", np.zeros_like(g))
    p = p * (1 - hp["lr"] * hp["weight_decay"])
    s["m"] = hp["b1"] * s["m"] + (1 - hp["b1"]) * g
    s["v"] = hp["b2"] * s["v"] + (1 - hp["b2"]) * g * g
    denom = np.sqrt(s["v"]) / np.sqrt(1 - hp["b2"] ** t) + hp["eps"]
    return p - hp["lr"] / (1 - hp["b1"] ** t) * s["m"] / denom


OPTIMIZERS = {
    f.__name__: f
    for f in (
        sgd,
        momentum,
        nesterov,
        adagrad,
        rmsprop,
        adam,
        adamw,
        amsgrad,
        adamax,
        nadam,
        lion,
        swats,
        radam,
        adadelta,
        rprop,
        adabelief,
        yogi,
        adopt,
        ademamix,
        sfadamw,
        prodigy,
        newton,
        lbfgs,
        sophia,
        adafactor,
    )
}
OPTIMIZERS.update(second_wave.OPTIMIZERS)
OPTIMIZERS.update(second_wave.CAUTIOUS)  # the same rules, and the cautious key


# Each optimizer's test settings: non-default hyperparameters that give long, non-chaotic paths
# (tests/core/optimizers/test_optimizers.py compares our runs with the rules above at these).
CASES = {
    "sgd": dict(lr=0.003),
    "momentum": dict(lr=0.002, momentum=0.8),
    "nesterov": dict(lr=0.002, momentum=0.7),
    "adagrad": dict(lr=0.3, eps=1e-6),
    "rmsprop": dict(lr=0.005, alpha=0.9, eps=1e-6),
    "adam": dict(lr=0.03, b1=0.8, b2=0.99, eps=1e-6),
    "adamw": dict(lr=0.03, b1=0.85, b2=0.995, eps=1e-7, weight_decay=0.1),
    "amsgrad": dict(lr=0.03, b1=0.8, b2=0.99, eps=1e-6),
    "adamax": dict(lr=0.03, b1=0.8, b2=0.99, eps=1e-6),
    "nadam": dict(lr=0.03, b1=0.8, b2=0.99, eps=1e-6, momentum_decay=0.01),
    "lion": dict(lr=0.003, b1=0.8, b2=0.95, weight_decay=0.05),
    "swats": dict(lr=0.01, b1=0.8, b2=0.99, eps=1e-5),
    "radam": dict(lr=0.03, b1=0.85, b2=0.98, eps=1e-6, weight_decay=0.01),
    "adadelta": dict(lr=0.2, rho=0.95, eps=1e-3, weight_decay=0.01),
    "rprop": dict(lr=0.003, etaminus=0.4, etaplus=1.1, step_size_min=1e-5, step_size_max=0.05),
    "adabelief": dict(lr=0.03, b1=0.8, b2=0.99, eps=1e-8, eps_root=1e-10),
    "yogi": dict(lr=0.05, b1=0.8, b2=0.99, eps=1e-2),
    "adopt": dict(lr=0.02, b1=0.8, b2=0.99, eps=1e-5),
    "ademamix": dict(lr=0.01, b1=0.8, b2=0.99, b3=0.995, alpha=2.0, eps=1e-6, weight_decay=0.01),
    "sfadamw": dict(lr=0.05, b1=0.8, b2=0.99, eps=1e-6, weight_decay=0.01, weight_lr_power=1.5),
    "prodigy": dict(lr=0.2, b1=0.8, b2=0.99, eps=1e-6, estim_lr0=1e-2, estim_lr_coef=1.5, weight_decay=0.01),
    "newton": dict(lr=0.05, damping=0.5, max_step=0.3),
    "lbfgs": dict(lr=0.05, history_size=4),
    "sophia": dict(
        lr=0.02, b1=0.9, b2=0.95, eps=1e-6, weight_decay=0.01, gamma=0.05, clip_threshold=0.5, update_interval=3
    ),
    "adafactor": dict(lr=0.01, beta2_decay=-0.6, eps1=1e-6, eps2=1e-2, d=1.5, weight_decay=0.01),
}
CASES.update(second_wave.CASES)


def trajectory(
    opt: str, surface: str, start, hp: dict, steps: int, lrs=None, clip: float = 0.0, clip_value: float = 0.0
):
    """The reference path (steps + 1 points, start first), its losses and the final state.

    ``lrs``: the lr of each update (a schedule); ``clip``/``clip_value``: torch's
    clip_grad_norm_ / clip_grad_value_ applied to each gradient first (0: off).
    """
    step, f = OPTIMIZERS[opt], SURFACES[surface]
    x = np.asarray(start, np.float64)
    state: dict = {}
    path, loss = [x], [f(x)[0]]
    state["grad"] = lambda p: f(p)[1]  # for methods that take gradients elsewhere (Schedule-Free)
    state["objective"] = f  # (loss, gradient), for line searches
    with np.errstate(over="ignore", invalid="ignore"):  # diverging runs are compared on purpose
        for t in range(steps):
            g = clip_grad(f(x)[1], clip, clip_value)
            x = step(x, g, state, hp if lrs is None else dict(hp, lr=lrs[t]))
            path.append(x)
            loss.append(f(x)[0])
    return np.array(path), np.array(loss), state


# --- gradient clipping and learning-rate schedules, as torch writes them -------------------


def clip_grad(g, max_norm: float = 0.0, clip_value: float = 0.0):
    """torch.nn.utils.clip_grad_value_ (if clip_value) then clip_grad_norm_ (if max_norm)."""
    g = np.array(g, np.float64)
    if clip_value:
        g = np.clip(g, -clip_value, clip_value)
    if max_norm:
        total_norm = np.sqrt(np.sum(g * g))
        clip_coef = max_norm / (total_norm + 1e-6)
        g = g * min(clip_coef, 1.0)
    return g


def torch_chain(base_lr: float, epochs: int, get_lr):
    """Run a torch scheduler's chainable get_lr: lrs[e] from lrs[e-1] (e = last_epoch)."""
    lrs = [base_lr]
    for e in range(1, epochs):
        lrs.append(get_lr(e, lrs[-1]))
    return lrs


def cosine_annealing(base_lr, eta_min, t_max, epochs):
    """CosineAnnealingLR.get_lr, the recursive form torch uses."""

    def get(e, lr):
        if (e - 1 - t_max) % (2 * t_max) == 0:
            return lr + (base_lr - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
        return (1 + math.cos(math.pi * e / t_max)) / (1 + math.cos(math.pi * (e - 1) / t_max)) * (
            lr - eta_min
        ) + eta_min

    return torch_chain(base_lr, epochs, get)


def linear_lr(base_lr, start_factor, end_factor, total_iters, epochs):
    """LinearLR.get_lr (recursive)."""

    def get(e, lr):
        if e > total_iters:
            return lr
        return lr * (
            1.0 + (end_factor - start_factor) / (total_iters * start_factor + (e - 1) * (end_factor - start_factor))
        )

    return [base_lr * start_factor] + torch_chain(base_lr * start_factor, epochs, get)[1:]


def step_lr(base_lr, step_size, gamma, epochs):
    """StepLR.get_lr (recursive)."""
    return torch_chain(base_lr, epochs, lambda e, lr: lr * gamma if e % step_size == 0 else lr)


def exponential_lr(base_lr, gamma, epochs):
    """ExponentialLR.get_lr (recursive)."""
    return torch_chain(base_lr, epochs, lambda e, lr: lr * gamma)


def one_cycle(max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    """OneCycleLR.get_lr with anneal_strategy="cos", three_phase=False."""
    initial = max_lr / div_factor
    min_lr = initial / final_div_factor
    phases = [(float(pct_start * total_steps) - 1, initial, max_lr), (total_steps - 1, max_lr, min_lr)]

    def anneal(start, end, pct):
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    lrs = []
    for step_num in range(total_steps):
        start_step = 0.0
        for i, (end_step, lo, hi) in enumerate(phases):
            if step_num <= end_step or i == len(phases) - 1:
                lrs.append(anneal(lo, hi, (step_num - start_step) / (end_step - start_step)))
                break
            start_step = end_step
    return lrs


# --- torch.optim.LBFGS's strong-Wolfe line search, written out in NumPy ----------------------


def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """torch's _cubic_interpolate."""
    xmin_bound, xmax_bound = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """torch's _strong_wolfe, line by line: (f, g, t, evaluations)."""
    d_norm = np.abs(d).max()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = g_new @ d
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new @ d
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new @ d
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals
