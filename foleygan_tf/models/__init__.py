"""Networks: BigGAN generator/discriminator with visual guidance, their layers, sampling helpers.

Importing this package imports Keras (the classes need it); nothing is built at import time.
"""

from foleygan_tf.models.biggan import Discriminator, Generator
from foleygan_tf.models.guidance import GuidanceEncoder
from foleygan_tf.models.layers import (ClassEmbedding, ConditionalBatchNorm, DBlock, GBlock,
                                       SelfAttention, SNConv2D, SNDense, SNEmbedding)
from foleygan_tf.models.sampling import ModelEMA, orthogonal_regularization, sample_z
from foleygan_tf.models.trn import ActionRecognizer, FrameProjection, MultiScaleTRN, PairTRN, action_curve, build_trn_models
