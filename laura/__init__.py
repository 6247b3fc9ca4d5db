"""laura: Lightning toolkit for unified audio-and-text GPT models (LauraGPT)."""

import os as _os

__version__ = "0.1.0"

# Reproducible CPU numbers across machines. PyTorch, MKL and oneDNN choose their kernels by the
# CPU's instruction set: the same seed gave other weights on an AVX-512 machine than on an AVX2
# one (enough to move a test's figures by 0.02-0.04 and the demo's WER by points), while runs on
# one machine, busy or idle, are bitwise equal. So laura pins all three to AVX2, which every
# x86-64 machine it meets has, before torch computes anything. ``LAURA_CPU_ISA=native`` keeps the
# machine's own choice (faster on some CPUs: bench/bench_cpu_isa.py); an explicit
# ATEN_CPU_CAPABILITY, MKL_CBWR or ONEDNN_MAX_CPU_ISA in the environment wins. It acts only when
# laura is imported before torch has run a kernel (the ``laura`` command always is).
# It narrows the differences between CPUs, it does not remove them (an Intel Xeon and an AMD EPYC
# still differ): docs/reproducibility.md.
CPU_ISA = _os.environ.get("LAURA_CPU_ISA", "avx2").lower()
if CPU_ISA != "native":
    _os.environ.setdefault("ATEN_CPU_CAPABILITY", CPU_ISA)
    _os.environ.setdefault("MKL_CBWR", CPU_ISA.upper())
    _os.environ.setdefault("ONEDNN_MAX_CPU_ISA", CPU_ISA.upper())

# Two jobs on one machine. PyTorch's OpenMP threads (libgomp) spin up to GOMP_SPINCOUNT times
# (300,000 by default) waiting for the next parallel region before they sleep: alone that saves
# wake-ups, but with two 2-thread jobs on 2 cores (training beside a test run, a decode, a token
# extraction) the spinning threads of each hold the cores the other's need, and both ran an
# order of magnitude slower. A thirtieth of that spin costs little alone and makes such a pair
# several times faster (bench/bench_threads.py; figures in docs/performance.md). libgomp reads
# it when torch loads it: like the pin above, it acts when laura is imported first. A
# GOMP_SPINCOUNT or OMP_WAIT_POLICY of your own wins.
if "OMP_WAIT_POLICY" not in _os.environ:
    _os.environ.setdefault("GOMP_SPINCOUNT", "10000")
