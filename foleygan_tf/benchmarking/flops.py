"""FLOPs and parameters per preset: G, D, the MTRN and the pair TRN per example, the train-step
estimate (:func:`foleygan_tf.models.flops.preset_flops`), and G/D of vanilla BigGAN — the same
config with ``gan.guidance=none`` — for comparison with the published BigGAN counts.

Parameters are trainable ones (PyTorch's convention). Nothing is timed: the models are built with
zero kernels. One task covers every preset of the run (the counts take seconds).
"""

from __future__ import annotations

from foleygan_tf.benchmarking.common import task_config


def run(presets=("tiny", "small", "paper"), *, overrides=()) -> dict:
    from foleygan_tf.config import apply_overrides
    from foleygan_tf.models.flops import preset_flops

    out = {}
    for name in presets:
        entry = preset_flops(task_config(name, overrides))
        vanilla = preset_flops(apply_overrides(task_config(name, overrides), ["gan.guidance=none"]), include_trn=False)
        entry["vanilla_biggan"] = {k: vanilla[k] for k in ("generator_params", "generator_gflops",
                                                           "discriminator_params", "discriminator_gflops")}
        out[name] = entry
    return {"presets": out}
