"""Presets: the single source of truth for every hyper-parameter.

A config is a tree of dataclasses (``Config`` → ``AudioConfig``, ``VideoConfig``, ``TRNConfig``,
``GANConfig``, ``TrainConfig``, ``EvalConfig``). Four presets exist:

* ``paper`` — the FoleyGAN paper wherever it is explicit (comments cite the section); where the
  paper defers to BigGAN or TRN, those references' values (``../shared/reference``).
* ``small`` — a 256×256 spectrogram image (11 kHz) and narrow networks: trains on one GPU in hours.
* ``bundled`` — the recipe of the bundled default models (``saved_models/default``, ``make
  default-models``): the ``small`` geometry (256×256 image, 11 kHz audio, 12 ms hop), 24 fps video
  at 64 px, narrow networks and the sync switches measured to help; trains on a 2-core CPU.
* ``tiny``  — a 64×64 image and minimal widths for tests, notebooks and CI.

Every field is declared with its **kind** (``dataclasses.field`` metadata, :func:`field_kinds`):

* ``paper`` — a value the paper gives (or takes from BigGAN/TRN by reference); the ``paper``
  preset holds it, reduced presets may scale it;
* ``choice`` — the paper is vague: our choice, documented in docs/ARCHITECTURE.md;
* ``infra`` — infrastructure (precision, distribution, checkpoints, logging, paths);
* ``switch`` — a deviation from the paper measured to help, off (the paper's behaviour) in the
  ``paper`` preset and on in the presets that use it.

The reduced presets keep the *rules* of the paper geometry (docs/ARCHITECTURE.md, "Geometry"):
Hann window, 75 % overlap (``frame_length == 4 * frame_step``), ``fft_length == frame_length``,
a square R×R×3 image with ``R == fft_length // 2`` (the Nyquist bin is dropped), a fixed 3 s clip,
and a sample rate chosen so that the clip has ≈ R STFT frames.

Configs round-trip through JSON (``to_json``/``from_json``/``save``/``load``; every saved config
carries ``schema_version``, older schemas are upgraded by ``foleygan_tf.migrations``) and accept
dotted overrides (``apply_overrides(cfg, ["gan.guidance=none", "num_classes=3"])``), the mechanism
behind every CLI command's ``--set``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import typing
from dataclasses import dataclass, field

#: Version of the saved config layout (config.json, export metadata); see foleygan_tf/migrations.py.
SCHEMA_VERSION = 2

# The 12 classes of the Automatic Foley Dataset (paper §V-A, Fig. 5), in the order used for labels.
AFD_CLASSES: tuple[str, ...] = (
    "break", "car", "clock", "chopping", "fire", "footstep",
    "gunshot", "horse", "rain", "thunder", "typing", "waterfall",
)

ENCODINGS = ("stft", "lms", "ms", "mfcc", "cqt")
GUIDANCE_MODES = ("none", "global", "spatial", "both")
PAIR_INPUTS = ("concat", "difference", "rgb_difference")
PAIR_TARGETS = ("clip_class", "audio_onsets")
MOTION_ALIGNMENTS = ("none", "translation")
GUIDANCE_SOURCES = ("trn", "audio_onsets")
CLASS_SOURCES = ("mtrn", "label")
CLASSIFIER_BACKBONES = ("auto", "resnet50", "small_cnn")
FIELD_KINDS = ("paper", "choice", "infra", "switch")


def paper(default):
    """A field whose value the paper gives (the ``paper`` preset's value)."""
    return field(default=default, metadata={"kind": "paper"})


def choice(default):
    """A field where the paper is vague: our documented choice."""
    return field(default=default, metadata={"kind": "choice"})


def infra(default):
    """An infrastructure field (precision, distribution, checkpoints, logging, paths)."""
    return field(default=default, metadata={"kind": "infra"})


def switch(default):
    """A measured deviation from the paper; ``default`` is the paper's behaviour."""
    return field(default=default, metadata={"kind": "switch"})


@dataclass
class AudioConfig:
    """Waveform ↔ spectrogram-image geometry (paper §IV-B-1)."""

    sample_rate: int = paper(44100)     # §IV-B-1 "sample frequency of 44kHz" (44.1 kHz audio)
    clip_seconds: float = paper(3.0)    # §IV-B-1 "clip them into 3 sec duration"; §V-A 3 s clips
    frame_length: int = paper(1024)     # §IV-B-1 "frame size of 1024"
    frame_step: int = paper(256)        # §IV-B-1 "stride of 256" (75 % overlap)
    fft_length: int = paper(1024)       # §IV-B-1 "513 frequency bins" = 1024 // 2 + 1
    image_size: int = paper(512)        # §IV-B-1 "(512,512,3) matrix" — R
    encoding: str = paper("lms")        # §VI-E / Table III: LMS gives the lowest NDB
    # Log-magnitude floor: magnitudes below it are clipped before the log, so ch0 = -1 means
    # "silence". 1e-5 ≈ -100 dB re full scale: below 16-bit quantisation noise.
    log_floor: float = choice(1e-5)
    # Mel warp of the frequency axis for lms/ms/mfcc (§IV-B-1 "mel-filter bank"); the paper gives
    # no edges: the full band [mel_low_hz, sr/2].
    mel_low_hz: float = choice(0.0)
    griffin_lim_iters: int = choice(64)     # inverse of the phase-less encodings (ms, mfcc)
    # LMS inverse: Griffin-Lim iterations seeded with the mel-warped IF phase; 0 = the plain
    # GANSynth IF-Mel inverse (G's own phase). The paper does not say how it inverts LMS.
    lms_refine_iters: int = choice(32)
    cqt_fmin_hz: float = choice(0.0)    # 0 → the lowest bin sits R/bins_per_octave octaves below 0.9·Nyquist

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
        _one_of("audio.encoding", self.encoding, ENCODINGS)
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

    frame_size: int = paper(224)        # ResNet-50 input side (§IV-A "pretrained ResNet-50")
    num_segments: int = paper(8)        # §IV-A: relations up to R8 → 8 TSN segments
    backbone: str = paper("resnet50")   # §IV-A / §V-B "output of the conv5 layer of the ResNet-50"
    feature_dim: int = paper(2048)      # ResNet-50 conv5 after global average pooling
    imagenet_weights: str = infra("")   # optional local .h5/.keras path; nothing is ever downloaded
    # Frames stored per clip in prepared shards (the 2TRN needs every consecutive pair). 0 → all
    # frames at the source fps; N → resampled to N frames per clip.
    frames_per_clip: int = choice(0)


@dataclass
class TRNConfig:
    """MTRN (class) and 2-frame TRN (P_act) — paper §IV-A, §V-B; reference/trn.md.

    The two are trained separately (§V-B), the MTRN first with the frame backbone, then the 2TRN
    on the frozen backbone's features (or its own motion stream): ``epochs`` and ``pair_epochs``."""

    projection_dim: int = paper(256)    # §IV-A 256-unit frame embedding (TSN head Dense(256) of TRN)
    dropout: float = choice(0.8)        # TSN head dropout before the projection (reference TRN)
    mlp_units: int = paper(256)         # §V-B "two layers of MLP (256 units in each) for gθ"
    mtrn_g_layers: int = paper(2)       # §V-B "two layers of MLP … for gθ" (TRN-pytorch uses 1)
    relations_per_scale: int = choice(3)  # reference TRN: 3 random relations per scale < num_segments
    learning_rate: float = paper(1e-3)  # §V-B "learning rate is 0.001" (Adam)
    batch_size: int = paper(128)        # §V-B "The minibatch size is 128"
    epochs: int = paper(100)            # §V-B "The training for 100 epochs" — the MTRN
    pair_epochs: int = paper(100)       # §V-B, the 2TRN, trained after the MTRN ("separately")
    # How the 2TRN sees a consecutive frame pair (docs/trn.md): "concat" = [F_t, F_t+1] (§IV-A's
    # R_2 relation, the paper); "difference" = F_t+1 − F_t (P_act peaks where the frames change);
    # "rgb_difference" = a motion stream of its own on the pixel difference frame_t+1 − frame_t.
    pair_input: str = switch("concat")
    # 2TRN target per pair: "clip_class" = every pair labelled with the clip's class (the paper);
    # "audio_onsets" = self-supervised from the window's real audio, P_act → 1 on pairs where a
    # sound starts and → 1/C elsewhere (docs/trn.md).
    pair_target: str = switch("clip_class")
    # The motion stream of pair_input="rgb_difference" before it differences two frames: "none" =
    # the plain difference; "translation" = frame t+1 moved back by the camera's shift against
    # frame t (phase correlation, video/stabilize.py), so a shaking or panning camera does not
    # light up the whole picture (TSN's warped flow for the frame difference; docs/trn.md).
    motion_alignment: str = switch("none")
    # P_act as G receives it: 1 = the 2TRN's softmax probability (the paper); g ≠ 1 = stretched
    # around chance, clip(1/C + g·(P_act − 1/C), 1/C, 1) — on clips it was not trained on the
    # audio-onset 2TRN's peaks fall short of the targets GAN training shows G (docs/trn.md,
    # "Calibrated P_act").
    pact_gain: float = switch(1.0)


@dataclass
class GANConfig:
    """BigGAN generator/discriminator with visual guidance — paper §IV-B-2, §V-B; reference/biggan.md."""

    ch: int = paper(96)                 # BigGAN-512 channel multiplier (§IV-B-2 "BigGAN (512×512)")
    z_dim: int = paper(160)             # §V-B "full dimensionality of z is set to 160"
    shared_dim: int = paper(128)        # BigGAN shared class embedding (reference)
    attention_resolution: int = paper(64)  # BigGAN-512: self-attention at 64×64 in G and D (reference)
    # How S_act reaches G (the paper does not say): spatial maps per block, a global vector in the
    # conditional BN, or both; "none" = Table I's "without visual guidance" ablation.
    guidance: str = choice("both")
    guidance_channels: int = choice(32)  # width of the S_act encoder
    # Where G's class input comes from in GAN training: "mtrn" = the MTRN's class probabilities
    # (Algorithm 1 line 7, Spec_gen ← G(z, Prob_class, Prob_seq)); "label" = the true class.
    class_source: str = switch("mtrn")
    # Where the P_act behind S_act and the action curve comes from in GAN training: "trn" = the
    # trained 2TRN (Algorithm 1 line 3–4); "audio_onsets" = the 2TRN's self-supervised target of
    # the window's real audio (clean guidance; the TRN's P_act drives G at inference as usual).
    guidance_source: str = switch("trn")
    # D also sees S_act (concatenated to its input): it can then tell a sound whose onsets do not
    # follow the video, and G gets a gradient towards sync. The paper's D is D(x, y) (eq. 3).
    d_sees_action: bool = switch(False)
    # Weights of paired L1 losses on G against the real image of the window S_act comes from:
    # the loudness envelope over time (ch0 averaged over frequency), the average spectrum (ch0
    # averaged over time) and the onset strength (spectral flux of ch0). 0 = the paper's objective.
    envelope_loss: float = switch(0.0)
    spectrum_loss: float = switch(0.0)
    onset_loss: float = switch(0.0)
    truncation: float = choice(1.0)     # §IV-B-2 truncation trick; threshold not given (1.0 = none)
    sn_eps: float = paper(1e-8)         # spectral-norm epsilon (BigGAN-PyTorch)
    bn_eps: float = paper(1e-5)         # batch-norm epsilon (BigGAN-PyTorch)
    ortho_reg: float = paper(1e-4)      # §IV-B-2 orthogonal regularisation, β = 1e-4 (BigGAN)
    ema_decay: float = paper(0.9999)    # BigGAN's EMA of G (the exported weights)
    ema_start: int = choice(1000)       # optimizer updates before the EMA starts
    post_filter_length: int = paper(512)  # §V-B "post-processing filter of 512 length"


@dataclass
class TrainConfig:
    """Adversarial training — paper §III eq. 3, §V-B; reference/biggan.md."""

    batch_size: int = paper(128)        # §V-B "mini batch size of 128" (per micro-batch)
    accumulation_steps: int = paper(16)  # §V-B "16 gradient accumulations" → 2048 per update
    lr_g: float = paper(5e-5)           # §V-B learning rate of the generator
    lr_d: float = paper(2e-4)           # §V-B learning rate of the discriminator
    beta_1: float = paper(0.0)          # BigGAN Adam β1 (§V-B "Adam optimiser", BigGAN's settings)
    beta_2: float = paper(0.999)        # BigGAN Adam β2
    adam_eps: float = paper(1e-8)       # BigGAN Adam ε
    d_steps: int = paper(2)             # BigGAN: 2 D steps per G step
    # D pre-training on real spectrograms (§IV-B-2 "discriminator block pretrained with original
    # spectrogram image"); the paper gives no length: D optimizer updates.
    d_pretrain_updates: int = choice(1000)
    iterations: int = paper(12000)      # §V-B "500 epochs with 12k iterations" (optimizer updates)
    mixed_precision: str = infra("mixed_bfloat16")  # one-GPU design (bf16); float32 on request
    jit_compile: bool = infra(True)     # XLA
    # Spectral norm once per weight update: every W/σ computed (one power iteration, one u update)
    # before the gradient-accumulation loops that use it — G's once per train step, D's before each
    # D update and the G update — and backpropagated through once after the loop, instead of on
    # every forward call (BigGAN-PyTorch). Same gradient for the same σ; fewer ops per micro-batch
    # and a smaller graph to trace (docs/training.md, "Performance").
    spectral_norm_per_update: bool = switch(False)
    distribute: str = infra("default")  # default | mirrored | multiworker (tf.distribute)
    checkpoint_every: int = infra(500)  # optimizer updates between checkpoints
    log_every: int = infra(10)          # micro-batches between history records
    sample_every: int = infra(1000)     # micro-batches between TensorBoard samples


@dataclass
class EvalConfig:
    """Evaluation (paper §VI): the sound-retrieval classifier and the metric settings."""

    # §VI-A "training a ResNet-50 CNN model with spectrogram images" (trained here). "auto" =
    # resnet50 when audio.image_size ≥ 128, else "small_cnn" (4 conv blocks).
    classifier_backbone: str = paper("auto")
    # Classifier input: channel 0 (log magnitude) of this encoding of the *waveform*, so real and
    # generated clips of any model/encoding are judged on the same representation.
    classifier_encoding: str = choice("lms")
    classifier_epochs: int = choice(30)
    classifier_batch_size: int = choice(32)
    classifier_learning_rate: float = choice(1e-3)  # Adam
    ndb_k: int = paper(50)              # §VI-D "k = 50 Voronoi cells"
    ndb_alpha: float = choice(0.05)     # Richardson & Weiss 2018: two-tailed test at α = 0.05
    # NDB space: the log-magnitude STFT of the waveform, average-pooled to ndb_grid × ndb_grid
    # before k-means (the paper says "log-spectrogram"; pooling keeps k-means tractable at R = 512).
    ndb_grid: int = choice(32)
    is_splits: int = choice(10)         # the OpenAI / SpecVQGAN 10-split IS (mean ± std)

    def validate(self) -> None:
        _one_of("eval.classifier_backbone", self.classifier_backbone, CLASSIFIER_BACKBONES)
        _one_of("eval.classifier_encoding", self.classifier_encoding, ENCODINGS)
        if self.ndb_k < 2 or not 0.0 < self.ndb_alpha < 1.0 or self.ndb_grid < 1 or self.is_splits < 1:
            raise ValueError("eval: need ndb_k ≥ 2, 0 < ndb_alpha < 1, ndb_grid ≥ 1, is_splits ≥ 1")


@dataclass
class Config:
    name: str = infra("paper")          # the preset this config was made from
    num_classes: int = paper(12)        # §V-A: 12 AFD classes
    class_names: tuple[str, ...] = paper(AFD_CLASSES)
    seed: int = infra(0)
    train_fraction: float = paper(0.8)  # §V-A "training set comprises of 80%"
    audio: AudioConfig = field(default_factory=AudioConfig)
    video: VideoConfig = field(default_factory=VideoConfig)
    trn: TRNConfig = field(default_factory=TRNConfig)
    gan: GANConfig = field(default_factory=GANConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)

    def validate(self) -> "Config":
        self.audio.validate()
        self.eval.validate()
        _one_of("trn.pair_input", self.trn.pair_input, PAIR_INPUTS)
        _one_of("trn.motion_alignment", self.trn.motion_alignment, MOTION_ALIGNMENTS)
        if self.trn.motion_alignment != "none" and self.trn.pair_input != "rgb_difference":
            raise ValueError(f"trn.motion_alignment={self.trn.motion_alignment!r} aligns the frames of the motion "
                             f"stream: it needs trn.pair_input='rgb_difference', got {self.trn.pair_input!r}")
        _one_of("trn.pair_target", self.trn.pair_target, PAIR_TARGETS)
        if not self.trn.pact_gain > 0:
            raise ValueError(f"trn.pact_gain must be > 0, got {self.trn.pact_gain!r}")
        _one_of("gan.guidance", self.gan.guidance, GUIDANCE_MODES)
        _one_of("gan.class_source", self.gan.class_source, CLASS_SOURCES)
        _one_of("gan.guidance_source", self.gan.guidance_source, GUIDANCE_SOURCES)
        if self.trn.mtrn_g_layers < 1:
            raise ValueError(f"trn.mtrn_g_layers must be ≥ 1, got {self.trn.mtrn_g_layers}")
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
        """The JSON-ready tree, with ``schema_version`` first."""
        return {"schema_version": SCHEMA_VERSION, **dataclasses.asdict(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict) -> "Config":
        """A validated config from a saved dict of any known schema (older ones are upgraded)."""
        from foleygan_tf.migrations import upgrade_config

        return _from_dict(cls, upgrade_config(data)).validate()

    @classmethod
    def from_json(cls, text: str) -> "Config":
        return cls.from_dict(json.loads(text))

    def save(self, path: str | os.PathLike) -> None:
        from foleygan_tf.atomic import write_text

        write_text(path, self.to_json())

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Config":
        """The config saved at ``path``; a one-line ``ValueError`` naming the file otherwise."""
        try:
            with open(path) as f:
                return cls.from_json(f.read())
        except (ValueError, TypeError, KeyError) as err:
            raise ValueError(f"{path}: {err}") from None


def _one_of(name: str, value, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")


def _from_dict(cls, data: dict):
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"unknown config field(s) for {cls.__name__} in schema {SCHEMA_VERSION}: {sorted(unknown)}")
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


def field_kinds(config: Config | None = None) -> list[dict]:
    """``[{"field": "audio.sample_rate", "kind": "paper", "value": …, "paper": …}, …]`` for every
    leaf field (``value`` from ``config``, default the ``paper`` preset; ``paper`` = the paper
    preset's value) — ``foleygan describe --fields`` prints it."""
    config = config or get_preset("paper")
    reference = get_preset("paper")
    rows = []

    def walk(node, ref, prefix):
        for f in dataclasses.fields(node):
            value, ref_value = getattr(node, f.name), getattr(ref, f.name)
            if dataclasses.is_dataclass(value):
                walk(value, ref_value, f"{prefix}{f.name}.")
            else:
                rows.append({"field": prefix + f.name, "kind": f.metadata["kind"], "value": value,
                             "paper": ref_value})

    walk(config, reference, "")
    return rows


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
        # rgb_difference: the 2TRN's own motion stream; the difference of the frozen backbone's
        # features does not time the events (docs/trn.md, "The networks")
        trn=TRNConfig(batch_size=32, epochs=30, pair_epochs=30, pair_input="rgb_difference"),
        # EMA decay 0.999 (half-life ≈ 700 updates): BigGAN's 0.9999 averages over ≈ 10⁴ updates,
        # longer than these presets train, so the EMA weights would stay near the start weights.
        gan=GANConfig(ch=24, z_dim=140, shared_dim=64, guidance_channels=16, ema_start=200,
                      ema_decay=0.999),
        # A GPU preset: bf16 + XLA (the defaults). On a CPU run it as float32 graph mode
        # (--set train.mixed_precision=float32 --set train.jit_compile=false; docs/training.md,
        # "Performance").
        train=TrainConfig(batch_size=16, accumulation_steps=4, iterations=4000,
                          d_pretrain_updates=100, checkpoint_every=100, sample_every=500,
                          spectral_norm_per_update=True),
    )


def _tiny() -> Config:
    # R = 64: sr 689 Hz (= 44 100 / 64), Hann 128 / 32 → 61 frames (padded to 64) × 64 bins.
    # Only for tests and walkthroughs: the geometry rules hold, the audio bandwidth is 344 Hz.
    return Config(
        name="tiny",
        audio=AudioConfig(sample_rate=689, frame_length=128, frame_step=32, fft_length=128,
                          image_size=64, griffin_lim_iters=16, lms_refine_iters=16),
        video=VideoConfig(frame_size=32, backbone="small_cnn", feature_dim=64, frames_per_clip=24),
        # rgb_difference: as small (docs/trn.md, "The networks")
        trn=TRNConfig(projection_dim=32, dropout=0.5, mlp_units=32, batch_size=16, epochs=10, pair_epochs=10,
                      pair_input="rgb_difference"),
        gan=GANConfig(ch=4, z_dim=60, shared_dim=16, attention_resolution=32, guidance_channels=8,
                      ema_start=0, ema_decay=0.999),
        train=TrainConfig(batch_size=4, accumulation_steps=2, iterations=20, d_pretrain_updates=0,
                          mixed_precision="float32", jit_compile=False, spectral_norm_per_update=True,
                          checkpoint_every=5, log_every=1, sample_every=10),
    )


def _bundled() -> Config:
    # The bundled default models, trained on a CPU by `make default-models` (≤ 2 h on 2 cores).
    # R = 256: sr 11 025 Hz, Hann 512 / 128 → 255 frames (padded to 256) × 256 bins (the `small`
    # geometry: a 12 ms hop and 46 ms window, 5.5 kHz of bandwidth); the tiny networks at twice
    # the G/D width. Each switch below is listed with the command that measures it in
    # docs/ARCHITECTURE.md ("Switches").
    return Config(
        name="bundled",
        # lms_refine_iters=0: decode with G's own phase (the paper's A_gen = ISTFT(Spec_gen));
        # Griffin-Lim refinement smears G's attacks into early double onsets.
        audio=AudioConfig(sample_rate=11025, frame_length=512, frame_step=128, fft_length=512,
                          image_size=256, griffin_lim_iters=16, lms_refine_iters=0),
        # 72 frames per 3 s clip = 24 fps: the 2TRN's pairs and G's guidance sit 42 ms apart,
        # inside the ±100 ms the onset metric allows. 64 px: a hammer or a hand in real footage
        # is a few pixels at 32.
        video=VideoConfig(frame_size=64, backbone="small_cnn", feature_dim=64, frames_per_clip=72),
        # mtrn_g_layers=1: TRN-pytorch's one-layer g. The recipe trains the TRN on 240 clips per
        # class (2 314 training windows, 145 batches per epoch): the MTRN is at 100 % test
        # accuracy after 40 epochs; in one run the 2TRN's peak hit rate still rose from 40 to 60
        # epochs (0.758 → 0.778, `eval.json`). pact_gain 1.5: the ratio of the audio-onset target's peaks
        # to P_act's on validation clips the TRN never saw (1.45–1.55 for four runs; docs/trn.md,
        # "Calibrated P_act").
        trn=TRNConfig(projection_dim=32, dropout=0.5, mlp_units=32, mtrn_g_layers=1, batch_size=16,
                      epochs=40, pair_epochs=60, pair_input="rgb_difference", pair_target="audio_onsets",
                      pact_gain=1.5),
        # z_dim 70: one 10-wide chunk for G's 4×4 input and each of its 6 blocks. Attention at
        # 32×32 (1 024 positions), not the paper's 64×64: at this width attention at 64×64 is a
        # third of the train step's time (benchmarks/README.md).
        gan=GANConfig(ch=8, z_dim=70, shared_dim=16, attention_resolution=32, guidance_channels=8,
                      class_source="label", guidance_source="audio_onsets", d_sees_action=True,
                      envelope_loss=10.0, spectrum_loss=5.0, onset_loss=30.0, ema_start=1000, ema_decay=0.998),
        train=TrainConfig(batch_size=4, accumulation_steps=2, lr_g=1e-4, lr_d=5e-5, d_steps=1, iterations=6000,
                          d_pretrain_updates=10, mixed_precision="float32", jit_compile=False,
                          spectral_norm_per_update=True, checkpoint_every=250, log_every=10, sample_every=1000),
        # the retrieval classifier stays the small CNN ("auto" picks ResNet-50 from R = 128:
        # 280 MB of weights and ≈ 1 min per epoch on a CPU)
        eval=EvalConfig(classifier_backbone="small_cnn"),
    )


PRESETS: dict[str, typing.Callable[[], Config]] = {"paper": _paper, "small": _small, "bundled": _bundled,
                                                   "tiny": _tiny}


def get_preset(name: str) -> Config:
    """A fresh, validated config tree for preset ``name`` (``paper``, ``small``, ``bundled`` or ``tiny``)."""
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
        key = key.strip()
        target = cfg
        parts = key.split(".")
        for part in parts[:-1]:
            if not dataclasses.is_dataclass(target) or part not in {f.name for f in dataclasses.fields(target)}:
                target = None
                break
            target = getattr(target, part)
        hints = typing.get_type_hints(type(target)) if dataclasses.is_dataclass(target) else {}
        leaf = parts[-1]
        if leaf not in hints or dataclasses.is_dataclass(hints[leaf]):
            raise ValueError(f"unknown config field {key!r} (config schema {SCHEMA_VERSION}; "
                             "`foleygan describe --fields` lists the fields)")
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
