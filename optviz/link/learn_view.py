"""The Learn page's link: where its live demos' controls stand.

``sgd`` (SGD's lr on the bowl), ``mb1`` (the momentum window's β1), ``kappa`` (the ellipse's
steepness against RMSprop), ``t`` (the step whose values the seven steps show), ``b1`` and
``b2`` (the bias-correction demo's moments), ``eps`` (the first-step demo's ε), ``eta`` (SGD's
step against 2/η), ``warmup`` (the warmup demo's length), ``C`` and ``lr`` (Reddi et al.'s
counterexample), ``wd`` (λ, L2 against weight decay), ``gen=1`` (the generalization study
shown), ``swats`` (SWATS's lr), ``family`` (the branch raced), ``apart`` (the change to Adam
raced); each only when it differs from the default.
"""

from __future__ import annotations

from dataclasses import dataclass

from optviz.core.analysis.demos import APART, DECAYS, ETAS, KAPPAS, SEVEN_STEPS, SGD_LRS, SWATS_LRS, WARMUPS
from optviz.core.limits import LEARN_B1, LEARN_B2, LEARN_C, LEARN_EPS, LEARN_LRS
from optviz.core.optimizers import FAMILIES
from optviz.core.spec import SpecError, format_number, parse_number
from optviz.link.query import Params, Query, Reader, too_long

DEFAULTS = {
    "b1": 0.9,
    "b2": 0.999,
    "C": 3.0,
    "lr": 0.01,
    "mb1": 0.9,
    "eps": 1e-8,
    "sgd": 0.1,
    "kappa": 25.0,
    "t": 1,
    "eta": 0.082,
    "swats": 0.03,
    "wd": 1.0,
}
DEFAULT_FAMILY = "adaptive"
# Branches since split or renamed: links written before keep opening the branch they showed.
RENAMED_FAMILIES = {"learning-rate-free": "parameter-free"}
DEFAULT_APART = next(iter(APART))


def _bounded(key: str, bounds: tuple[float, float]):
    def parse(text: str) -> float:
        value = parse_number(key, text)
        if not bounds[0] <= value <= bounds[1]:
            raise SpecError(
                f"{key}: must satisfy {format_number(bounds[0])} <= {key} <= {format_number(bounds[1])} (got {text})"
            )
        return value

    return parse


def _family(read: Reader) -> str:
    """The branch a link names, a renamed one under its new name."""
    renamed = RENAMED_FAMILIES.get(read.text("family") or "")
    return renamed or read.choice("family", FAMILIES, DEFAULT_FAMILY)


@dataclass(frozen=True)
class LearnConfig:
    """The Learn page's controls."""

    b1: float = DEFAULTS["b1"]
    b2: float = DEFAULTS["b2"]
    C: float = DEFAULTS["C"]
    lr: float = DEFAULTS["lr"]
    gen: bool = False  # the generalization study shown (run, or read from the shared cache)
    mb1: float = DEFAULTS["mb1"]  # β1 in the momentum-window demo
    eps: float = DEFAULTS["eps"]  # ε in the first-step demo (one of LEARN_EPS)
    warmup: int = 100  # the warmup demo's length (one of WARMUPS)
    sgd: float = DEFAULTS["sgd"]  # SGD's lr on the bowl (one of SGD_LRS)
    kappa: float = DEFAULTS["kappa"]  # the ellipse's steepness (one of KAPPAS)
    t: int = 1  # the step the seven steps show (one of SEVEN_STEPS)
    eta: float = DEFAULTS["eta"]  # SGD's η against the sharpness (one of ETAS)
    swats: float = DEFAULTS["swats"]  # SWATS's lr (one of SWATS_LRS)
    family: str = DEFAULT_FAMILY  # the branch raced (one of FAMILIES)
    wd: float = DEFAULTS["wd"]  # λ in the weight-decay figure (one of DECAYS)
    apart: str = DEFAULT_APART  # the change to Adam raced (one of APART)

    @classmethod
    def from_query(cls, params: Params) -> tuple[LearnConfig, list[str]]:
        """The configuration a link describes, and one warning per item that had to be replaced."""
        problem = too_long(params)
        if problem:
            return cls(), [problem]
        read = Reader(params)
        cfg = cls(
            b1=read.value("b1", _bounded("b1", LEARN_B1), DEFAULTS["b1"], LEARN_B1),
            b2=read.value("b2", _bounded("b2", LEARN_B2), DEFAULTS["b2"], LEARN_B2),
            C=read.value("C", _bounded("C", LEARN_C), DEFAULTS["C"], LEARN_C),
            lr=read.stop("lr", LEARN_LRS, DEFAULTS["lr"]),
            gen=read.flag("gen", False),
            mb1=read.value("mb1", _bounded("mb1", LEARN_B1), DEFAULTS["mb1"], LEARN_B1),
            eps=read.stop("eps", LEARN_EPS, DEFAULTS["eps"]),
            warmup=int(read.stop("warmup", WARMUPS, 100)),
            sgd=read.stop("sgd", SGD_LRS, DEFAULTS["sgd"]),
            kappa=read.stop("kappa", KAPPAS, DEFAULTS["kappa"]),
            t=int(read.stop("t", SEVEN_STEPS, DEFAULTS["t"])),
            eta=read.stop("eta", ETAS, DEFAULTS["eta"]),
            swats=read.stop("swats", SWATS_LRS, DEFAULTS["swats"]),
            family=_family(read),
            wd=read.stop("wd", DECAYS, DEFAULTS["wd"]),
            apart=read.choice("apart", tuple(APART), DEFAULT_APART),
        )
        return cfg, read.warnings

    def to_query(self) -> Query:
        """The parameters that reproduce this configuration (only values other than the defaults)."""
        query: Query = {k: format_number(getattr(self, k)) for k, v in DEFAULTS.items() if getattr(self, k) != v}
        if self.gen:
            query["gen"] = "1"
        if self.warmup != 100:
            query["warmup"] = str(self.warmup)
        if self.family != DEFAULT_FAMILY:
            query["family"] = self.family
        if self.apart != DEFAULT_APART:
            query["apart"] = self.apart
        return query
