#!/bin/bash
# usage: gan.sh SHARDS TRN OUT [extra --set ...]
S=$1; T=$2; O=$3; shift 3
cd "$(dirname "$0")/../../.."   # repository root
( time .venv/bin/foleygan train gan $S $O/gan --preset tiny --trn $T --steps ${STEPS:-6000} \
    --set train.d_pretrain_updates=10 --set train.sample_every=1000 --set train.d_steps=1 \
    --set train.checkpoint_every=250 --set train.log_every=10 \
    --set train.lr_d=5e-5 --set train.lr_g=1e-4 --set gan.d_sees_action=true \
    --set gan.envelope_loss=10 --set gan.spectrum_loss=5 --set gan.ema_decay=0.998 --set gan.ema_start=1000 "$@" ) > $O/gan.log 2>&1
rm -rf $O/export && .venv/bin/foleygan export all $T $O/gan $O/export >> $O/gan.log 2>&1
.venv/bin/python -m foleygan_tf.evaluation.guidance_check $O/export $S > $O/gc.txt 2>&1
.venv/bin/python docs/results/sync_s3/oracle.py $O/export $S 2>&1 | grep -v "Warn\|I tensorflow\|rendezvous\|rebuild\|To enable" | head -4 > $O/oracle.txt
