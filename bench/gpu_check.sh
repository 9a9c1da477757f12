#!/usr/bin/env bash
# The GPU check of the device backend, as one script: install glassnet with CuPy and a
# CUDA build of PyTorch, run the GPU-marked tests, then time the benchmark on the device.
# Run from the repository root on a machine with an NVIDIA GPU and network access:
#     bash bench/gpu_check.sh [pip's --index-url for PyTorch's CUDA wheels]
set -euo pipefail
TORCH_INDEX="${1:-https://download.pytorch.org/whl/cu126}"
python -m venv .gpu-venv
. .gpu-venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet -e ".[gpu,test]"
python -m pip install --quiet torch --index-url "$TORCH_INDEX"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
python -c "import cupy; print('cupy', cupy.__version__, 'devices', cupy.cuda.runtime.getDeviceCount())"
python -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
# The GPU-marked tests: forward, gradients and one step of every optimizer equal to the
# CPU's to 1e-5 in float32 (they must PASS here, not skip).
python -m pytest -m gpu -rs -v tests/engine/test_cuda.py
# The whole CPU suite on this machine too (the device paths import CuPy only on request).
python -m pytest -q -x
# The benchmark: the 784-256-128-10 MLP, one epoch of 60,000 samples, beside PyTorch CUDA.
if python bench/speed.py --help | grep -q -- "--device"; then
    python bench/speed.py --device cuda --repeats 5
else
    echo "bench/speed.py has no --device option yet: the GPU timing is still to be written" >&2
    exit 2
fi
