"""``foleygan bench``: measured performance of the hot paths on the machine at hand.

One module per benchmark, each exposing ``run(preset, **options) -> dict`` (a JSON-ready dict):

* :mod:`.peak`      — dense matmul and 3×3 conv GFLOP/s in float32 and bfloat16 (the roofline the
  efficiencies are measured against);
* :mod:`.codec`     — ``SpectrogramCodec`` encode + decode vs librosa ``stft``/``istft``;
* :mod:`.generator` — G latency (batch 1, best dtype) and throughput (batch 16), real-time factor,
  bf16-vs-f32 output quality, XLA;
* :mod:`.train`     — ``FoleyGAN.train_step`` examples/s (float32 / mixed_bfloat16, with / without XLA);
* :mod:`.pipeline`  — the GAN ``tf.data`` pipeline's examples/s;
* :mod:`.generate`  — ``foleygan generate`` wall time for a 10 s video with the default models.

:mod:`.runner` runs every (benchmark, preset, variant) task in its own subprocess — so each peak
RSS is its own and a task that overruns its time limit is stopped and recorded as "not measured"
— and merges the results with the machine description and the FLOP accounting
(:mod:`foleygan_tf.models.flops`). :mod:`.report` renders the JSON as the table in
``benchmarks/README.md``.
"""

BENCHMARKS = ("peak", "codec", "generator", "train", "pipeline", "generate")
