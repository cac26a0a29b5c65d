"""The layers' rules, checked over the import graph (every import statement, function-level ones too).

optviz's packages are layers, each importing only from its own layer and those under it:

    core  <  link  <  plots  <  app  <  cli

and inside the core: limits, numbers < expressions < optimizers < spec < problems < engine < analysis < warmup.
The core never imports Streamlit or Plotly; plots never import Streamlit or JAX (nor the core,
which would bring JAX); nothing imports Streamlit outside the app (the CLI only starts it); and
no two modules import each other, directly or round a longer cycle.
"""

from __future__ import annotations

import ast
import os

import pytest

from tests.paths import ROOT

LAYERS = ["optviz.core", "optviz.link", "optviz.plots", "optviz.app", "optviz.cli"]
CORE_LAYERS = [
    "optviz.core.limits",
    "optviz.core.numbers",
    "optviz.core.expressions",
    "optviz.core.optimizers",
    "optviz.core.spec",
    "optviz.core.problems",
    "optviz.core.engine",
    "optviz.core.analysis",
    "optviz.core.warmup",
]
FORBIDDEN = {  # layer -> outside packages it must not import
    "optviz.core": ("streamlit", "plotly", "pandas"),
    "optviz.link": ("streamlit", "plotly", "pandas"),
    "optviz.plots": ("streamlit", "jax", "jaxlib", "optviz.core", "optviz.link"),
    "optviz.cli": ("streamlit", "plotly"),
}
PLOTS_MAY_USE = ("optviz.core.numbers", "optviz.core.limits")  # pure Python: no JAX comes with them


def _modules() -> dict[str, str]:
    """Every module of the package: name -> file."""
    out = {}
    for folder, _, files in os.walk(os.path.join(ROOT, "optviz")):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(folder, f)
                name = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                out[name[: -len(".__init__")] if name.endswith(".__init__") else name] = path
    return out


MODULES = _modules()


def _imports(name: str, path: str) -> set[str]:
    """What ``name`` imports: modules by name (a submodule imported from its package counts as that
    submodule), at module level and inside functions."""
    package = name if path.endswith("__init__.py") else name.rsplit(".", 1)[0]
    found = set()
    with open(path) as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            for a in node.names:
                sub = f"{base}.{a.name}"
                found.add(sub if sub in MODULES else base)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _rank(module: str, order: list[str]) -> int | None:
    return next((i for i, p in enumerate(order) if _within(module, p)), None)


def test_the_graph_was_read():
    assert len(GRAPH) > 80 and "optviz.core.optimizers.step" in GRAPH["optviz.core.engine.sweep"]


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_each_layer_leaves_alone_what_it_must_not_import(layer):
    bad = sorted(
        (m, i)
        for m, deps in GRAPH.items()
        if _within(m, layer)
        for i in deps
        if any(_within(i, f) for f in FORBIDDEN[layer]) and not i.startswith(PLOTS_MAY_USE)
    )
    assert bad == [], bad


@pytest.mark.parametrize("order", [LAYERS, CORE_LAYERS], ids=["packages", "inside the core"])
def test_imports_point_down_the_layers(order):
    upward = []
    for module, deps in GRAPH.items():
        mine = _rank(module, order)
        if mine is None:
            continue
        upward += [(module, d) for d in deps if (theirs := _rank(d, order)) is not None and theirs > mine]
    assert upward == [], upward


def test_no_import_cycles():
    """Tarjan's strongly connected components: any with two or more modules is a cycle."""
    index, low, stack, on, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in GRAPH.get(v, ()):
            if w not in GRAPH:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert cycles == [], cycles
