"""``FusedAdam``: Keras' Adam whose per-variable update is TensorFlow's fused ``ResourceApplyAdam``.

Same variables (slots, iteration counter — checkpoints are unchanged), same hyper-parameters and
the same update (the kernel computes Keras' formula: ``m += (g − m)(1 − β1)``,
``v += (g² − v)(1 − β2)``, ``w −= m·α / (√v + ε)`` with ``α = lr·√(1 − β2ᵗ)/(1 − β1ᵗ)``), but one op
per variable instead of the fifteen or so ``Adam.update_step`` adds. A narrow BigGAN has a few
hundred small variables, so the element-wise update ops were a third of the train-step graph —
tracing time, grappler time and per-op overhead at every step.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops


def _handle(variable):
    """The resource handle of a Keras or TensorFlow variable (per device under tf.distribute)."""
    return (variable.value if isinstance(variable, keras.Variable) else variable).handle


@keras.saving.register_keras_serializable(package="foleygan_tf")
class FusedAdam(keras.optimizers.Adam):
    """``keras.optimizers.Adam`` with the fused TensorFlow kernel (module docstring); ``amsgrad``
    falls back to Keras' update."""

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        # the kernel's scalar inputs (β powers, learning rate, …) once per apply and dtype, not
        # once per variable
        self._scalars = {}
        try:
            super()._backend_update_step(grads, trainable_variables, learning_rate)
        finally:
            self._scalars = {}

    def _scalar_inputs(self, dtype, learning_rate):
        if dtype not in self._scalars:
            step = ops.cast(self.iterations + 1, dtype)
            beta_1, beta_2 = ops.cast(self.beta_1, dtype), ops.cast(self.beta_2, dtype)
            self._scalars[dtype] = dict(beta1_power=ops.power(beta_1, step), beta2_power=ops.power(beta_2, step),
                                        lr=ops.cast(learning_rate, dtype), beta1=beta_1, beta2=beta_2,
                                        epsilon=ops.cast(self.epsilon, dtype))
        return self._scalars[dtype]

    def update_step(self, gradient, variable, learning_rate):
        if self.amsgrad:
            return super().update_step(gradient, variable, learning_rate)
        index = self._get_variable_index(variable)
        tf.raw_ops.ResourceApplyAdam(
            var=_handle(variable), m=_handle(self._momentums[index]), v=_handle(self._velocities[index]),
            grad=ops.cast(gradient, variable.dtype), use_locking=False,
            **self._scalar_inputs(variable.dtype, learning_rate))
