"""Build the MNIST subset that ships inside the package (glassnet/datasets/data/mnist_small.npz).

The package must train out of the box with no network and no data of the user's, so it
carries a small, stratified, seeded sample of the real MNIST files. Rerun this script to
rebuild the file byte for byte from the published IDX files:

    python tools/make_mnist_small.py ../shared/datasets/mnist
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from glassnet.data import load_idx

N_TRAIN_PER_CLASS = 1000
N_TEST_PER_CLASS = 200
SEED = 20261122


def stratified_sample(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    chosen = [rng.choice(np.flatnonzero(labels == k), per_class, replace=False) for k in range(10)]
    return np.sort(np.concatenate(chosen))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mnist_dir", type=Path)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).parents[1] / "src/glassnet/datasets/data/mnist_small.npz",
    )
    args = parser.parse_args()
    rng = np.random.default_rng(SEED)
    X_train = load_idx(args.mnist_dir / "train-images-idx3-ubyte.gz").reshape(-1, 784)
    y_train = load_idx(args.mnist_dir / "train-labels-idx1-ubyte.gz")
    X_test = load_idx(args.mnist_dir / "t10k-images-idx3-ubyte.gz").reshape(-1, 784)
    y_test = load_idx(args.mnist_dir / "t10k-labels-idx1-ubyte.gz")
    train = stratified_sample(y_train, N_TRAIN_PER_CLASS, rng)
    test = stratified_sample(y_test, N_TEST_PER_CLASS, rng)
    np.savez_compressed(
        args.out,
        X_train=X_train[train],
        y_train=y_train[train],
        X_test=X_test[test],
        y_test=y_test[test],
    )
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
