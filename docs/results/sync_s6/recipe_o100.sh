#!/bin/bash
# session 5's default-models recipe (3000 G updates) with gan.onset_loss=100: a new 2TRN and GAN
# on the bundled run's shards; writes build/s6/dm/{trn,gan,export,gc.txt}
set -e
cd "$(dirname "$0")/../../.."   # repository root
DM=build/s6/dm; BIN=.venv/bin
mkdir -p $DM
( time $BIN/foleygan train trn build/default-models/shards $DM/trn --preset compact --epochs 100 \
    --set trn.pair_target=audio_onsets --set trn.pair_loss_weight=5 --set trn.pair_input=rgb_difference ) > $DM/trn.log 2>&1
( time $BIN/foleygan train gan build/default-models/shards $DM/gan --preset compact --trn $DM/trn --steps 6000 \
    --set train.d_pretrain_updates=10 --set train.sample_every=1000 --set train.d_steps=1 \
    --set train.checkpoint_every=250 --set train.log_every=10 \
    --set train.lr_d=5e-5 --set train.lr_g=1e-4 --set gan.d_sees_action=true \
    --set gan.envelope_loss=10 --set gan.spectrum_loss=5 --set gan.ema_decay=0.998 --set gan.ema_start=1000 \
    --set gan.guidance_source=audio_onsets --set gan.onset_loss=100 ) > $DM/gan.log 2>&1
rm -rf $DM/export && $BIN/foleygan export $DM/trn $DM/gan $DM/export >> $DM/gan.log 2>&1
$BIN/python -m foleygan_tf.evaluation.guidance_check $DM/export build/default-models/shards --oracle > $DM/gc.txt 2>&1
touch $DM/DONE
