"""MNIST: data (IDX files, checksums, the bundled subset), models and training races."""
