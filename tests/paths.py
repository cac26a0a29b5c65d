"""Where the tests find the checkout's files, and the full MNIST files (beside the checkout, never in it)."""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the checkout: app.py, benchmarks/
FULL_MNIST = os.path.join(ROOT, "..", "shared", "mnist")
