"""How efficient can a train step be when every convolution runs as fast as it does alone?

``foleygan bench`` reports a train step's efficiency: the analytic FLOP estimate per second over
the dense peak (a 2048³ matmul, a 96 → 96 conv at 512²). At narrow widths that ratio is low, and
the question is whether the step wastes time between kernels (fusion, element-wise passes,
attention) or whether the kernels themselves are slow at these shapes. This diagnostic builds G
and D of a config, times each of their convolutions (every ``SNConv2D`` outside the attention
layers, as the layer itself runs it: spectral norm, folded resampling) and each ``SelfAttention``
layer **in isolation**, forward and forward + backward (input and weight gradients), at the
batch the step gives it (less the cost of calling an empty ``tf.function`` on the same input,
measured alongside: the step pays no such per-kernel dispatch), and adds the times up the way
one step runs its networks
(``foleygan_tf.models.flops.train_step_gflops_per_example``: per D update G forward + D forward
and backward on real and fake together, per G update G and D forward and backward). The step's
FLOP estimate over that sum is the **ceiling** of its efficiency: what it would reach if it did
nothing but these kernels, back to back, each at its isolated speed. The measured step (same
process, ``benchmarking.train.run``) and the dense peak (``benchmarking.peak.run``) come from the
same run.

``python -m research.perf.kernel_ceiling [--preset small] [--set field=value …] [--json OUT]``
— the variant measured is the config's own (``small``: mixed_bfloat16 with XLA); add
``--set train.mixed_precision=float32 --set train.jit_compile=false`` for the fastest narrow step
of benchmarks/README.md.
"""

from __future__ import annotations

__all__ = ["network_kernels", "step_kernel_seconds", "kernel_ceiling", "format_kernel_ceiling"]


def network_kernels(network) -> list:
    """``[(kind, layer)]`` of a built network: its ``SelfAttention`` layers (kind ``attention``)
    and every ``SNConv2D`` not inside one (kind ``conv``)."""
    from foleygan_tf.models.layers import SelfAttention, SNConv2D

    layers = network._flatten_layers(include_self=False, recursive=True)
    attention = [l for l in layers if isinstance(l, SelfAttention)]
    inside = {id(c) for a in attention for c in (a.theta, a.phi, a.g, a.o)}
    convs = [l for l in layers if isinstance(l, SNConv2D) and id(l) not in inside]
    return [("conv", l) for l in convs] + [("attention", l) for l in attention]


def _input_shape(layer, batch: int) -> tuple:
    channels = layer.in_channels if hasattr(layer, "in_channels") else layer.channels
    return (batch, *layer.spatial, channels)


def _kernel_seconds(layer, batch: int, repeats: int) -> dict:
    """Best wall seconds of ``layer`` alone on a random ``[batch, …]`` input: ``forward`` and
    ``backward`` (forward + input and weight gradients)."""
    import tensorflow as tf

    from foleygan_tf.benchmarking.common import time_calls

    x = tf.cast(tf.random.stateless_normal(_input_shape(layer, batch), seed=[0, 1]), layer.compute_dtype)

    @tf.function
    def forward(x):
        return tf.reduce_sum(tf.cast(layer(x, training=True)[:, :1, :1], tf.float32))

    @tf.function
    def backward(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.cast(layer(x, training=True), tf.float32)
            loss = tf.reduce_sum(y * y)
        grads = tape.gradient(loss, [x, *layer.trainable_weights])
        return tf.add_n([tf.reduce_sum(tf.cast(g, tf.float32)) for g in grads if g is not None])

    @tf.function
    def empty(x):
        return tf.reduce_sum(tf.cast(x[:, :1, :1], tf.float32))

    overhead = time_calls(lambda: empty(x).numpy(), repeats=repeats, warmup=1)["best_s"]
    return {name: max(time_calls(lambda: fn(x).numpy(), repeats=repeats, warmup=1)["best_s"] - overhead, 1e-6)
            for name, fn in (("forward", forward), ("backward", backward))}


def step_kernel_seconds(times: dict, micro_batch: int, accumulation_steps: int, d_steps: int) -> float:
    """Seconds of one train step made of isolated kernels: ``times[(network, pass, batch)]`` summed
    over a network's kernels; per micro-batch ``d_steps`` × (G forward at B + D backward at 2B)
    + G backward at B + D backward at B."""
    b = micro_batch
    d_update = times[("generator", "forward", b)] + times[("discriminator", "backward", 2 * b)]
    g_update = times[("generator", "backward", b)] + times[("discriminator", "backward", b)]
    return accumulation_steps * (d_steps * d_update + g_update)


def kernel_ceiling(config, repeats: int = 3, measure_step: bool = True, overrides=()) -> dict:
    """Isolated kernel times of ``config``'s G and D, the step they add up to and its efficiency
    ceiling, beside the dense peak and (``measure_step``) the measured step of the same process."""
    from foleygan_tf.benchmarking import peak, train
    from foleygan_tf.models.flops import discriminator_flops, generator_flops, train_step_gflops_per_example
    from foleygan_tf.training.fit_gan import build_gan

    t = config.train
    gan = build_gan(config)
    b = t.batch_size
    networks = {"generator": (gan.generator, [b]), "discriminator": (gan.discriminator, [b, 2 * b])}
    cache, rows, sums = {}, [], {}
    for net_name, (network, batches) in networks.items():
        for kind, layer in network_kernels(network):
            for batch in batches:
                # layers of one shape share a timing (the layer's name is not part of its shape)
                shape = ((layer.filters, layer.kernel_size, layer.resample) if kind == "conv" else layer.channels)
                key = (kind, _input_shape(layer, batch), shape)
                if key not in cache:
                    cache[key] = _kernel_seconds(layer, batch, repeats)
                secs = cache[key]
                rows.append({"network": net_name, "kind": kind, "layer": layer.name, "batch": batch,
                             "input": list(_input_shape(layer, batch)), "gflop": layer.flops() * batch / 1e9,
                             **secs})
                for pass_ in ("forward", "backward"):
                    for k in ("all", kind):
                        sums[(k, net_name, pass_, batch)] = sums.get((k, net_name, pass_, batch), 0.0) + secs[pass_]
    g_gf, d_gf = generator_flops(gan.generator) / 1e9, discriminator_flops(gan.discriminator) / 1e9
    examples = b * t.accumulation_steps * t.d_steps
    step_gflop = train_step_gflops_per_example(g_gf, d_gf, t.d_steps) * examples
    dense = peak.run(repeats=repeats)["dense_peak_gflops_s"][_dtype(config)]
    out = {"config": config.name, "overrides": list(overrides), "micro_batch": b,
           "accumulation_steps": t.accumulation_steps, "d_steps": t.d_steps, "policy": t.mixed_precision,
           "train_step_gflop_estimate": step_gflop, "dense_peak_gflops_s": dense, "kernels": rows, "steps": {}}
    for kind in ("conv", "all"):
        times = {key[1:]: v for key, v in sums.items() if key[0] == kind}
        seconds = step_kernel_seconds(times, b, t.accumulation_steps, t.d_steps)
        out["steps"]["convolutions" if kind == "conv" else "convolutions + attention"] = {
            "step_s": seconds, "efficiency": step_gflop / seconds / dense}
    if measure_step:
        step = train.run(config.name, policy=t.mixed_precision, jit=bool(t.jit_compile), overrides=overrides)
        out["steps"]["measured train step"] = {"step_s": step["step_s"],
                                               "efficiency": step_gflop / step["step_s"] / dense}
    return out


def _dtype(config) -> str:
    return "bfloat16" if "bfloat16" in config.train.mixed_precision else "float32"


def format_kernel_ceiling(result: dict) -> str:
    """The kernels grouped by network, kind, resolution and batch (summed), and the step rows, as
    Markdown."""
    lines = [f"{result['config']} {' '.join(result['overrides'])} — micro-batch {result['micro_batch']} × "
             f"accumulation {result['accumulation_steps']} × d_steps {result['d_steps']}, {result['policy']}; "
             f"train-step estimate {result['train_step_gflop_estimate']:.1f} GFLOP; dense peak "
             f"{result['dense_peak_gflops_s']:.0f} GFLOP/s", "",
             "| network | layers | input | GFLOP (forward) | forward | % of peak | forward + backward | % of peak |",
             "|---|---|---|---|---|---|---|---|"]
    peak = result["dense_peak_gflops_s"]
    groups = {}
    for r in result["kernels"]:
        key = (r["network"], r["kind"], r["input"][1], r["batch"])
        g = groups.setdefault(key, {"count": 0, "gflop": 0.0, "forward": 0.0, "backward": 0.0})
        g["count"] += 1
        for k in ("gflop", "forward", "backward"):
            g[k] += r[k]
    for (network, kind, size, batch), g in groups.items():
        lines.append(f"| {network} | {g['count']} × {kind} | {size}², batch {batch} | {g['gflop']:.3f} | "
                     f"{g['forward'] * 1e3:.1f} ms | {g['gflop'] / g['forward'] / peak:.0%} | "
                     f"{g['backward'] * 1e3:.1f} ms | {3 * g['gflop'] / g['backward'] / peak:.0%} |")
    lines += ["", "| one train step made of | seconds | efficiency (estimate ÷ dense peak) |", "|---|---|---|"]
    for name, s in result["steps"].items():
        lines.append(f"| {name} | {s['step_s']:.3f} | {s['efficiency']:.0%} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    import argparse

    from foleygan_tf.benchmarking.common import task_config
    from research.sync.guidance_check import report

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--preset", default="small")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", dest="overrides")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--no-step", action="store_true", help="skip the measured train step")
    p.add_argument("--json")
    args = p.parse_args(argv)
    config = task_config(args.preset, args.overrides)
    result = kernel_ceiling(config, repeats=args.repeats, measure_step=not args.no_step, overrides=args.overrides)
    report(format_kernel_ceiling(result), result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
