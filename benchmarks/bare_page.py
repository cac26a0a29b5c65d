"""The floor: a bare Streamlit + Plotly page that draws what the Surfaces page draws.

One learning rate (a slider and a number box, as the app has); three gradient-descent paths of
``?steps=N`` steps (default 150) computed in NumPy on the bowl; a 100x100 3D surface with the paths,
a contour with the paths, two curve panels and a table. Used by the page benchmarks as the peer to compare with.

``?charts=5`` draws what the Surfaces page draws today (issue 14 added its Stability chart):
the two curve panels as two charts, and a fifth chart of one line per path with a dashed
threshold. The crowd benchmark keeps the three charts its figures were measured with.
"""

import sys
import threading

# Sessions that arrive together on a fresh server import pandas (for the table) at once, and
# Python's import-deadlock detection can hand one of them a half-imported module (the app met
# this too and imports under one lock): the floor imports under one process-wide lock as well.
_lock = sys.__dict__.setdefault("_bare_page_import_lock", threading.Lock())  # one per process, kept across reruns
with _lock:
    import numpy as np
    import pandas  # noqa: F401  (st.table's, imported here under the lock)
    import plotly.graph_objects as go
    import streamlit as st

st.set_page_config(layout="wide")
# The app's pair of controls: a slider over log-spaced stops, the exact value in a number box (key "lr").
ss = st.session_state
ss.setdefault("lr", 0.05)
ss["lr_slider"] = float(ss["lr"])  # the slider shows the box's value, whichever was changed
st.sidebar.select_slider(
    "lr",
    options=sorted({float(f"{v:.3g}") for v in np.geomspace(1e-4, 0.4, 37)} | {ss["lr"]}),
    key="lr_slider",
    on_change=lambda: ss.update(lr=ss["lr_slider"]),
)
lr = st.sidebar.number_input("lr (exact)", 0.0001, 0.4, key="lr", format="%g")
steps = min(max(int(st.query_params.get("steps", 150)), 1), 5000)
xs = np.linspace(-1, 1, 100, dtype=np.float32)
z = xs[None, :] ** 2 + xs[:, None] ** 2
paths = []
for k, rate in enumerate((lr, lr / 2, lr * 2)):
    p = np.empty((steps + 1, 2), np.float32)
    p[0] = (0.8, -0.6)
    for t in range(steps):
        p[t + 1] = p[t] - rate * 2 * p[t]
    paths.append((f"run {k} (lr={rate:g})", p, (p**2).sum(1)))
st.title("Bare page")
c1, c2 = st.columns(2)
c1.plotly_chart(
    go.Figure(
        {
            "data": [{"type": "surface", "x": xs, "y": xs, "z": z, "showscale": False}]
            + [
                {"type": "scatter3d", "x": p[:, 0], "y": p[:, 1], "z": f, "mode": "lines+markers", "name": n}
                for n, p, f in paths
            ],
            "layout": {"height": 560},
        }
    ),
    key="s3d",
)
c2.plotly_chart(
    go.Figure(
        {
            "data": [{"type": "contour", "x": xs, "y": xs, "z": z, "showscale": False}]
            + [
                {"type": "scatter", "x": p[:, 0], "y": p[:, 1], "mode": "lines+markers", "name": n} for n, p, f in paths
            ],
            "layout": {"height": 520},
        }
    ),
    key="contour",
)
curves = [{"type": "scatter", "y": f, "name": n} for n, p, f in paths]
distances = [{"type": "scatter", "y": np.linalg.norm(p, axis=1), "name": n} for n, p, f in paths]
if st.query_params.get("charts") == "5":
    d1, d2 = st.columns(2)
    d1.plotly_chart(go.Figure({"data": curves, "layout": {"height": 340, "yaxis": {"type": "log"}}}), key="curves")
    d2.plotly_chart(
        go.Figure({"data": distances, "layout": {"height": 340, "yaxis": {"type": "log"}}}), key="distances"
    )
    st.markdown("**Stability**: one line per path, its threshold dashed.")
    levels = [{"type": "scatter", "y": np.full(len(f), 2.0), "name": n} for n, p, f in paths]
    st.plotly_chart(
        go.Figure(
            {
                "data": levels
                + [
                    {"type": "scatter", "y": np.full(len(f), 2 / rate), "name": f"2/lr {n}", "line": {"dash": "dash"}}
                    for (n, p, f), rate in zip(paths, (lr, lr / 2, lr * 2))
                ],
                "layout": {"height": 300, "yaxis": {"type": "log"}},
            }
        ),
        key="stability",
    )
else:
    st.plotly_chart(
        go.Figure(
            {
                "data": curves + [{**d, "xaxis": "x2", "yaxis": "y2"} for d in distances],
                "layout": {
                    "height": 340,
                    "xaxis": {"domain": [0, 0.46]},
                    "xaxis2": {"domain": [0.54, 1]},
                    "yaxis": {"type": "log"},
                    "yaxis2": {"type": "log", "anchor": "x2"},
                },
            }
        ),
        key="curves",
    )
st.dataframe([{"run": n, "final loss": float(f[-1])} for n, p, f in paths])
