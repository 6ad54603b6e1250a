"""usage: loss_trend.py GAN_RUN_DIR KEY [N] — mean of KEY over the first and the last N adversarial
records of the run's history.json (per-step values, every train.log_every steps; N default 20)."""
import json
import os
import sys

run, key = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 20
with open(os.path.join(run, "history.json")) as f:
    records = [r for r in json.load(f) if "g_updates" in r and key in r]   # the adversarial records
first, last = records[:n], records[-n:]
print(f"{key}: first {n} records (updates {first[0]['optimizer_updates']}–{first[-1]['optimizer_updates']}) "
      f"{sum(r[key] for r in first) / len(first):.3f}, last {n} (updates {last[0]['optimizer_updates']}–"
      f"{last[-1]['optimizer_updates']}) {sum(r[key] for r in last) / len(last):.3f}")
