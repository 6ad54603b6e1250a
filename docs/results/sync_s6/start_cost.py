"""usage: start_cost.py MODELS SHARDS — pooled onset P/R/F1 of the guided test windows (event
classes) scored from t = 0 and with their first 0.1 / 0.15 s cut off (events shifted alike), for G
and for the real audio: what the spurious onset at a clip's start costs."""
import sys
from foleygan_tf.evaluation import guidance_check as gc
from foleygan_tf.inference.pipeline import FoleyPipeline

pipe = FoleyPipeline.from_saved_models(sys.argv[1]); audio = pipe.gen_meta["config"]["audio"]
wins = gc.load_windows(sys.argv[2], "test")
res = gc.guidance_check(pipe, windows=wins, modes=("normal",), keep_waves=True, pact_alignment=False)
sr = res["sample_rate"]
for name, waves in (("G guided", res["waves"]["normal"]), ("real", [w["wave"] for w in wins])):
    for cut in (0.0, 0.1, 0.15):
        cut_wins = [dict(w, events=w["events"][w["events"] > cut] - cut, valid_seconds=w["valid_seconds"] - cut)
                    for w in wins]
        o = gc.score_waves([x[int(cut * sr):] for x in waves], cut_wins, audio)["overall"]
        print(f"{name:9s} from {cut:.2f} s: P {o['precision']:.2f} R {o['recall']:.2f} F1 {o['f1']:.2f}  "
              f"({o['num_reference']} events, {o['num_estimated']} onsets)")
