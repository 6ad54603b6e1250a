import numpy as np, tensorflow as tf, sys
from foleygan_tf.evaluation import guidance_check as gc
from foleygan_tf.data.pipeline import pair_onset_weights
trn = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
wins = gc.load_windows(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "test")
by = {}
for w in wins:
    if not (w["has_events"] and len(w["events"])): continue
    p = trn(frames=tf.constant(w["frames"][None]), fps=tf.constant([w["fps"]], tf.float32))["p_act"].numpy()[0]
    t = pair_onset_weights(w["wave"], w["fps"], len(p), 689).numpy()
    # peak picking on p: local maxima above 0.3
    pk = [i for i in range(len(p)) if p[i] >= 0.3 and p[i] == p[max(0,i-1):i+2].max()]
    tau = (np.arange(len(p)) + 0.5) / w["fps"]
    from foleygan_tf.evaluation.sync import onset_scores
    s = onset_scores(w["events"], tau[pk], 0.1)
    d = by.setdefault(w["class_name"], {"tp":0,"est":0,"ref":0,"corr":[]})
    d["tp"] += s["num_matched"]; d["est"] += s["num_estimated"]; d["ref"] += s["num_reference"]
    if t.std() > 0 and p.std() > 0: d["corr"].append(np.corrcoef(p, t)[0, 1])
T = {"tp":0,"est":0,"ref":0}
for c, d in sorted(by.items()):
    P = d["tp"]/max(1,d["est"]); R = d["tp"]/d["ref"]; F = 2*P*R/max(1e-9,P+R)
    for k in T: T[k] += d[k]
    print(f"{c:10s} P {P:.2f} R {R:.2f} F1 {F:.2f} corr(p, target) {np.mean(d['corr']):.2f}")
P = T["tp"]/T["est"]; R = T["tp"]/T["ref"]; print("all P_act-peak F1", round(2*P*R/(P+R), 2), round(P,2), round(R,2))
