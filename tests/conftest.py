"""The test tree mirrors the package (tests/core, tests/link, tests/plots, tests/app, tests/cli);
shared helpers are tests.apptools, tests.reference and tests.paths.

`make test` runs everything; `pytest -m "not app and not browser and not server"` is the fast
inner loop (a minute or so), and `-m full_data` the tests that read ../shared/mnist.
"""

from optviz.core.engine.devices import tune_for_this_cpu

tune_for_this_cpu()  # the suite is an entry point too: one JAX CPU device per core, as the app and the CLI have


def pytest_configure(config):
    # The slow kinds, so that `pytest -m "not browser and not server"` is a fast inner loop.
    for name, what in (
        ("app", "runs the Streamlit app in-process (AppTest)"),
        ("browser", "drives a real server in headless Chromium"),
        ("server", "starts server processes"),
        ("full_data", "needs the full MNIST files in ../shared/mnist"),
    ):
        config.addinivalue_line("markers", f"{name}: {what}")
