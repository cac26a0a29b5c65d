"""Real MNIST, offline first: the four IDX files, checked against the canonical content.

Sources, in order: a folder of IDX files (gzipped or not) given by the caller or by
$OPTVIZ_MNIST_DIR, then the user's cache (~/.cache/optviz/mnist, filled by :func:`download`),
else the deterministic subset bundled with the package (data/mnist_subset.npz) (the first 12,000 training and 2,000 test
images, made by scripts/make_mnist_subset.py from the full files).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# SHA-256 of each file's canonical (uncompressed) content; their MD5s are the ones LeCun et al. publish.
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
CACHE_DIR = os.path.join(os.path.expanduser("~"), ".cache", "optviz", "mnist")
# Public mirrors of the canonical files (the original host refuses scripted downloads).
MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/")
# Package data: an installed wheel has it wherever it is installed (pyproject.toml ships data/*.npz).
BUNDLED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "mnist_subset.npz")


class MnistError(ValueError):
    """A missing, corrupt or truncated data file; the message names the file."""


@dataclass
class Mnist:
    """Images as uint8 [n, 28, 28], labels as uint8 [n], and where they came from."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str


def parse_idx(data: bytes, name: str = "IDX data") -> np.ndarray:
    """An IDX array (magic 0x0000 0x08 ndim, big-endian dimensions, unsigned bytes)."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise MnistError(f"{name}: not an IDX file (bad magic number)")
    if data[2] != 0x08:
        raise MnistError(f"{name}: element type 0x{data[2]:02x} is not unsigned bytes (0x08)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise MnistError(f"{name}: truncated header")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    size = int(np.prod(shape)) if shape else 0
    if len(data) != header + size:
        raise MnistError(
            f"{name}: {len(data) - header} bytes of data where the header promises {size} (truncated or corrupt)"
        )
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


def read_idx_file(path: str, verify: bool = True) -> np.ndarray:
    """Read one IDX file, gzipped or not; with ``verify``, check it against the canonical SHA-256."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise MnistError(f"{os.path.basename(path)}: cannot be read ({err})") from None
    base = os.path.basename(path).removesuffix(".gz")
    if verify and base in SHA256 and hashlib.sha256(data).hexdigest() != SHA256[base]:
        raise MnistError(
            f"{os.path.basename(path)}: its content does not match the canonical MNIST "
            "checksum (corrupt, truncated or not MNIST); replace the file"
        )
    return parse_idx(data, os.path.basename(path))


def find_file(folder: str, base: str) -> str:
    """The path of ``base`` or ``base.gz`` in ``folder``."""
    for candidate in (base, base + ".gz"):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            return path
    raise MnistError(f"{base}: not found in {folder} (as {base} or {base}.gz)")


def load_folder(folder: str, verify: bool = True) -> Mnist:
    """Full MNIST from a folder of the four IDX files."""
    arrays = {key: read_idx_file(find_file(folder, base), verify) for key, base in FILES.items()}
    return Mnist(**arrays, source=f"folder {folder}")


def load_bundled(path: str = BUNDLED) -> Mnist:
    """The subset shipped with the package (works offline, always)."""
    with np.load(path) as z:
        return Mnist(
            z["train_images"],
            z["train_labels"],
            z["test_images"],
            z["test_labels"],
            source="bundled subset (first 12,000 training and 2,000 test images)",
        )


def cached(cache_dir: str = CACHE_DIR) -> bool:
    """Whether the user's cache holds all four files."""
    return all(os.path.exists(os.path.join(cache_dir, base + ".gz")) for base in FILES.values())


def download(
    cache_dir: str = CACHE_DIR,
    mirrors: Sequence[str] = MIRRORS,
    progress: Callable[[int, int, str], None] | None = None,
    timeout: float = 20.0,
) -> str:
    """Fetch the four .gz files into ``cache_dir``, each checked against its canonical SHA-256.

    Mirrors are tried in order; a file is written only once verified. ``progress(done, total,
    name)`` reports bytes. Raises MnistError when no mirror serves a good copy (offline, say).
    """
    os.makedirs(cache_dir, exist_ok=True)
    for base in FILES.values():
        target = os.path.join(cache_dir, base + ".gz")
        if os.path.exists(target):
            continue
        problems = []
        for mirror in mirrors:
            try:
                raw = _fetch(mirror + base + ".gz", base, progress, timeout)
                if hashlib.sha256(gzip.decompress(raw)).hexdigest() != SHA256[base]:
                    raise MnistError("checksum mismatch")
            except (OSError, EOFError, MnistError, gzip.BadGzipFile) as err:
                problems.append(f"{mirror}: {err}")
                continue
            with open(target + ".part", "wb") as f:
                f.write(raw)
            os.replace(target + ".part", target)
            break
        else:
            raise MnistError(f"{base}.gz: no mirror gave a good copy ({'; '.join(problems)})")
    return cache_dir


def _fetch(url: str, name: str, progress, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0)
        chunks, done = [], 0
        while chunk := response.read(1 << 16):
            chunks.append(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total, name)
    return b"".join(chunks)


def load(folder: str | None = None, cache_dir: str = CACHE_DIR) -> Mnist:
    """``folder`` or $OPTVIZ_MNIST_DIR if given (errors if broken), else the user's cache, else the bundled subset."""
    folder = folder or os.environ.get("OPTVIZ_MNIST_DIR")
    if folder:
        return load_folder(folder)
    return load_folder(cache_dir) if cached(cache_dir) else load_bundled()
