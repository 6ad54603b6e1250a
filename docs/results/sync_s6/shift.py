"""usage: shift.py MODELS SHARDS — guided onset F1 with G's waves delayed by 0/20/40/60 ms."""
import sys
import numpy as np
from foleygan_tf.evaluation import guidance_check as gc
from foleygan_tf.inference.pipeline import FoleyPipeline
pipe = FoleyPipeline.from_saved_models(sys.argv[1]); audio = pipe.gen_meta["config"]["audio"]
wins = gc.load_windows(sys.argv[2], "test")
res = gc.guidance_check(pipe, windows=wins, modes=("normal",), keep_waves=True, pact_alignment=False)
sr = res["sample_rate"]
for ms in (0, 20, 40, 60):
    d = int(round(ms / 1000 * sr))
    waves = [np.concatenate([np.zeros(d, np.float32), x[: len(x) - d]]) for x in res["waves"]["normal"]]
    o = gc.score_waves(waves, wins, audio)["overall"]
    print(f"+{ms} ms: P {o['precision']:.2f} R {o['recall']:.2f} F1 {o['f1']:.2f}")
