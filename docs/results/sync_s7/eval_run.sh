#!/bin/bash
# usage: eval_run.sh TRN_RUN GAN_RUN OUT SHARDS  → OUT/{gc.txt, vs_test.txt, vs_ood.txt, eval/}
set -e
cd "$(dirname "$0")/../../.."
T=$1; G=$2; O=$3; S=$4
rm -rf $O/export; mkdir -p $O
.venv/bin/foleygan export $T $G $O/export > $O/export.log 2>&1
.venv/bin/python -m foleygan_tf.evaluation.guidance_check $O/export $S --oracle --json $O/gc.json 2>/dev/null > $O/gc.txt
.venv/bin/python -m foleygan_tf.evaluation.video_sync $O/export $(cat build/s7/test_event_videos.txt) --json $O/vs_test.json 2>/dev/null | tail -2 > $O/vs_test.txt
.venv/bin/python -m foleygan_tf.evaluation.video_sync $O/export build/s5/ood_data --json $O/vs_ood.json 2>/dev/null | tail -2 > $O/vs_ood.txt
.venv/bin/foleygan evaluate --shards $S --classifier build/s5/clf128 --preset compact --trn $O/export/trn \
    --model m=$O/export --out $O/eval --no-plots > $O/eval.log 2>&1 || echo "evaluate failed"
echo done
