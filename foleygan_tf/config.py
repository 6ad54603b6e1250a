"""Presets: the single source of truth for every hyper-parameter.

A config is a tree of dataclasses (``Config`` → ``AudioConfig``, ``VideoConfig``, ``TRNConfig``,
``GANConfig``, ``TrainConfig``). Four presets exist:

* ``paper`` — every value of the FoleyGAN paper (comments cite the section) or, where the paper
  defers to BigGAN/TRN, of those references (``../shared/reference``).
* ``small`` — a 256×256 spectrogram image, narrow networks: trains on one CPU/GPU in hours.
* ``compact`` — a 128×128 image (2.8 kHz audio, 23 ms frames), twice the tiny G/D width and 24 fps
  video: the bundled default models (``make default-models``, 6000 G updates), trained on a 2-core
  CPU in ≈ 42 min.
* ``tiny``  — a 64×64 image and minimal widths for tests, notebooks and CI.

The reduced presets keep the *rules* of the paper geometry (docs/ARCHITECTURE.md, "Geometry"):
Hann window, 75 % overlap (``frame_length == 4 * frame_step``), ``fft_length == frame_length``,
a square R×R×3 image with ``R == fft_length // 2`` (the Nyquist bin is dropped), a fixed 3 s clip,
and a sample rate chosen so that the clip has ≈ R STFT frames (the last frames are cropped or the
image is zero-padded to exactly R).

Configs round-trip through JSON (``to_json``/``from_json``/``save``/``load``) and accept dotted
overrides (``apply_overrides(cfg, ["gan.guidance=none", "num_classes=1000"])``), the mechanism
behind every CLI command's ``--set``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import typing
from dataclasses import dataclass, field

# The 12 classes of the Automatic Foley Dataset (paper §V-A, Fig. 5), in the order used for labels.
AFD_CLASSES: tuple[str, ...] = (
    "break", "car", "clock", "chopping", "fire", "footstep",
    "gunshot", "horse", "rain", "thunder", "typing", "waterfall",
)

ENCODINGS = ("stft", "lms", "ms", "mfcc", "cqt")
GUIDANCE_MODES = ("none", "global", "spatial", "both")
PAIR_TARGETS = ("clip_class", "audio_onsets")
GUIDANCE_SOURCES = ("trn", "audio_onsets")
PHASE_ENCODINGS = ("lms", "stft")   # encodings whose image carries a phase channel
CLASSIFIER_BACKBONES = ("auto", "resnet50", "small_cnn")


@dataclass
class AudioConfig:
    """Waveform ↔ spectrogram-image geometry (paper §IV-B-1)."""

    sample_rate: int = 44100        # §IV-B-1 "sample frequency of 44kHz" (44.1 kHz audio)
    clip_seconds: float = 3.0       # §IV-B-1 "clip them into 3 sec duration"; §V-A 3 s clips
    frame_length: int = 1024        # §IV-B-1 "frame size of 1024"
    frame_step: int = 256           # §IV-B-1 "stride of 256" (75 % overlap)
    fft_length: int = 1024          # §IV-B-1 "513 frequency bins" = 1024 // 2 + 1
    image_size: int = 512           # §IV-B-1 "(512,512,3) matrix" — R
    encoding: str = "lms"           # §VI-E / Table III: LMS gives the lowest NDB; the default
    # Log-magnitude floor: magnitudes below it are clipped before the log, so ch0 = -1 means
    # "silence". 1e-5 ≈ -100 dB re full scale: below 16-bit quantisation noise. (Our choice.)
    log_floor: float = 1e-5
    # Mel warp of the frequency axis for lms/ms/mfcc (§IV-B-1 "mel-filter bank"); the paper
    # gives no edges, we use the full band [0, sr/2] (our choice, docs/ARCHITECTURE.md).
    mel_low_hz: float = 0.0
    griffin_lim_iters: int = 64     # inverse of the phase-less encodings (ms, mfcc); our choice
    # LMS inverse: Griffin-Lim iterations seeded with the mel-warped IF phase; 0 = the plain
    # GANSynth IF-Mel inverse. The paper does not say how it inverts LMS (our choice, docs).
    lms_refine_iters: int = 32
    cqt_fmin_hz: float = 0.0        # 0 → derived: the lowest bin sits R/bins_per_octave octaves below 0.9·Nyquist

    @property
    def clip_samples(self) -> int:
        return int(round(self.sample_rate * self.clip_seconds))

    @property
    def num_stft_frames(self) -> int:
        """Frames `tf.signal.stft` produces for one clip (no end padding)."""
        return 1 + (self.clip_samples - self.frame_length) // self.frame_step

    @property
    def num_freq_bins(self) -> int:
        return self.fft_length // 2 + 1

    def validate(self) -> None:
        if self.encoding not in ENCODINGS:
            raise ValueError(f"audio.encoding must be one of {ENCODINGS}, got {self.encoding!r}")
        if self.frame_length != 4 * self.frame_step:
            raise ValueError(
                f"audio: frame_length ({self.frame_length}) must be 4 × frame_step "
                f"({self.frame_step}) — the paper's 75 % overlap")
        if self.fft_length != self.frame_length:
            raise ValueError("audio: fft_length must equal frame_length (paper geometry)")
        if self.fft_length // 2 != self.image_size:
            raise ValueError(
                f"audio: image_size ({self.image_size}) must be fft_length // 2 "
                f"({self.fft_length // 2}); the Nyquist bin is dropped")
        frames = self.num_stft_frames
        if not (self.image_size - 4 <= frames <= self.image_size + 4):
            raise ValueError(
                f"audio: a {self.clip_seconds} s clip at {self.sample_rate} Hz gives {frames} STFT "
                f"frames; the square image needs ≈ image_size ({self.image_size})")


@dataclass
class VideoConfig:
    """Frames and the frame-feature backbone (paper §IV-A, §V-B)."""

    frame_size: int = 224           # ResNet-50 input side (§IV-A "pretrained ResNet-50")
    num_segments: int = 8           # §IV-A: relations up to R8 → 8 TSN segments
    backbone: str = "resnet50"      # §IV-A / §V-B "output of the conv5 layer of the ResNet-50"
    feature_dim: int = 2048         # ResNet-50 conv5 after global average pooling
    imagenet_weights: str = ""      # optional local .h5/.keras path; nothing is ever downloaded
    # Frames stored per clip in prepared shards (the 2TRN needs every consecutive pair). 0 → all
    # frames at the source fps; N → resampled to N frames per clip. (Our choice.)
    frames_per_clip: int = 0


@dataclass
class TRNConfig:
    """MTRN (class) and 2-frame TRN (P_act) — paper §IV-A, §V-B; reference/trn.md."""

    projection_dim: int = 256       # TSN head Dense(256) per frame (reference TRN); §IV-A 256 units
    dropout: float = 0.8            # TSN head dropout before the projection (reference TRN)
    mlp_units: int = 256            # §IV-A / §V-B "two layers of MLP (256 units in each)" for g_θ
    relations_per_scale: int = 3    # reference TRN: 3 random relations per scale < num_segments
    learning_rate: float = 1e-3     # §V-B "learning rate is 0.001" (Adam)
    batch_size: int = 128           # §V-B "The minibatch size is 128"
    epochs: int = 100               # §V-B "The training for 100 epochs"
    # 2TRN pair representation (our choice, docs/trn.md): "difference" = F_t+1 − F_t (P_act then
    # peaks where the frames change, i.e. when the action happens), "concat" = [F_t, F_t+1] (the
    # reference relation input; P_act saturates on appearance), "concat_difference" = [F_t, F_t+1 − F_t],
    # "rgb_difference" = a motion stream of its own on the pixel difference frame_t+1 − frame_t
    # (TSN's RGB-difference modality; global avg+max pooled, so small local changes survive)
    pair_input: str = "difference"
    # 2TRN training target per frame pair (our choice where the paper is vague, docs/trn.md):
    # "clip_class" = every pair labelled with the clip's class (P_act ≈ 1/C everywhere with the
    # difference input: little timing); "audio_onsets" = self-supervised from the window's REAL
    # audio: soft label w·onehot(class) + (1 − w)·uniform, w ∈ [0, 1] how strongly an onset of
    # the audio falls on the pair (data.pipeline.pair_onset_weights) — P_act then peaks where
    # the sound starts. Needs no event labels (works on AFD).
    pair_target: str = "clip_class"
    # Weight of the 2TRN pair loss in the joint TRN loss CE(class) + w · mean_t CE(pair_t) (our
    # choice; 1 = equal weight). With "audio_onsets" only the onset pairs carry a gradient, so
    # the default-models recipe raises it.
    pair_loss_weight: float = 1.0


@dataclass
class GANConfig:
    """BigGAN generator/discriminator with visual guidance — paper §IV-B-2, §V-B; reference/biggan.md."""

    ch: int = 96                    # BigGAN-512 channel multiplier (§IV-B-2 "BigGAN (512×512)")
    z_dim: int = 160                # §V-B "full dimensionality of z is set to 160"
    shared_dim: int = 128           # BigGAN shared class embedding (reference)
    attention_resolution: int = 64  # BigGAN-512: self-attention at 64×64 in G and D (reference)
    guidance: str = "both"          # none | global | spatial | both (Table I ablation "without visual guidance")
    guidance_channels: int = 32     # width of the S_act encoder (our choice; docs)
    # Width of the curve gate (models.guidance.CurveGate): a learned, full-time-resolution
    # function of the action curve added to G's pre-tanh output, so the timing G is given reaches
    # the output rows directly. 0 = off (the paper's G). Our addition (docs/models.md "Curve gate").
    curve_gate: int = 0
    # Whether D also gets S_act (concatenated to its input image): then D can tell a sound whose
    # onsets do not follow the video from one that does, and G gets a gradient towards sync. Not
    # in the paper (D(x, y) in eq. 3); on in `make default-models` (docs/training.md).
    d_sees_action: bool = False
    # Where the P_act behind S_act and the action curve comes from while training G/D (Algorithm 1
    # line 4: the trained 2TRN, "trn" = the paper). "audio_onsets" = the 2TRN's own self-supervised
    # target (trn.pair_target=audio_onsets: onsets of the window's real audio, on the TRN's output
    # scale 1/C … 1) — G then learns the mapping guidance → timing from clean guidance and does not
    # depend on the TRN run; at inference the TRN's P_act drives it as usual. Our choice (docs/training.md).
    guidance_source: str = "trn"
    truncation: float = 1.0         # §IV-B-2 truncation trick: threshold at sampling (1.0 = BigGAN default)
    sn_eps: float = 1e-8            # spectral-norm epsilon (BigGAN-PyTorch)
    bn_eps: float = 1e-5            # batch-norm epsilon (BigGAN-PyTorch)
    ortho_reg: float = 1e-4         # §IV-B-2 orthogonal regularisation, β = 1e-4 (BigGAN)
    # Weight of a paired L1 loss on G between the loudness envelope over time (ch0 averaged over
    # frequency) of G(z, y, S_act, P_act) and of the real image of the window S_act/P_act come
    # from. 0 = the paper's objective (hinge + ortho only). Our addition: it teaches G *when* to
    # be loud in a few thousand steps, which the adversarial loss alone does not (docs/training.md).
    envelope_loss: float = 0.0
    # Same for the average spectrum (ch0 averaged over time): the class's timbre, against
    # noise-like samples early in training. 0 = the paper's objective. Our addition (docs).
    spectrum_loss: float = 0.0
    # Same for the onset strength over time (spectral flux of ch0, training.gan.onset_strength):
    # penalises a background that flickers bin by bin — which the envelope averages away and the
    # onset metric counts as spurious onsets — and soft attacks. 0 = the paper's objective. Our
    # addition (docs/training.md).
    onset_loss: float = 0.0
    # Same for the whole log-magnitude channel (pix2pix's paired L1 next to the adversarial loss):
    # asks G for the real window's spectrogram given its guidance — steadier backgrounds and
    # attacks, at the cost of diversity. 0 = the paper's objective. Our addition (docs/training.md).
    magnitude_loss: float = 0.0
    # Same for the onset envelope of the decoded waveform (decode + ISTFT in the step, the sync
    # metric's analysis): what the image losses cannot see — how the generated phase smears or
    # splits an attack. 0 = the paper's objective. Our addition (docs/training.md).
    waveform_onset_loss: float = 0.0
    # Same for the fine log-magnitude STFT (the onset analysis: ≈ 46 ms window, 10 ms hop) of G's
    # image decoded with G's own phase channel (no Griffin-Lim) vs the real window's audio: inside
    # one image frame only the phase places an attack in time. 0 = the paper's objective. Needs
    # audio.encoding lms or stft. Our addition (docs/training.md "Fourth session").
    waveform_stft_loss: float = 0.0
    # BigGAN EMA of G (the exported weights). 0.9999 keeps 0.9999^N of the weights at ema_start
    # after N updates: fine for BigGAN's 10⁵ updates, but after 1–3k updates the EMA is still
    # mostly the *untrained* G — the reason the first default models sounded like noise.
    ema_decay: float = 0.9999
    ema_start: int = 1000           # optimizer updates before the EMA starts (our choice; BigGAN used 20k of ~200k)
    post_filter_length: int = 512   # §V-B "post-processing filter of 512 length"


@dataclass
class TrainConfig:
    """Adversarial training — paper §III eq. 3, §V-B; reference/biggan.md."""

    batch_size: int = 128           # §V-B "mini batch size of 128" (per optimizer micro-batch)
    accumulation_steps: int = 16    # §V-B "16 gradient accumulations" → 2048 per update
    lr_g: float = 5e-5              # §V-B learning rate of the generator
    lr_d: float = 2e-4              # §V-B learning rate of the discriminator
    beta_1: float = 0.0             # BigGAN Adam β1 (§V-B "Adam optimiser", settings of BigGAN)
    beta_2: float = 0.999           # BigGAN Adam β2
    adam_eps: float = 1e-8          # BigGAN paper Adam ε
    d_steps: int = 2                # BigGAN: 2 D steps per G step
    # D pre-training on real spectrograms before adversarial training (§IV-B-2 "discriminator
    # block pretrained with original spectrogram image"); the paper gives no length: our choice,
    # in D optimizer updates. Objective: matching-aware hinge (docs/training.md).
    d_pretrain_updates: int = 1000
    iterations: int = 12000         # §V-B "500 epochs with 12k iterations" (optimizer updates)
    epochs: int = 500               # §V-B
    mixed_precision: str = "mixed_bfloat16"  # one-GPU design (bf16); float32 on request
    jit_compile: bool = True        # XLA
    distribute: str = "default"     # default | mirrored | multiworker (tf.distribute)
    checkpoint_every: int = 500     # optimizer updates between checkpoints (our choice)
    log_every: int = 10             # micro-batches between history records (our choice)
    sample_every: int = 1000        # micro-batches between TensorBoard samples (our choice)


@dataclass
class EvalConfig:
    """Evaluation (paper §VI): the sound-retrieval classifier and the metric settings
    (docs/evaluation.md). The same values in every preset but ``compact`` (small CNN classifier);
    runs made before this section existed load with the defaults, so resuming is unaffected."""

    # §VI-A "training a ResNet-50 CNN model with spectrogram images" (weights=None: trained here).
    # "auto" = resnet50 when audio.image_size ≥ 128, else "small_cnn" (4 conv blocks; tiny preset).
    classifier_backbone: str = "auto"
    # Classifier input: channel 0 (log magnitude) of this encoding of the *waveform*, so real and
    # generated clips of any model/encoding are judged on the same representation (our choice).
    classifier_encoding: str = "lms"
    classifier_epochs: int = 30             # the paper gives none (our choice)
    classifier_batch_size: int = 32         # our choice
    classifier_learning_rate: float = 1e-3  # Adam (our choice)
    ndb_k: int = 50                         # §VI-D "k = 50 Voronoi cells"
    ndb_alpha: float = 0.05                 # Richardson & Weiss 2018: two-tailed test at α = 0.05
    # NDB space: the log-magnitude STFT of the waveform, average-pooled to ndb_grid × ndb_grid
    # before k-means (keeps k-means tractable at R = 512; our choice — the paper says "log-spectrogram").
    ndb_grid: int = 32
    is_splits: int = 10                     # the OpenAI / SpecVQGAN 10-split IS (mean ± std)

    def validate(self) -> None:
        if self.classifier_backbone not in CLASSIFIER_BACKBONES:
            raise ValueError(f"eval.classifier_backbone must be one of {CLASSIFIER_BACKBONES}, "
                             f"got {self.classifier_backbone!r}")
        if self.classifier_encoding not in ENCODINGS:
            raise ValueError(f"eval.classifier_encoding must be one of {ENCODINGS}, got {self.classifier_encoding!r}")
        if self.ndb_k < 2 or not 0.0 < self.ndb_alpha < 1.0 or self.ndb_grid < 1 or self.is_splits < 1:
            raise ValueError("eval: need ndb_k ≥ 2, 0 < ndb_alpha < 1, ndb_grid ≥ 1, is_splits ≥ 1")


@dataclass
class Config:
    name: str = "paper"
    num_classes: int = 12           # §V-A: 12 AFD classes
    class_names: tuple[str, ...] = AFD_CLASSES
    seed: int = 0
    train_fraction: float = 0.8     # §V-A "training set comprises of 80%"
    audio: AudioConfig = field(default_factory=AudioConfig)
    video: VideoConfig = field(default_factory=VideoConfig)
    trn: TRNConfig = field(default_factory=TRNConfig)
    gan: GANConfig = field(default_factory=GANConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)

    def validate(self) -> "Config":
        self.audio.validate()
        self.eval.validate()
        if self.trn.pair_target not in PAIR_TARGETS:
            raise ValueError(f"trn.pair_target must be one of {PAIR_TARGETS}, got {self.trn.pair_target!r}")
        if self.gan.guidance_source not in GUIDANCE_SOURCES:
            raise ValueError(f"gan.guidance_source must be one of {GUIDANCE_SOURCES}, got {self.gan.guidance_source!r}")
        if self.gan.guidance not in GUIDANCE_MODES:
            raise ValueError(f"gan.guidance must be one of {GUIDANCE_MODES}, got {self.gan.guidance!r}")
        if self.gan.curve_gate < 0:
            raise ValueError(f"gan.curve_gate must be ≥ 0 (0 = off), got {self.gan.curve_gate}")
        if self.gan.curve_gate and self.gan.guidance == "none":
            raise ValueError("gan.curve_gate needs the action curve: set gan.guidance to global, spatial or both")
        if self.gan.waveform_stft_loss and self.audio.encoding not in PHASE_ENCODINGS:
            raise ValueError(f"gan.waveform_stft_loss needs a phase channel: audio.encoding one of "
                             f"{PHASE_ENCODINGS}, got {self.audio.encoding!r}")
        if self.num_classes < 1:
            raise ValueError("num_classes must be ≥ 1")
        if len(self.class_names) != self.num_classes:
            # Override of num_classes alone (e.g. 1000 for the BigGAN fidelity check): name the
            # extra classes generically rather than failing.
            names = list(self.class_names[: self.num_classes])
            names += [f"class_{i}" for i in range(len(names), self.num_classes)]
            self.class_names = tuple(names)
        if self.train.accumulation_steps < 1 or self.train.batch_size < 1:
            raise ValueError("train.batch_size and train.accumulation_steps must be ≥ 1")
        if not 0.0 < self.train_fraction < 1.0:
            raise ValueError("train_fraction must be in (0, 1)")
        return self

    # ---- serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict) -> "Config":
        return _from_dict(cls, data).validate()

    @classmethod
    def from_json(cls, text: str) -> "Config":
        return cls.from_dict(json.loads(text))

    def save(self, path: str | os.PathLike) -> None:
        tmp = f"{path}.tmp"
        with open(tmp, "w") as f:
            f.write(self.to_json())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Config":
        with open(path) as f:
            return cls.from_json(f.read())


def _from_dict(cls, data: dict):
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"unknown config field(s) for {cls.__name__}: {sorted(unknown)}")
    kwargs = {}
    for name, value in data.items():
        typ = hints[name]
        if dataclasses.is_dataclass(typ):
            kwargs[name] = _from_dict(typ, value)
        elif typing.get_origin(typ) is tuple:
            kwargs[name] = tuple(value)
        else:
            kwargs[name] = value
    return cls(**kwargs)


# ---- presets ---------------------------------------------------------------------------------

def _paper() -> Config:
    return Config(name="paper")


def _small() -> Config:
    # R = 256: sr 11 025 Hz, Hann 512 / 128 → 255 frames (padded to 256) × 256 bins.
    return Config(
        name="small",
        audio=AudioConfig(sample_rate=11025, frame_length=512, frame_step=128, fft_length=512,
                          image_size=256, griffin_lim_iters=48),
        video=VideoConfig(frame_size=112, backbone="small_cnn", feature_dim=256, frames_per_clip=48),
        trn=TRNConfig(batch_size=32, epochs=30),
        # EMA decay 0.999 (half-life ≈ 700 updates): BigGAN's 0.9999 averages over ≈ 10⁴ updates,
        # longer than these presets train, so the EMA weights would stay near the start weights.
        gan=GANConfig(ch=24, z_dim=140, shared_dim=64, guidance_channels=16, ema_start=200,
                      ema_decay=0.999),
        train=TrainConfig(batch_size=16, accumulation_steps=4, iterations=4000, epochs=100,
                          d_pretrain_updates=100, checkpoint_every=100, sample_every=500),
    )


def _tiny() -> Config:
    # R = 64: sr 689 Hz (= 44 100 / 64), Hann 128 / 32 → 61 frames (padded to 64) × 64 bins.
    # Only for tests and walkthroughs: the geometry rules hold, the audio bandwidth is 344 Hz.
    return Config(
        name="tiny",
        audio=AudioConfig(sample_rate=689, frame_length=128, frame_step=32, fft_length=128,
                          image_size=64, griffin_lim_iters=16, lms_refine_iters=16),
        video=VideoConfig(frame_size=32, backbone="small_cnn", feature_dim=64, frames_per_clip=24),
        trn=TRNConfig(projection_dim=32, dropout=0.5, mlp_units=32, batch_size=16, epochs=10),
        gan=GANConfig(ch=4, z_dim=60, shared_dim=16, attention_resolution=32, guidance_channels=8,
                      ema_start=0, ema_decay=0.999),
        train=TrainConfig(batch_size=4, accumulation_steps=2, iterations=20, epochs=1, d_pretrain_updates=0,
                          mixed_precision="float32", jit_compile=False,
                          checkpoint_every=5, log_every=1, sample_every=10),
    )


def _compact() -> Config:
    # R = 128: sr 2 756 Hz (= 44 100 / 16), Hann 256 / 64 → 126 frames (padded to 128) × 128 bins.
    # The tiny preset's networks at twice the G/D width: the bundled default models. Why not tiny
    # (docs/training.md "Fifth session"): its 46 ms hop / 186 ms window smear every attack over
    # four frames, and a G of width 4 could not place them — onset F1 0.46 against 0.54 and 0.63 for
    # two runs of the same recipe here.
    cfg = _tiny()
    cfg.name = "compact"
    # lms_refine_iters=0: the decoder keeps G's own (IF-integrated) phase, a plain ISTFT — the
    # paper's A_gen = ISTFT(Spec_gen). Griffin-Lim refinement smeared G's attacks into early double
    # onsets: session 7, same G, onset F1 0.81 vs 0.73 on the held-out windows (FID 28.0 vs 23.6,
    # class accuracy the same; docs/training.md "Seventh session").
    cfg.audio = AudioConfig(sample_rate=2756, frame_length=256, frame_step=64, fft_length=256,
                            image_size=128, griffin_lim_iters=16, lms_refine_iters=0)
    cfg.gan.ch = 8
    # 72 frames per 3 s clip = 24 fps, the synth-data clips' own rate (tiny: 24 = 8 fps). The 2TRN's
    # pairs and G's audio-onset guidance then sit 42 ms apart instead of 125 ms, inside the ±100 ms
    # the onset metric allows; session 7 (docs/training.md): guided onset F1 0.67 → 0.73, oracle
    # 0.70 → 0.78 on the held-out windows. Costs the 2TRN 3× the frames (≈ 6 min instead of 3.5).
    cfg.video.frames_per_clip = 72
    # the evaluation's retrieval classifier stays the small CNN ("auto" picks ResNet-50 from R = 128:
    # 280 MB of weights and ≈ 1 min per epoch on this CPU)
    cfg.eval.classifier_backbone = "small_cnn"
    return cfg


PRESETS: dict[str, typing.Callable[[], Config]] = {"paper": _paper, "small": _small, "compact": _compact,
                                                   "tiny": _tiny}


def get_preset(name: str) -> Config:
    """A fresh, validated config tree for preset ``name`` (``paper``, ``small``, ``compact`` or ``tiny``)."""
    try:
        factory = PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}") from None
    return factory().validate()


def _parse_value(text: str, typ):
    if typ is bool:
        low = text.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"not a boolean: {text!r}")
    if typ is int:
        return int(text)
    if typ is float:
        return float(text)
    if typing.get_origin(typ) is tuple:
        return tuple(s.strip() for s in text.split(",") if s.strip())
    return text


def apply_overrides(cfg: Config, overrides: typing.Iterable[str]) -> Config:
    """Apply ``dotted.field=value`` strings to ``cfg`` (in place) and re-validate.

    >>> cfg = apply_overrides(get_preset("tiny"), ["gan.guidance=none", "num_classes=3"])
    """
    for item in overrides or ():
        if "=" not in item:
            raise ValueError(f"--set expects dotted.field=value, got {item!r}")
        key, text = item.split("=", 1)
        parts = key.strip().split(".")
        target = cfg
        for part in parts[:-1]:
            if not dataclasses.is_dataclass(target) or not hasattr(target, part):
                raise ValueError(f"unknown config section {part!r} in {key!r}")
            target = getattr(target, part)
        leaf = parts[-1]
        hints = typing.get_type_hints(type(target))
        if leaf not in hints or dataclasses.is_dataclass(hints[leaf]):
            raise ValueError(f"unknown config field {key!r}")
        try:
            setattr(target, leaf, _parse_value(text, hints[leaf]))
        except ValueError as err:
            raise ValueError(f"bad value for {key}: {err}") from None
    return cfg.validate()


def preset_table() -> list[dict]:
    """Rows for the README's preset table (kept honest by tests/test_config.py)."""
    rows = []
    for name in PRESETS:
        c = get_preset(name)
        a = c.audio
        rows.append({
            "preset": name,
            "image": f"{a.image_size}×{a.image_size}×3",
            "sample_rate": a.sample_rate,
            "stft": f"Hann {a.frame_length}/{a.frame_step}",
            "stft_frames": a.num_stft_frames,
            "clip_s": a.clip_seconds,
            "gan_ch": c.gan.ch,
            "z_dim": c.gan.z_dim,
            "batch": f"{c.train.batch_size}×{c.train.accumulation_steps}",
        })
    return rows

