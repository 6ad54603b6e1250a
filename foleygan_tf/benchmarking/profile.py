"""Op-level profile of one call with ``tf.profiler`` (XPlane trace, parsed here — no TensorBoard
plugin needed): time per op type and the slowest individual ops, the evidence behind a missed
target."""

from __future__ import annotations

import collections
import glob
import os
import shutil
import tempfile


def op_breakdown(fn, top: int = 10) -> dict:
    """Profile one ``fn()`` call; ``{"op_types": [[type, ms, share, count], …top], "ops": [[name,
    type, ms], …top], "total_op_ms", "threads"}`` — op times summed over the executor threads
    (ops on two threads overlap, so ``total_op_ms`` can exceed the wall time)."""
    import tensorflow as tf
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    logdir = tempfile.mkdtemp(prefix="foleygan_profile_")
    try:
        tf.profiler.experimental.start(logdir)
        try:
            fn()
        finally:
            tf.profiler.experimental.stop()
        paths = glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)
        if not paths:
            return {"status": "no trace written"}
        space = xplane_pb2.XSpace()
        with open(paths[-1], "rb") as f:
            space.ParseFromString(f.read())
        by_type, counts, ops, threads = collections.Counter(), collections.Counter(), collections.Counter(), set()
        for plane in space.planes:
            meta = plane.event_metadata
            for line in plane.lines:
                if not line.name.startswith("tf_Compute"):
                    continue
                threads.add(line.name)
                for ev in line.events:
                    name = meta[ev.metadata_id].name
                    if ":" not in name or "::" in name:  # executor bookkeeping, not an op
                        continue
                    op_name, op_type = name.rsplit(":", 1)
                    ms = ev.duration_ps / 1e9
                    by_type[op_type] += ms
                    counts[op_type] += 1
                    ops[(op_name, op_type)] += ms
        total = sum(by_type.values())
        return {
            "total_op_ms": round(total, 1), "threads": len(threads),
            "op_types": [[t, round(ms, 1), round(ms / total, 3) if total else 0.0, counts[t]]
                         for t, ms in by_type.most_common(top)],
            "ops": [[n, t, round(ms, 1)] for (n, t), ms in ops.most_common(top)],
        }
    finally:
        shutil.rmtree(logdir, ignore_errors=True)
