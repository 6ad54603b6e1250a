"""usage: ood_check.py MODELS SHARDS [MODELS SHARDS …] — onset F1 (guided / off / shuffled) and the
2TRN's P_act-peak F1 of each models directory on *all* windows (train + test split) of its shards:
clips none of the models was trained on (e.g. synth-data at another size, fps and length)."""
import sys

from foleygan_tf.evaluation import guidance_check as gc

args = sys.argv[1:]
for models, shards in zip(args[::2], args[1::2]):
    wins = gc.load_windows(shards, "train") + gc.load_windows(shards, "test")
    res = gc.guidance_check(models, windows=wins)
    o = {m: res["modes"][m]["overall"] for m in res["modes"]}
    print(f"{models}: {len(wins)} windows, {o['normal']['num_reference']} events; onset F1 guided "
          f"{o['normal']['f1']:.2f} (P {o['normal']['precision']:.2f} R {o['normal']['recall']:.2f}), off "
          f"{o['off']['f1']:.2f}, shuffled {o['shuffled']['f1']:.2f}; P_act-peak F1 "
          f"{res['pact_onsets']['overall']['f1']:.2f}; real audio {res['real']['overall']['f1']:.2f}", flush=True)
    print("  guided F1 per class: " + ", ".join(f"{c} {res['modes']['normal']['per_class'][c]['f1']:.2f}"
                                                for c in res["event_classes"]), flush=True)
