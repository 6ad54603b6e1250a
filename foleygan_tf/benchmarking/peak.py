"""Measured dense peak of this machine in TensorFlow: a square matmul and a 3×3 convolution
(96 → 96 channels, the paper G's last block) in float32 and bfloat16.

The efficiency of every other benchmark is its achieved FLOP/s divided by the best of these two
for the same dtype ("dense peak"): what TensorFlow (oneDNN) reaches on a large, regular problem.
``dense_peak_gflop_per_cpu_s`` is the same per CPU-second of the process (all threads) — on a
shared machine the wall-clock peak moves with the other jobs, the work per CPU-second much less.
"""

from __future__ import annotations

from foleygan_tf.benchmarking.common import time_calls

DTYPES = ("float32", "bfloat16")


def _rate(fn, flops, repeats):
    t = time_calls(fn, repeats=repeats, warmup=1)
    return {"gflops_s": round(flops / t["best_s"] / 1e9, 1), "best_s": t["best_s"], "runs_s": t["runs_s"],
            "cpu_s": t["cpu_s"], "gflop_per_cpu_s": round(flops / t["cpu_s"] / 1e9, 1) if t["cpu_s"] else None}


def run(preset: str | None = None, *, matmul_n: int = 2048, conv_size: int = 512, conv_channels: int = 96,
        repeats: int = 5) -> dict:
    import tensorflow as tf

    out = {"matmul": {"shape": [matmul_n, matmul_n, matmul_n]},
           "conv3x3": {"shape": [1, conv_size, conv_size, conv_channels, conv_channels]}}
    mm_flops = 2 * matmul_n ** 3
    conv_flops = 2 * conv_size * conv_size * 9 * conv_channels * conv_channels
    for name in DTYPES:
        dtype = tf.as_dtype(name)
        a = tf.cast(tf.random.stateless_normal([matmul_n, matmul_n], seed=[0, 1]), dtype)
        b = tf.cast(tf.random.stateless_normal([matmul_n, matmul_n], seed=[0, 2]), dtype)
        matmul = tf.function(lambda a, b: tf.reduce_sum(tf.matmul(a, b)[:1, :1]))
        out["matmul"][name] = _rate(lambda: matmul(a, b).numpy(), mm_flops, repeats)
        x = tf.cast(tf.random.stateless_normal([1, conv_size, conv_size, conv_channels], seed=[0, 3]), dtype)
        w = tf.cast(tf.random.stateless_normal([3, 3, conv_channels, conv_channels], seed=[0, 4]) * 0.05, dtype)
        conv = tf.function(lambda x, w: tf.reduce_sum(tf.nn.conv2d(x, w, 1, "SAME")[:, :1, :1]))
        out["conv3x3"][name] = _rate(lambda: conv(x, w).numpy(), conv_flops, repeats)
    out["dense_peak_gflops_s"] = {name: max(out["matmul"][name]["gflops_s"], out["conv3x3"][name]["gflops_s"])
                                  for name in DTYPES}
    # the same per CPU-second of this process: much less sensitive to other jobs on the machine
    out["dense_peak_gflop_per_cpu_s"] = {name: max(out[k][name]["gflop_per_cpu_s"] or 0 for k in ("matmul", "conv3x3"))
                                         for name in DTYPES}
    return out
