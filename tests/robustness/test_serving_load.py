"""Serving under load: the exported default generator SavedModel loaded once with plain
``tf.saved_model.load`` (what a Python serving process does; no ``foleygan_tf`` model code), then
8 client threads share a queue of distinct requests and call ``serving_default`` concurrently — no
errors, every answer finite, of the exported shape and equal (bitwise) to the same request
computed sequentially afterwards."""

import json
import os
import queue
import threading

import numpy as np

THREADS, REQUESTS = 8, 24


def _requests(gen, meta: dict, n: int) -> list[dict]:
    """``n`` distinct batch-1 requests: z from the export's ``sample_z`` (seed = request id), a
    one-hot class, a random S_act and action curve."""
    import tensorflow as tf

    r, c = int(meta["image_size"]), len(meta["class_names"])
    rng = np.random.default_rng(0)
    truncation = tf.constant(float(meta.get("default_truncation", 1.0)), tf.float32)
    return [{"z": gen.signatures["sample_z"](seed=tf.constant(i, tf.int64), num=tf.constant(1, tf.int32),
                                             truncation=truncation)["z"],
             "class_probs": tf.constant(np.eye(c, dtype=np.float32)[[i % c]]),
             "action_spectrogram": tf.constant(rng.uniform(-1, 1, (1, r, r, 3)).astype(np.float32)),
             "action_curve": tf.constant(rng.uniform(0, 1, (1, r)).astype(np.float32))} for i in range(n)]


def test_eight_threads_no_errors_same_answers(models_dir, tf):
    gen = tf.saved_model.load(os.path.join(models_dir, "generator"))
    serve = gen.signatures["serving_default"]
    with open(gen.metadata_file.asset_path.numpy().decode()) as f:
        meta = json.load(f)
    reqs = _requests(gen, meta, REQUESTS)
    serve(**reqs[0])  # warm-up: tracing, allocator
    todo: queue.Queue = queue.Queue()
    for i in range(REQUESTS):
        todo.put(i)
    answers, errors = {}, []

    def client():
        while True:
            try:
                i = todo.get_nowait()
            except queue.Empty:
                return
            try:
                answers[i] = serve(**reqs[i])["waveform"].numpy()
            except Exception as err:  # noqa: BLE001 - collected, the other requests go on
                errors.append(f"request {i}: {type(err).__name__}: {err}")

    workers = [threading.Thread(target=client) for _ in range(THREADS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert sorted(answers) == list(range(REQUESTS))
    for i, wave in answers.items():
        assert wave.shape == (1, int(meta["clip_samples"])) and np.all(np.isfinite(wave)), i
        np.testing.assert_array_equal(serve(**reqs[i])["waveform"].numpy(), wave, err_msg=f"request {i}")
    # distinct requests give distinct answers (a server answering every request alike would pass the rest)
    assert len({answers[i].tobytes() for i in answers}) == REQUESTS
