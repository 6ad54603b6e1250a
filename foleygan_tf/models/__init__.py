"""Networks: BigGAN generator/discriminator with visual guidance, the action-recognition block,
their layers, sampling helpers; ``build`` makes them from a config.

Importing this package imports Keras (the classes need it); nothing is built at import time.
"""

from foleygan_tf.models.action_recognizer import ActionRecognizer
from foleygan_tf.models.biggan import Discriminator, Generator
from foleygan_tf.models.build import (build_action_recognizer, build_discriminator, build_generator,
                                      build_trn_heads)
from foleygan_tf.models.guidance import GuidanceEncoder
from foleygan_tf.models.layers import (ClassEmbedding, ConditionalBatchNorm, DBlock, GBlock,
                                       SelfAttention, SNConv2D, SNDense, SNEmbedding)
from foleygan_tf.models.sampling import ModelEMA, orthogonal_regularization, sample_z
from foleygan_tf.models.trn import FrameProjection, MultiScaleTRN, PairTRN, action_curve
