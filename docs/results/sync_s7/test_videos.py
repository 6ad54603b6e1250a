"""Print the video files of a shards directory's test split that have sidecar events, one per line:
``python docs/results/sync_s7/test_videos.py SHARDS DATA_DIR > build/s7/test_event_videos.txt``."""
import glob
import json
import os
import sys

import tensorflow as tf

shards, data = sys.argv[1], sys.argv[2]
ids = set()
for record in tf.data.TFRecordDataset(sorted(glob.glob(os.path.join(shards, "test-*.tfrecord")))):
    example = tf.train.Example.FromString(record.numpy())
    ids.add(example.features.feature["clip_id"].bytes_list.value[0].decode())
for clip in sorted(ids):
    path = os.path.join(data, clip)
    with open(os.path.splitext(path)[0] + ".json") as f:
        if json.load(f)["events"]:
            print(path)
