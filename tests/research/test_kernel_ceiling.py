"""research.perf.kernel_ceiling: a train step's efficiency ceiling from its kernels timed alone."""

import math

from research.perf.kernel_ceiling import format_kernel_ceiling, network_kernels, step_kernel_seconds


def test_network_kernels_cover_every_convolution_once(tf, tiny_cfg):
    """Each SNConv2D of G and D is listed once: alone, or inside the attention layer that runs it;
    their FLOPs are the networks' convolution and attention FLOPs."""
    from foleygan_tf.models.build import build_discriminator, build_generator
    from foleygan_tf.models.layers import SelfAttention, SNConv2D, shape_only_weights

    with shape_only_weights():
        networks = (build_generator(tiny_cfg), build_discriminator(tiny_cfg))
    for network in networks:
        kernels = network_kernels(network)
        convs = [l for k, l in kernels if k == "conv"]
        attention = [l for k, l in kernels if k == "attention"]
        assert len(attention) == 1 and all(isinstance(a, SelfAttention) for a in attention)
        every = [l for l in network._flatten_layers(include_self=False, recursive=True) if isinstance(l, SNConv2D)]
        assert len(convs) + 4 * len(attention) == len(every)
        assert len({id(l) for l in convs}) == len(convs)
        assert sum(l.flops() for l in convs) + sum(a.flops() for a in attention) > 0.9 * sum(
            l.flops() for l in every)


def test_step_adds_kernel_times_as_the_step_runs_its_networks():
    times = {("generator", "forward", 2): 1.0, ("generator", "backward", 2): 100.0,
             ("discriminator", "backward", 4): 10.0, ("discriminator", "backward", 2): 1000.0}
    # 3 micro-batches × (2 D updates × (G forward + D on real and fake) + G update (G and D backward))
    assert step_kernel_seconds(times, micro_batch=2, accumulation_steps=3, d_steps=2) == 3 * (2 * 11.0 + 1100.0)


def test_kernel_seconds_run_a_resampling_layer_forward_and_backward(tf):
    """Smoke test: a folded-upsampling conv (input 16², output 32²) is called and differentiated
    on the input shape ``_input_shape`` gives it (a wrong shape raises); timings are not asserted."""
    from foleygan_tf.models.layers import SNConv2D
    from research.perf.kernel_ceiling import _kernel_seconds

    conv = SNConv2D(8, resample="up")
    conv.build((None, 16, 16, 8))
    secs = _kernel_seconds(conv, batch=2, repeats=1)
    assert set(secs) == {"forward", "backward"} and all(math.isfinite(s) for s in secs.values())


def test_format_groups_kernels_and_reports_efficiency():
    kernel = {"network": "generator", "kind": "conv", "batch": 4, "input": [4, 64, 64, 8], "gflop": 1.0,
              "forward": 0.01, "backward": 0.03}
    result = {"config": "small", "overrides": ["gan.ch=8"], "micro_batch": 4, "accumulation_steps": 2,
              "d_steps": 1, "policy": "float32", "train_step_gflop_estimate": 40.0, "dense_peak_gflops_s": 200.0,
              "kernels": [kernel, dict(kernel)],
              "steps": {"convolutions": {"step_s": 0.4, "efficiency": 0.5},
                        "measured train step": {"step_s": 0.8, "efficiency": 0.25}}}
    text = format_kernel_ceiling(result)
    # two layers at 64² summed: 2 GFLOP in 20 ms = 100 GFLOP/s = 50 % of the peak; backward 3× the work in 60 ms
    assert "| generator | 2 × conv | 64², batch 4 | 2.000 | 20.0 ms | 50% | 60.0 ms | 50% |" in text
    assert "| convolutions | 0.400 | 50% |" in text and "| measured train step | 0.800 | 25% |" in text
