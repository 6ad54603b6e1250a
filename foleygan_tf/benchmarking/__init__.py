"""``foleygan bench``: measured performance of the hot paths on the machine at hand.

One module per benchmark, each exposing ``run(preset, **options) -> dict`` (a JSON-ready dict;
the config-based ones take the run's ``--set`` as ``overrides``):

* :mod:`.peak`      — dense matmul and 3×3 conv GFLOP/s in float32 and bfloat16 (the roofline the
  efficiencies are measured against);
* :mod:`.flops`     — FLOPs and parameters of G, D and the TRNs per preset, the train-step
  estimate, vanilla BigGAN's G/D for comparison;
* :mod:`.codec`     — ``SpectrogramCodec`` encode + decode vs librosa ``stft``/``istft``;
* :mod:`.generator` — G latency (batch 1, best dtype) and throughput (batch 16), real-time factor,
  bf16-vs-f32 output quality, XLA;
* :mod:`.train`     — ``FoleyGAN.train_step`` examples/s (float32 / mixed_bfloat16, with / without XLA);
* :mod:`.memory`    — graph-derived training-memory estimate per micro-batch (what a GPU needs);
* :mod:`.pipeline`  — ``synth-data``/``prepare`` clips/s, the GAN and TRN ``tf.data`` examples/s;
* :mod:`.generate`  — ``foleygan generate`` wall time for a 10 s video with the default models.

:mod:`.runner` plans the (benchmark, preset, variant) tasks and runs each in its own subprocess —
so each peak RSS is its own and a task that overruns its time limit is stopped and recorded as
"not measured" — and merges the results with the machine description; :mod:`.report` renders the
JSON as the tables in ``benchmarks/README.md``; :mod:`.profile` is the ``tf.profiler`` op
breakdown used by ``codec`` and ``generator``; :mod:`.common` holds the shared helpers.
"""

BENCHMARKS = ("peak", "flops", "codec", "generator", "train", "memory", "pipeline", "generate")
