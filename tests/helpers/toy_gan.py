"""BatchNorm-free toy G and D with FoleyGAN's call signatures (for exact accumulation tests)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="foleygan_tests")
class ToyGenerator(keras.Model):
    """G(conditions) = tanh(Dense(action_curve)) reshaped to [B, R, R, 3]; ignores z so that the
    same examples give the same fakes whatever the micro-batching."""

    def __init__(self, image_size, **kwargs):
        super().__init__(**kwargs)
        self.image_size = image_size
        self.dense = keras.layers.Dense(image_size * image_size * 3, kernel_initializer="glorot_uniform")
        self.dense.build((None, image_size))
        self.built = True

    def call(self, inputs, training=None):
        h = self.dense(inputs["action_curve"])
        return ops.tanh(ops.reshape(h, (-1, self.image_size, self.image_size, 3)))

    def get_config(self):
        return {**super().get_config(), "image_size": self.image_size}


@keras.saving.register_keras_serializable(package="foleygan_tests")
class ToyDiscriminator(keras.Model):
    def __init__(self, image_size, **kwargs):
        super().__init__(**kwargs)
        self.image_size = image_size
        self.dense = keras.layers.Dense(1)
        self.dense.build((None, image_size * image_size * 3))
        self.built = True

    def call(self, inputs, training=None):
        return self.dense(ops.reshape(inputs["image"], (-1, self.image_size * self.image_size * 3)))

    def get_config(self):
        return {**super().get_config(), "image_size": self.image_size}
