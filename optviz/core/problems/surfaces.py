"""The catalogue of 2D test functions: formulas, plotting domains, default starts and minima.

Each surface is a pure ``jnp`` function f(x, y) -> loss, so JAX differentiates it exactly
and it runs in float64 under ``jax.enable_x64`` for reference computations.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

SurfaceFn = Callable[[ArrayLike, ArrayLike], jax.Array]  # elementwise over any broadcastable x, y


@dataclass(frozen=True)
class Minimum:
    """A known minimum (x, y) with its value f, global or local."""

    x: float
    y: float
    f: float
    kind: Literal["global", "local"] = "global"


@dataclass(frozen=True)
class Surface:
    """A 2D loss surface and what is known about it."""

    name: str
    title: str
    formula: str  # LaTeX
    fn: SurfaceFn = field(compare=False, repr=False)
    domain: tuple[float, float, float, float]  # xmin, xmax, ymin, ymax
    start: tuple[float, float]
    minima: tuple[Minimum, ...]
    description: str = ""
    log_scale: bool = False  # values span decades: plot log(1 + f - f_min) by default

    def __call__(self, x, y):
        return self.fn(x, y)

    def loss(self, point):
        """f at a point given as an array [..., 2]."""
        return self.fn(point[..., 0], point[..., 1])

    @property
    def f_min(self) -> float | None:
        """The lowest known value, or None when the surface is unbounded below."""
        return min((m.f for m in self.minima), default=None)

    def to_json(self) -> dict:
        """The surface as plain JSON-ready data (the function left out)."""
        return {
            "name": self.name,
            "title": self.title,
            "formula": self.formula,
            "domain": list(self.domain),
            "start": list(self.start),
            "minima": [[m.x, m.y, m.f] for m in self.minima],
            "minima_kinds": [m.kind for m in self.minima],
            "description": self.description,
            "log_scale": self.log_scale,
        }


def _safe_norm(x, y):
    """sqrt(x^2 + y^2) whose gradient at the origin is 0 (Ackley's cusp) rather than NaN."""
    r2 = x * x + y * y
    safe = jnp.where(r2 > 0, r2, 1.0)
    return jnp.where(r2 > 0, jnp.sqrt(safe), 0.0)


def bowl(x, y):
    return x**2 + y**2


def ellipse(x, y):
    return 0.5 * (x**2 + 25.0 * y**2)


def rosenbrock(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


def beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def himmelblau(x, y):
    return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2


def rastrigin(x, y):
    a = 10.0
    return 2 * a + (x**2 - a * jnp.cos(2 * jnp.pi * x)) + (y**2 - a * jnp.cos(2 * jnp.pi * y))


def ackley(x, y):
    r = _safe_norm(x, y)
    return (
        -20.0 * jnp.exp(-0.2 * r / math.sqrt(2.0))
        - jnp.exp(0.5 * (jnp.cos(2 * jnp.pi * x) + jnp.cos(2 * jnp.pi * y)))
        + jnp.e
        + 20.0
    )


def saddle(x, y):
    return x**2 - y**2


def booth(x, y):
    return (x + 2 * y - 7.0) ** 2 + (2 * x + y - 5.0) ** 2


def goldstein_price(x, y):
    a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2)
    b = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2)
    return a * b


def six_hump_camel(x, y):
    return (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2


def cliff(x, y):
    return 0.1 * (x - 3.0) ** 2 + 0.5 * y**2 + 25.0 * (1.0 + jnp.tanh(20.0 * (x - 1.0)))


_HIMMELBLAU_MINIMA = (
    Minimum(3.0, 2.0, 0.0),
    Minimum(-2.805118086952745, 3.131312518250573, 0.0),
    Minimum(-3.779310253377747, -3.283185991286169, 0.0),
    Minimum(3.5844283403304917, -1.8481265269644034, 0.0),
)

_CAMEL_MINIMA = (
    Minimum(0.08984201310031806, -0.7126564030207396, -1.0316284534898774),
    Minimum(-0.08984201310031806, 0.7126564030207396, -1.0316284534898774),
    Minimum(1.7036067149699807, -0.7960835686726252, -0.21546382438371725, "local"),
    Minimum(-1.7036067149699807, 0.7960835686726252, -0.21546382438371725, "local"),
    Minimum(1.6071047529201974, 0.5686514548841314, 2.1042503103112584, "local"),
    Minimum(-1.6071047529201974, -0.5686514548841314, 2.1042503103112584, "local"),
)

SURFACES: dict[str, Surface] = {
    s.name: s
    for s in (
        Surface(
            "bowl",
            "Bowl",
            r"f(x,y) = x^2 + y^2",
            bowl,
            (-1.0, 1.0, -1.0, 1.0),
            (0.8, -0.6),
            (Minimum(0.0, 0.0, 0.0),),
            "The seed's objective: a perfectly round bowl, the easiest surface there is.",
        ),
        Surface(
            "ellipse",
            "Ill-conditioned ellipse",
            r"f(x,y) = \tfrac12\left(x^2 + 25\,y^2\right)",
            ellipse,
            (-2.0, 2.0, -1.0, 1.0),
            (-1.8, 0.6),
            (Minimum(0.0, 0.0, 0.0),),
            "A quadratic 25 times steeper in y than in x: SGD zig-zags, per-coordinate methods do not.",
        ),
        Surface(
            "rosenbrock",
            "Rosenbrock",
            r"f(x,y) = (1-x)^2 + 100\,(y-x^2)^2",
            rosenbrock,
            (-2.0, 2.0, -1.0, 3.0),
            (-1.5, 2.0),
            (Minimum(1.0, 1.0, 0.0),),
            "A long curved valley: easy to fall into, hard to follow to the minimum at (1, 1).",
            log_scale=True,
        ),
        Surface(
            "beale",
            "Beale",
            r"f(x,y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
            beale,
            (-4.5, 4.5, -4.5, 4.5),
            (1.0, 1.75),
            (Minimum(3.0, 0.5, 0.0),),
            "Sharp ridges at the corners and a flat floor around the minimum at (3, 0.5).",
            log_scale=True,
        ),
        Surface(
            "himmelblau",
            "Himmelblau",
            r"f(x,y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
            himmelblau,
            (-5.0, 5.0, -5.0, 5.0),
            (-0.3, -0.9),
            _HIMMELBLAU_MINIMA,
            "Four minima of equal depth: which one an optimizer finds depends on where it starts and how it moves.",
            log_scale=True,
        ),
        Surface(
            "rastrigin",
            "Rastrigin",
            r"f(x,y) = 20 + x^2 - 10\cos(2\pi x) + y^2 - 10\cos(2\pi y)",
            rastrigin,
            (-5.12, 5.12, -5.12, 5.12),
            (3.3, -2.2),
            (Minimum(0.0, 0.0, 0.0),),
            "A bowl covered in regularly spaced local minima (A = 10): a trap for small steps.",
        ),
        Surface(
            "ackley",
            "Ackley",
            r"f(x,y) = -20\,e^{-0.2\sqrt{(x^2+y^2)/2}} - e^{(\cos 2\pi x + \cos 2\pi y)/2} + e + 20",
            ackley,
            (-5.0, 5.0, -5.0, 5.0),
            (3.2, 2.4),
            (Minimum(0.0, 0.0, 0.0),),
            "A nearly flat, bumpy plateau around a deep central funnel.",
        ),
        Surface(
            "saddle",
            "Saddle",
            r"f(x,y) = x^2 - y^2",
            saddle,
            (-1.0, 1.0, -1.0, 1.0),
            (-0.9, 0.01),
            (),
            "No minimum at all: a saddle point at the origin. Starting just off the ridge "
            "shows who escapes it and how fast. Unbounded below, so long runs diverge.",
        ),
        Surface(
            "booth",
            "Booth",
            r"f(x,y) = (x + 2y - 7)^2 + (2x + y - 5)^2",
            booth,
            (-10.0, 10.0, -10.0, 10.0),
            (-8.0, -6.0),
            (Minimum(1.0, 3.0, 0.0),),
            "A tilted quadratic bowl with its minimum at (1, 3).",
        ),
        Surface(
            "goldstein_price",
            "Goldstein-Price",
            r"f(x,y) = \left[1 + (x+y+1)^2(19 - 14x + 3x^2 - 14y + 6xy + 3y^2)\right]"
            r"\left[30 + (2x-3y)^2(18 - 32x + 12x^2 + 48y - 36xy + 27y^2)\right]",
            goldstein_price,
            (-2.0, 2.0, -2.0, 2.0),
            (1.2, 1.2),
            (Minimum(0.0, -1.0, 3.0),),
            "Values from 3 to a million in a small square, with several local minima.",
            log_scale=True,
        ),
        Surface(
            "six_hump_camel",
            "Six-hump camel",
            r"f(x,y) = \left(4 - 2.1x^2 + \tfrac{x^4}{3}\right)x^2 + xy + (-4 + 4y^2)\,y^2",
            six_hump_camel,
            (-3.0, 3.0, -2.0, 2.0),
            (-1.5, -1.0),
            _CAMEL_MINIMA,
            "Two global and four local minima: a map of basins of attraction.",
        ),
        Surface(
            "cliff",
            "Cliff",
            r"f(x,y) = 0.1\,(x-3)^2 + 0.5\,y^2 + 25\,(1 + \tanh 20(x-1))",
            cliff,
            (-4.0, 4.0, -2.0, 2.0),
            (-3.5, 1.5),
            (Minimum(0.7895820864268402, 0.0, 0.4996492688866495),),
            "A gentle valley that ends at a wall 50 high (after Pascanu et al. 2013): a step into "
            "the wall meets a gradient of up to 500 and is thrown far back, unless the gradient is "
            "clipped (clip=1).",
        ),
    )
}
