#!/bin/bash
# usage: [FROM=RUN] [O=OUT] [STEPS=N] resume.sh — copy the GAN run FROM (default: session 5's bundled
# run, build/default-models/gan of `make default-models` at --steps 6000, i.e. 3000 updates) to
# O/gan (default build/s6/long) and resume it to STEPS micro-batches (default 12000 = 6000 updates)
# with the flags of make default-models; export it with the same 2TRN and score it (O/gc.txt).
# build/s6/long's generator/ is the bundled generator since session 6; build/s6/long9k came from
# FROM=build/s6/long/gan O=build/s6/long9k STEPS=18000. (eval.classifier_backbone=auto: the run
# predates that compact-preset setting, and a run resumes only with its own config.)
cd "$(dirname "$0")/../../.."   # repository root
FROM=${FROM:-build/default-models/gan}; O=${O:-build/s6/long}; STEPS=${STEPS:-12000}
S=build/default-models/shards; T=build/default-models/trn; BIN=.venv/bin
mkdir -p $O && rm -rf $O/gan && cp -r $FROM $O/gan
( time $BIN/foleygan train gan $S $O/gan --preset compact --trn $T --steps $STEPS \
    --set train.d_pretrain_updates=10 --set train.sample_every=1000 --set train.d_steps=1 \
    --set train.checkpoint_every=250 --set train.log_every=10 \
    --set train.lr_d=5e-5 --set train.lr_g=1e-4 --set gan.d_sees_action=true \
    --set gan.envelope_loss=10 --set gan.spectrum_loss=5 --set gan.ema_decay=0.998 --set gan.ema_start=1000 \
    --set gan.guidance_source=audio_onsets --set gan.onset_loss=30 --set eval.classifier_backbone=auto ) > $O/gan.log 2>&1
rm -rf $O/export && $BIN/foleygan export $T $O/gan $O/export >> $O/gan.log 2>&1
$BIN/python -m foleygan_tf.evaluation.guidance_check $O/export $S --oracle > $O/gc.txt 2>&1
touch $O/DONE
