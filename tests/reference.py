"""Independent float64 references for the tests: analytic surface gradients and optimizer
rules written out in NumPy, step by step, the way torch.optim (or the paper) states them.

Nothing here imports optviz: it is the yardstick the package is measured against.
"""

from __future__ import annotations

import math

import numpy as np

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


SURFACES = {f.__name__: f for f in (bowl, ellipse, rosenbrock, booth, himmelblau, beale, six_hump_camel)}

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


OPTIMIZERS = {f.__name__: f for f in (sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw, amsgrad,
                                      adamax, nadam, lion, swats)}


def trajectory(opt: str, surface: str, start, hp: dict, steps: int, lrs=None, clip: float = 0.0,
               clip_value: float = 0.0):
    """The reference path (steps + 1 points, start first), its losses and the final state.

    ``lrs``: the lr of each update (a schedule); ``clip``/``clip_value``: torch's
    clip_grad_norm_ / clip_grad_value_ applied to each gradient first (0: off).
    """
    step, f = OPTIMIZERS[opt], SURFACES[surface]
    x = np.asarray(start, np.float64)
    state: dict = {}
    path, loss = [x], [f(x)[0]]
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
        return (1 + math.cos(math.pi * e / t_max)) / (1 + math.cos(math.pi * (e - 1) / t_max)) * (lr - eta_min) + eta_min
    return torch_chain(base_lr, epochs, get)


def linear_lr(base_lr, start_factor, end_factor, total_iters, epochs):
    """LinearLR.get_lr (recursive)."""
    def get(e, lr):
        if e > total_iters:
            return lr
        return lr * (1.0 + (end_factor - start_factor)
                     / (total_iters * start_factor + (e - 1) * (end_factor - start_factor)))
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
