import os
import sys

# Tests import the reference module beside them, and the package from the checkout.
sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))


def pytest_configure(config):
    # The slow kinds, so that `pytest -m "not browser and not server"` is a fast inner loop.
    for name, what in (("app", "runs the Streamlit app in-process (AppTest)"),
                       ("browser", "drives a real server in headless Chromium"),
                       ("server", "starts server processes"),
                       ("full_data", "needs the full MNIST files in ../shared/mnist")):
        config.addinivalue_line("markers", f"{name}: {what}")
