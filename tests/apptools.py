"""Helpers for AppTest-based tests: run the app, read its Plotly charts back."""

from __future__ import annotations

import json
import os
import re

from streamlit.testing.v1 import AppTest

APP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app.py")


def make_app(**query) -> AppTest:
    """An AppTest of app.py with the given query parameters (lists for repeated keys)."""
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    return at


def charts(at: AppTest) -> dict[str, dict]:
    """Every Plotly chart on the page as its figure JSON, by the chart's key."""
    out = {}
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        out[el.proto.id.split("-")[-1] if el.proto.id else str(len(out))] = spec
    return out


def chart_with(at: AppTest, trace_type: str) -> dict:
    """The first chart whose first trace has ``trace_type`` (e.g. 'surface', 'contour')."""
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        if spec["data"] and spec["data"][0].get("type") == trace_type:
            return spec
    raise AssertionError(f"no chart with a {trace_type} trace")


def path_trace(fig: dict, name: str) -> dict:
    """The trace called ``name`` in a figure."""
    for trace in fig["data"]:
        if trace.get("name") == name:
            return trace
    raise AssertionError(f"no trace {name!r}; have {[t.get('name') for t in fig['data']]}")


def xy(trace: dict) -> list:
    """A trace's x and y values as plain lists (Plotly may encode arrays as typed buffers)."""
    return [_values(trace["x"]), _values(trace["y"])]


def _values(v):
    if isinstance(v, dict) and "bdata" in v:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).tolist()
    return list(v)


def query(at: AppTest) -> dict[str, list[str]]:
    """The app's query parameters, every value as a list."""
    return {k: v if isinstance(v, list) else [v] for k, v in at.query_params.items()}


def open_link_on(page_path: str, params, timeout: int = 120) -> AppTest:
    """A fresh session that opens a link to ``page_path`` (the first page it shows)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(page_path)
    at.run()
    return at


def open_page(page_path: str) -> AppTest:
    """An AppTest that has run the app once and then switched to ``page_path``."""
    at = make_app()
    at.run()
    at.switch_page(page_path).run()
    return at


def shown(elements) -> list[str]:
    """The text of alerts (warnings, errors, ...) as a reader sees it: Markdown escapes removed."""
    return [re.sub(r"\\(.)", r"\1", el.value) for el in elements]


def markdown_tables(at: AppTest) -> list[list[dict]]:
    """Every Markdown table on the page, as rows of {column: cell text} (escapes removed)."""
    tables = []
    for m in at.markdown:
        lines = [line for line in m.value.splitlines() if line.startswith("|")]
        if len(lines) < 2 or not set(lines[1]) <= set("|-: "):
            continue
        split = lambda line: [re.sub(r"\\(.)", r"\1", c.strip()) for c in line.strip("|").split(" | ")]
        header = split(lines[0])
        tables.append([dict(zip(header, split(line))) for line in lines[2:]])
    return tables


# The payloads the download buttons would deliver: Streamlit registers each button's builder
# with its media file manager (a deferred download); recording them here lets a test read
# exactly what a click would download, not what the test thinks the page exports.
_DEFERRED: dict = {}


def _record_deferred():
    from streamlit.runtime.media_file_manager import MediaFileManager

    original = MediaFileManager.add_deferred
    if getattr(original, "_records", False):
        return

    def recording(self, data_callable, *args, **kwargs):
        file_id = original(self, data_callable, *args, **kwargs)
        _DEFERRED[file_id] = data_callable
        return file_id

    recording._records = True
    MediaFileManager.add_deferred = recording


_record_deferred()


def download(at: AppTest, label: str):
    """What the download button labelled ``label`` delivers when clicked (text or bytes)."""
    button = next(b for b in at.get("download_button") if b.proto.label == label)
    data = _DEFERRED[button.proto.deferred_file_id]()
    return data.decode() if isinstance(data, bytes) and not label.endswith("GIF)") else data


def switch_on(at: AppTest, option: str) -> bool:
    """Whether the Surfaces page's display switch ``option`` (log, arrows, playback, scrub) is on."""
    return option in (at.button_group(key="show").value or [])


def set_switch(at: AppTest, option: str, on: bool) -> AppTest:
    """Turn one of the Surfaces page's display switches on or off, as a click on its pill does; runs the app."""
    pills = at.button_group(key="show")
    chosen = [o for o in (pills.value or []) if o != option] + ([option] if on else [])
    return pills.set_value(chosen).run()
