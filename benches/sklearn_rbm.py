"""Three epochs (timed apart) of scikit-learn's BernoulliRBM on Fashion-MNIST, the figure bench_rbm sits beside.

python3 benches/sklearn_rbm.py [DATA_DIR] [N_COMPONENTS]; thread count from OMP_NUM_THREADS.
"""
import gzip
import sys
import time

import numpy as np
from sklearn.neural_network import BernoulliRBM

data_dir = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
n_hidden = int(sys.argv[2]) if len(sys.argv) > 2 else 500
with gzip.open(f"{data_dir}/train-images-idx3-ubyte.gz") as f:
    x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784).astype(np.float32) / 255
times = []
for _ in range(3):
    rbm = BernoulliRBM(n_components=n_hidden, batch_size=100, n_iter=1, learning_rate=0.05,
                       random_state=1)
    start = time.perf_counter()
    rbm.fit(x)
    times.append(time.perf_counter() - start)
times.sort()
print(f"scikit-learn BernoulliRBM 784 → {n_hidden}: best {times[0]:.2f} s per epoch, "
      f"median {times[1]:.2f} s")
