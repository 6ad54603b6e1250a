"""The graph-derived training-memory estimate (foleygan_tf/training/memory_estimate.py)."""

import numpy as np


def test_saved_tensors_of_a_dense_relu_layer_are_its_input_and_output(tf):
    from foleygan_tf.training.memory_estimate import saved_for_backward_bytes

    w = tf.Variable(tf.ones([8, 16]))

    @tf.function
    def grad(x):
        with tf.GradientTape() as tape:
            y = tf.nn.relu(tf.matmul(x, w))
            loss = tf.reduce_sum(y)
        return tape.gradient(loss, w)

    graph = grad.get_concrete_function(tf.TensorSpec([4, 8], tf.float32)).graph
    saved = saved_for_backward_bytes(graph)
    # d/dW needs x (4·8 floats) for the MatMul gradient and relu(xW) (4·16 floats) for ReluGrad;
    # anything else the tape keeps is a shape vector of a few int32s.
    assert 4 * (4 * 8 + 4 * 16) <= saved["bytes"] <= 4 * (4 * 8 + 4 * 16) + 64, saved
    assert saved["unknown_shape"] == 0


def test_tiny_gan_estimate_is_linear_in_the_micro_batch_and_counts_all_state(tf, tiny_cfg):
    from foleygan_tf.training.fit_gan import build_gan
    from foleygan_tf.training.memory_estimate import estimate_train_memory

    gan = build_gan(tiny_cfg)
    est = estimate_train_memory(gan, micro_batches=(4, 16))
    d, g = est["updates"]["d"], est["updates"]["g"]
    assert d["per_example_bytes"] > 0 and g["per_example_bytes"] > 0
    assert d["unknown_shape_tensors"] == 0 and g["unknown_shape_tensors"] == 0
    # the G update runs G and D forward with a tape on both: it saves more per example than D's
    assert g["per_example_bytes"] > d["per_example_bytes"]
    assert est["peak_bytes"][16] - est["peak_bytes"][4] == 12 * g["per_example_bytes"]

    def nbytes(variables):
        return sum(int(np.prod(tuple(v.shape))) * 4 for v in variables)

    g_bytes, d_bytes = nbytes(gan.generator.trainable_variables), nbytes(gan.discriminator.trainable_variables)
    copies = 2 if tiny_cfg.train.accumulation_steps > 1 else 1  # accumulated sum + micro-batch gradient
    assert est["gradient_bytes"] == {"d": copies * d_bytes, "g": copies * g_bytes}
    # G, EMA-G and two Adam moments for G; D and two Adam moments for D
    assert est["state_bytes"] >= 4 * g_bytes + 3 * d_bytes
