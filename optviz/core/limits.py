"""Every resource bound in one place. The core enforces them; sliders merely reflect them."""

MAX_STEPS = 5000  # steps of one trajectory
MAX_RUNS = 10  # optimizers in one race
RACER_COLORS = 10  # colours a racer may take (optviz.plots.common.PALETTE): one each, however many race
MAX_COORD = 1e4  # |x|, |y| of a start point
MAX_NOISE = 100.0  # gradient-noise sigma
MAX_SEED = 2**31 - 1
MAX_SPEC_LENGTH = 640  # characters of one optimizer SPEC (Muon: 11 keys + 8 common ones in full precision)
MAX_QUERY_LENGTH = 8000  # characters of a share link's query string (browsers take far longer)
MAX_SWEEP_CELLS = 65_536  # cells of one sweep grid
MAX_SWEEP_SIDE = 256  # values along one sweep axis
MAX_SWEEP_STEPS = 2000  # steps of every run in a sweep
SWEEP_CHUNK = 8192  # cells per device in a compiled call: fits the working set in L2 and fixes shapes
MAX_EXPR_LENGTH = 1000  # characters of a custom formula
MAX_EXPR_DEPTH = 64  # nesting of brackets and operations in a custom formula
MAX_EXPR_NODES = 400  # numbers, names, operators and calls in a custom formula
MAX_EXPR_EXPONENT = 64  # |constant exponent| in a custom formula
MAX_EPOCHS = 20  # epochs of one MNIST race
MAX_BATCH = 1024  # MNIST batch size
MAX_LANDSCAPE_GRID = 51  # points along each axis of a loss-landscape slice
MAX_WORKERS = 64  # Streamlit replicas of `python -m optviz serve`
MAX_TRAIN = 60_000  # MNIST training images (the full set)
MAX_TEST = 10_000  # MNIST test images (the full set)
MIN_LANDSCAPE_GRID = 3
MAX_EOS_STEPS = 2000  # full-batch steps of an edge-of-stability run
MAX_EOS_IMAGES = 5000  # its training images (one batch)
MAX_EOS_ITERS = 50  # power iterations per sharpness measurement
MAX_BUDGET = 64  # trials per optimizer and problem in a tuned comparison
MAX_STARTS = 16  # start points per surface in a comparison
MAX_SEEDS = 8  # noise seeds per start in a comparison
MAX_LBFGS_HISTORY = 20  # curvature pairs L-BFGS keeps (torch's default is 100; each is a state array)
# The Learn page's demos: (low, high) of each control.
LEARN_B1 = (0.0, 0.99)  # beta1 in the bias-correction demo
LEARN_B2 = (0.0, 0.9999)  # beta2 in the bias-correction demo
LEARN_C = (2.5, 10.0)  # the large gradient of Reddi et al.'s counterexample
LEARN_LRS = (0.001, 0.003, 0.01, 0.03, 0.1)  # the counterexample's learning-rate stops
LEARN_EPS = (1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2, 1e-1)  # the first-step demo's ε stops
