#!/usr/bin/env bash
# One CD-1 epoch, RBM 784 → 500 on Fashion-MNIST: layerwise (1 and 2 threads) and
# scikit-learn's BernoulliRBM (1 and 2 threads), measured in one run on one machine.
# Needs: apt-get install dataset-fashion-mnist; pip install scikit-learn threadpoolctl.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --quiet --example bench_rbm -- "$@"
for t in 1 2; do
    # OPENBLAS_CORETYPE slows a current numpy: unset it for this measurement only.
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t \
        python3 benches/sklearn_rbm.py | sed "s/\$/ (threads $t)/"
done
