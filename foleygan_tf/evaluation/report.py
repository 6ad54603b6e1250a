"""``foleygan evaluate``: onset sync of generators on held-out windows, and with a retrieval
classifier the paper's Tables I–III and Fig. 6.

:func:`evaluate_models` takes a prepared test split (shards), generators — ``foleygan train gan``
run directories (their EMA generator, wrapped in the same decode + post-filter graph as the export:
``GeneratorServingModule``) or exported models (``DIR/generator`` [+ ``DIR/trn``] as written by
``foleygan export``, or a generator SavedModel directory itself) — and optionally a trained
retrieval classifier (:mod:`foleygan_tf.evaluation.classifier`), and

1. reads every test window (``limit``: the first N, in shard order): waveform, label, frames, fps,
   sidecar event times, the seconds of real content;
2. computes P_act per window once with the **guidance source** (``trn``): a ``foleygan train trn``
   run directory (P_act of the window's *true* class — what the GAN saw in training) or a TRN
   SavedModel (P_act of the MTRN's *predicted* class — what ``foleygan generate`` does); default:
   the ``trn/`` next to the first exported generator. S_act and the R-step action curve are made
   from P_act for each model's own audio config (``action_spectrogram``), so models with different
   encodings get the same timing;
3. generates one clip per test window and model: class = the window's label (one-hot), z =
   ``sample_z(N, z_dim, truncation, seed)`` (the same z for every model with the same z_dim),
   guidance per **variant** (:mod:`foleygan_tf.evaluation.guidance_variants`: ``normal``, ``off``,
   ``swapped``); variants other than ``normal`` are only run for models that use guidance;
4. scores every row (real test clips, then each model × variant) — see docs/evaluation.md:
   synchronisation (:mod:`foleygan_tf.evaluation.sync`): onsets of the audio (its real part) vs
   the sidecar event times (or, for windows whose clip had no sidecar, the onsets of the real
   audio), P/R/F1 at ±100 ms per clip and pooled, AP, onset-count accuracy, mean |offset|, the AV
   offset; with a classifier also IS (whole set, and the mean ± std over ``eval.is_splits``
   splits) of its probabilities, FID of its features against the real **train** clips, NDB
   (K = ``eval.ndb_k`` k-means cells of the train clips' pooled log-spectrograms, α =
   ``eval.ndb_alpha``) and its per-class breakdown, retrieval accuracy;
5. writes ``report.json``, ``report.md``, ``rainbowgrams.png`` and ``spectrograms.png`` (one test
   window per class: real, then each model) into ``out_dir``, each atomically.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import time

import numpy as np

from foleygan_tf.audio.onsets import ONSET_WINDOW_S
from foleygan_tf.evaluation.guidance_variants import VARIANT_LABELS, VARIANTS

__all__ = ["evaluate_models", "format_report_md", "format_summary", "VARIANTS", "REAL_ROW"]

REAL_ROW = "Real data"
REPORT_JSON, REPORT_MD = "report.json", "report.md"
RAINBOW_PNG, SPECTRO_PNG = "rainbowgrams.png", "spectrograms.png"
FORMAT = "foleygan_tf.evaluation_report"
FORMAT_VERSION = 2


# ---- inputs ---------------------------------------------------------------------------------

@dataclasses.dataclass
class TestWindows:
    """The scored windows: ``waves`` [N, clip_samples], ``labels`` [N], ``events`` (N arrays of
    event times, s), ``has_events`` [N] bool, ``fps`` [N], ``p_act`` (N arrays, one value per
    frame pair; empty without a guidance source), ``clip_ids``, ``valid_seconds`` [N] (the real
    content of a window cut at its clip's end; the rest is padding)."""

    waves: np.ndarray
    labels: np.ndarray
    events: list
    has_events: np.ndarray
    fps: np.ndarray
    p_act: list
    clip_ids: list
    valid_seconds: np.ndarray


class _Generator:
    """One model: ``config`` (read at once) and ``serve(z, onehot, s_act, curve) → waves
    [B, clip_samples]`` (the generator is loaded on the first call)."""

    def __init__(self, name: str, path: str):
        from foleygan_tf.config import Config
        from foleygan_tf.inference.generator_export import GENERATOR_METADATA_NAME

        self.name, self.path = name, os.fspath(path)
        self.trn_dir, self._fn = None, None
        if not os.path.isdir(self.path):
            raise FileNotFoundError(f"{self.path}: model {name!r} is not a directory")
        gen_dir = self.path
        if os.path.isfile(os.path.join(self.path, "generator", "saved_model.pb")):
            gen_dir = os.path.join(self.path, "generator")
            if os.path.isfile(os.path.join(self.path, "trn", "saved_model.pb")):
                self.trn_dir = os.path.join(self.path, "trn")
        self.gen_dir = gen_dir
        if os.path.isfile(os.path.join(gen_dir, "saved_model.pb")):
            self.kind = "saved_model"
            meta_path = os.path.join(gen_dir, "assets", GENERATOR_METADATA_NAME)
            if not os.path.isfile(meta_path):
                raise ValueError(f"{gen_dir}: not a `foleygan export generator` SavedModel (no {meta_path})")
            with open(meta_path) as f:
                meta = json.load(f)
            if meta.get("block") != "generator":
                raise ValueError(f"{gen_dir}: not a generator SavedModel (block {meta.get('block')!r})")
            self.config = Config.from_dict(meta["config"])
        elif os.path.isfile(os.path.join(self.path, "config.json")):
            self.kind = "run"
            self.config = Config.load(os.path.join(self.path, "config.json"))
        else:
            raise ValueError(f"{self.path}: model {name!r} is neither a GAN run directory (config.json + "
                             "checkpoints/) nor an exported generator (saved_model.pb or generator/)")
        self.guidance = self.config.gan.guidance

    def _load(self):
        import tensorflow as tf

        if self.kind == "saved_model":
            self._loaded = tf.saved_model.load(self.gen_dir)
            self._fn = self._loaded.signatures["serving_default"]
        else:
            from foleygan_tf.inference.generator_export import GeneratorServingModule, load_generator_from_run

            generator, self.config, self.checkpoint = load_generator_from_run(self.path)
            self._module = GeneratorServingModule(generator, self.config)
            self._fn = self._module.serve

    def serve(self, z, onehot, s_act, curve) -> np.ndarray:
        import tensorflow as tf

        if self._fn is None:
            self._load()
        out = self._fn(z=tf.constant(z, tf.float32), class_probs=tf.constant(onehot, tf.float32),
                       action_spectrogram=tf.constant(s_act, tf.float32),
                       action_curve=tf.constant(curve, tf.float32))
        return out["waveform"].numpy()


class _CustomGenerator:
    """A generator-like object given instead of a path: it needs ``config`` (a Config) and
    ``serve(z [B, z_dim], onehot [B, C], s_act [B, R, R, 3], curve [B, R]) → waves [B, N]``; it
    is called on consecutive batches of the test windows, in order (baselines, tests)."""

    def __init__(self, name, obj):
        if not (hasattr(obj, "serve") and hasattr(obj, "config")):
            raise ValueError(f"model {name!r}: give a path or an object with .config and .serve(z, onehot, s_act, curve)")
        self.name, self.obj, self.config = name, obj, obj.config
        self.path = getattr(obj, "path", f"<{type(obj).__name__}>")
        self.kind, self.trn_dir = "object", None
        self.guidance = self.config.gan.guidance

    def serve(self, z, onehot, s_act, curve) -> np.ndarray:
        return np.asarray(self.obj.serve(z, onehot, s_act, curve), np.float32)


class _KerasTRN:
    """Guidance from a ``foleygan train trn`` run: P_act of the true class (as in GAN training)."""

    follows = "true class (TRN run directory, as in GAN training)"

    def __init__(self, path):
        import tensorflow as tf

        from foleygan_tf.training.trn import load_trn

        self.path = path
        self.model = load_trn(path, deterministic=True)

        @tf.function(reduce_retracing=True)
        def predict(frames, num_frames, label):
            out = self.model.predict_actions({"frames": frames, "num_frames": num_frames}, class_index=label)
            return out["p_act"], out["num_pairs"]

        self._predict = predict

    def p_act(self, batch) -> list:
        p, n = self._predict(batch["frames"], batch["num_frames"], batch["label"])
        p, n = p.numpy(), n.numpy()
        return [p[i, : int(n[i])].astype(np.float32) for i in range(len(n))]


class _SavedModelTRN:
    """Guidance from a TRN SavedModel: P_act of the MTRN's predicted class (as at inference)."""

    follows = "predicted class (TRN SavedModel, as `foleygan generate`)"

    def __init__(self, path):
        import tensorflow as tf

        from foleygan_tf.inference.exports import saved_model_metadata
        from foleygan_tf.inference.pipeline import trn_frame_rate

        self.path = path
        loaded = tf.saved_model.load(path)
        self._fn = loaded.signatures["serving_default"]
        self.frame_rate = trn_frame_rate(saved_model_metadata(loaded, path))

    def p_act(self, batch) -> list:
        import tensorflow as tf

        from foleygan_tf.inference.pipeline import check_frame_rate

        out = []
        frames, n, fps = batch["frames"].numpy(), batch["num_frames"].numpy(), batch["fps"].numpy()
        check_frame_rate(fps, self.frame_rate, self.path)
        for i in range(len(n)):   # one call per window: clips may differ in length
            got = self._fn(frames=tf.constant(frames[i:i + 1, : int(n[i])]), fps=tf.constant(fps[i:i + 1]))
            out.append(got["p_act"].numpy()[0].astype(np.float32))
        return out


def _open_guidance(path):
    if path is None:
        return None
    if not os.path.isdir(path):
        raise FileNotFoundError(f"{path}: --trn is not a directory")
    if os.path.isfile(os.path.join(path, "saved_model.pb")):
        return _SavedModelTRN(path)
    if os.path.isfile(os.path.join(path, "trn", "saved_model.pb")):
        return _SavedModelTRN(os.path.join(path, "trn"))
    if os.path.isfile(os.path.join(path, "config.json")):
        return _KerasTRN(path)
    raise ValueError(f"{path}: --trn is neither a TRN run directory nor a TRN SavedModel")


def load_test_windows(shards_dir, config, guidance=None, limit=None, batch_size: int = 16) -> TestWindows:
    """Read ``shards_dir``'s test split (first ``limit`` windows) and P_act per window."""
    import tensorflow as tf

    from foleygan_tf.data.pipeline import example_dataset

    keys = ("frames", "num_frames", "label", "fps", "events", "num_events", "has_events", "clip_id", "wave",
            "valid_seconds")
    ds = example_dataset(shards_dir, "test", config, training=False)
    if limit is not None:
        ds = ds.take(int(limit))
    ds = ds.map(lambda e: {k: e[k] for k in keys}).padded_batch(batch_size).prefetch(tf.data.AUTOTUNE)
    waves, labels, events, has, fps, p_act, ids, valid = [], [], [], [], [], [], [], []
    for b in ds:
        n = int(b["label"].shape[0])
        waves.append(b["wave"].numpy())
        labels += b["label"].numpy().tolist()
        ev, ne = b["events"].numpy(), b["num_events"].numpy()
        events += [ev[i, : int(ne[i])].astype(np.float64) for i in range(n)]
        has += [bool(x) for x in b["has_events"].numpy()]
        fps += b["fps"].numpy().tolist()
        ids += [x.decode() for x in b["clip_id"].numpy()]
        valid += b["valid_seconds"].numpy().tolist()
        p_act += guidance.p_act(b) if guidance is not None else [np.zeros(0, np.float32)] * n
    if not labels:
        raise ValueError(f"{shards_dir}: the test split has no examples")
    return TestWindows(np.concatenate(waves).astype(np.float32), np.asarray(labels, np.int64), events,
                       np.asarray(has), np.asarray(fps, np.float32), p_act, ids, np.asarray(valid, np.float64))


# ---- per-row computations -------------------------------------------------------------------

def ndb_vectors(waves, audio_cfg, grid: int, batch_size: int = 64) -> np.ndarray:
    """Waves ``[N, clip_samples]`` → ``[N, g·g]``: the log-magnitude STFT (codec ``stft`` channel 0,
    ``[R, R]`` in [-1, 1]) area-averaged to ``g × g`` (g = min(grid, R)) — the NDB space."""
    import tensorflow as tf

    from foleygan_tf.audio import SpectrogramCodec

    codec = SpectrogramCodec(audio_cfg, encoding="stft")
    g = min(int(grid), int(audio_cfg.image_size))
    out = []
    for b in range(0, len(waves), batch_size):
        logmag = codec.encode(tf.constant(waves[b:b + batch_size], tf.float32))[..., :1]
        out.append(tf.reshape(tf.image.resize(logmag, [g, g], method="area"), [-1, g * g]).numpy())
    return np.concatenate(out) if out else np.zeros((0, g * g), np.float32)


class _Quality:
    """The classifier metrics of a row (IS, FID, NDB, retrieval accuracy) against the real train
    windows: features and NDB cells of the train windows are computed once."""

    def __init__(self, clf, shards_dir, cfg, seed: int):
        from foleygan_tf.data.pipeline import example_dataset
        from foleygan_tf.evaluation.metrics import NDBBins

        self.clf, self.cfg = clf, cfg
        waves, labels = [], []
        for e in example_dataset(shards_dir, "train", clf.config, training=False).batch(64):
            waves.append(e["wave"].numpy())
            labels.append(e["label"].numpy())
        waves = np.concatenate(waves)
        self.train_labels = np.concatenate(labels).astype(np.int64)
        self.train_feats = self.clf.predict_waves(waves)["features"]
        self.bins = NDBBins(ndb_vectors(waves, clf.config.audio, cfg.eval.ndb_grid), int(cfg.eval.ndb_k), seed)

    def score(self, waves, labels) -> dict:
        """``{"is", "fid", "ndb", "ndb_per_class", "accuracy"}`` of waves ``[N, clip_samples]``."""
        from foleygan_tf.evaluation.metrics import frechet_distance, inception_score, ndb_from_cells, retrieval_accuracy

        cfg, class_names = self.cfg, list(self.clf.config.class_names)
        out = self.clf.predict_waves(waves)
        probs, feats = out["probs"], out["features"]
        cells = self.bins.cells(ndb_vectors(waves, self.clf.config.audio, cfg.eval.ndb_grid))
        train_cells = self.bins.train_cells
        n = len(probs)
        whole = inception_score(probs)[0]
        splits = min(int(cfg.eval.is_splits), n)
        mean, std = inception_score(probs, splits=splits)
        k, alpha = int(cfg.eval.ndb_k), float(cfg.eval.ndb_alpha)
        nd = ndb_from_cells(train_cells, cells, k, alpha)
        per_class = {}
        for c, name in enumerate(class_names):
            tr, ge = train_cells[self.train_labels == c], cells[labels == c]
            if len(tr) and len(ge):
                r = ndb_from_cells(tr, ge, k, alpha)
                per_class[name] = {"ndb": r["ndb"], "ndb_over_k": r["ndb_over_k"], "train": len(tr),
                                   "generated": len(ge)}
        acc = retrieval_accuracy(probs, labels, len(class_names))
        return {
            "is": {"whole": whole, "split_mean": mean, "split_std": std, "splits": splits},
            "fid": frechet_distance(feats, self.train_feats) if n >= 2 else None,
            "ndb": {k_: nd[k_] for k_ in ("ndb", "ndb_over_k", "k", "alpha", "js_divergence",
                                          "train_proportions", "generated_proportions", "different")},
            "ndb_per_class": per_class,
            "accuracy": {"accuracy": acc["accuracy"], "average_accuracy": acc["average_accuracy"],
                         "per_class": {class_names[c]: v for c, v in acc["per_class"].items()}},
        }

    def settings(self, clf_path) -> dict:
        from foleygan_tf.evaluation.classifier import resolve_backbone

        cfg, c = self.cfg, self.clf.config
        return {
            "classifier": {"path": os.path.abspath(clf_path) if clf_path else None, "backbone": resolve_backbone(c),
                           "encoding": c.eval.classifier_encoding, "feature_dim": int(self.train_feats.shape[1])},
            "train_windows": int(len(self.train_labels)),
            "ndb": {"k": int(cfg.eval.ndb_k), "alpha": float(cfg.eval.ndb_alpha),
                    "grid": min(int(cfg.eval.ndb_grid), int(c.audio.image_size)),
                    "space": "log-magnitude STFT (codec stft ch0), area-pooled", "kmeans_seed": int(self.bins.seed)},
            "is_splits": int(cfg.eval.is_splits),
        }


# ---- the driver -----------------------------------------------------------------------------

def _check_geometry(what, cfg, ref, ref_name):
    a, b = cfg.audio, ref.audio
    problems = [f"{f} {getattr(a, f)} ≠ {getattr(b, f)}" for f in ("sample_rate", "clip_seconds", "image_size")
                if getattr(a, f) != getattr(b, f)]
    if list(cfg.class_names) != list(ref.class_names):
        problems.append("different class names")
    if problems:
        raise ValueError(f"{what} does not match {ref_name}: {'; '.join(problems)}")


def _check_shards(what, cfg, manifest, shards_dir):
    """One-line ``ValueError`` unless ``cfg`` has the shards' sample rate, clip length and classes."""
    a = cfg.audio
    problems = [f"{name} {mine} ≠ {manifest[key]}" for name, key, mine in (
        ("sample_rate", "sample_rate", a.sample_rate), ("clip_samples", "clip_samples", a.clip_samples))
        if mine != manifest[key]]
    if list(cfg.class_names) != list(manifest["class_names"]):
        problems.append("different class names")
    if problems:
        raise ValueError(f"{what} does not match the shards {shards_dir} (preset {manifest.get('preset')!r}): "
                         f"{'; '.join(problems)}")


def _open_classifier(classifier, config, manifest, shards_dir):
    """``(classifier, run dir or None, eval config)`` — the classifier loaded after the checks."""
    from foleygan_tf.config import Config
    from foleygan_tf.evaluation.classifier import load_classifier

    clf_path = classifier if isinstance(classifier, (str, os.PathLike)) else None
    if clf_path is not None:
        if not os.path.isfile(os.path.join(clf_path, "config.json")):
            raise FileNotFoundError(f"{os.path.join(clf_path, 'config.json')}: not found — is {clf_path} a "
                                    "`foleygan train classifier` run directory?")
        clf_config = Config.load(os.path.join(clf_path, "config.json"))
    else:
        clf_config = classifier.config
    cfg = config or clf_config
    _check_geometry("the preset/config", cfg, clf_config, f"the classifier {clf_path or ''}".strip())
    _check_shards(f"the classifier {clf_path or ''}".strip(), clf_config, manifest, shards_dir)
    k = int(cfg.eval.ndb_k)
    n_train = int(manifest["splits"]["train"]["examples"])
    if n_train < k:
        raise ValueError(f"{shards_dir}: NDB with K={k} needs ≥ {k} train windows, the split has "
                         f"{n_train} — lower it with --set eval.ndb_k=N")
    return (load_classifier(clf_path) if clf_path is not None else classifier), clf_path, cfg


def _sync_row(waves, test: TestWindows, references, kinds, sample_rate, class_names) -> dict:
    """:func:`~foleygan_tf.evaluation.sync.summarize_sync` of one row: each window's wave cut to
    its real content, scored against its reference onsets in that span and its own P_act."""
    from foleygan_tf.evaluation.sync import clip_sync, summarize_sync

    per_clip = []
    for i, wave in enumerate(waves):
        seconds = min(len(wave) / sample_rate, test.valid_seconds[i] or len(wave) / sample_rate)
        ref = np.asarray(references[i], np.float64)
        per_clip.append(clip_sync(wave[: int(round(seconds * sample_rate))], ref[ref < seconds], test.p_act[i],
                                  test.fps[i], sample_rate))
    return summarize_sync(per_clip, kinds, [class_names[int(c)] for c in test.labels])


def evaluate_models(shards_dir, models, out_dir=None, *, classifier=None, trn=None, config=None,
                    variants=("normal",), limit: int | None = None, seed: int = 0, batch_size: int = 16,
                    truncation: float | None = None, plots: bool = True, progress: bool = True) -> dict:
    """Score the real test clips and every model (module docstring) and write the report.

    Args:
      shards_dir: ``foleygan prepare`` output (test split scored; train split = the classifier
        metrics' reference).
      models: ``{name: path}`` or ``[(name, path), …]`` (GAN run dirs or exported models; a
        path may also be a generator-like object, see ``_CustomGenerator``).
      out_dir: where ``report.json``/``report.md``/PNGs go (``None``: nothing written).
      classifier: a ``foleygan train classifier`` run directory or a loaded ``RetrievalClassifier``
        for IS / FID / NDB / retrieval accuracy; ``None``: the report has the sync scores only.
      trn: guidance source (TRN run dir or TRN SavedModel; default: the first export's ``trn/``).
      config: the classifier metrics' settings (``config.eval``); default the classifier's config.
        Its audio geometry and classes must match the classifier's.
      variants: guidance variants (:data:`VARIANTS`).
      limit: score only the first ``limit`` test windows.
      seed: z seed; also seeds the swapped-guidance derangement and k-means.
      truncation: z truncation (default each model's ``gan.truncation``).

    Returns the ``report.json`` dict.
    """
    import tensorflow as tf
    from tqdm.auto import tqdm

    from foleygan_tf.audio import SpectrogramCodec
    from foleygan_tf.audio.onsets import detect_onsets
    from foleygan_tf.data.pipeline import read_manifest
    from foleygan_tf.evaluation.guidance_variants import check_variants, guidance_inputs, variant_guidance
    from foleygan_tf.models.sampling import sample_z

    t0 = time.perf_counter()
    variants = check_variants(variants)
    if not os.path.isdir(shards_dir):
        raise FileNotFoundError(f"{shards_dir}: no such shards directory (run `foleygan prepare`)")
    manifest = read_manifest(shards_dir)
    clf = clf_path = None
    if classifier is not None:
        clf, clf_path, cfg = _open_classifier(classifier, config, manifest, shards_dir)
    items = list(models.items()) if isinstance(models, dict) else [tuple(m) for m in models]
    names = [n for n, _ in items]
    if not items:
        raise ValueError("no model to evaluate")
    if len(set(names)) != len(names) or REAL_ROW in names:
        raise ValueError(f"model names must be unique and not {REAL_ROW!r}: {names}")
    gens = [_Generator(n, p) if isinstance(p, (str, os.PathLike)) else _CustomGenerator(n, p) for n, p in items]
    for g in gens:
        _check_shards(f"model {g.name!r} ({g.path})", g.config, manifest, shards_dir)
    trn_path = trn or next((g.trn_dir for g in gens if g.trn_dir), None)
    guided = [g.name for g in gens if g.guidance != "none"]
    if trn_path is None and guided:
        raise ValueError(f"model(s) {guided} use visual guidance: give --trn (a TRN run directory or TRN SavedModel)")
    guidance = _open_guidance(trn_path)

    sr = int(manifest["sample_rate"])
    class_names = list(manifest["class_names"])
    test = load_test_windows(shards_dir, clf.config if clf else None, guidance, limit, batch_size)
    n = len(test.labels)
    if "swapped" in variants and n < 2 and guided:
        raise ValueError("the swapped-guidance variant needs ≥ 2 test windows")
    quality = _Quality(clf, shards_dir, cfg, seed) if clf else None

    # reference onsets: the sidecar events, else the real audio's onsets (not a reference for itself)
    kinds = ["events" if h else "real_onsets" for h in test.has_events]
    references = [test.events[i] if test.has_events[i] else detect_onsets(w, sr) for i, w in enumerate(test.waves)]
    real_references = [r if k == "events" else np.zeros(0) for r, k in zip(references, kinds)]

    def score(waves, refs):
        row = quality.score(waves, test.labels) if quality else {}
        row["sync"] = _sync_row(waves, test, refs, kinds, sr, class_names)
        return row

    rows = [{"name": REAL_ROW, "kind": "real", "variant": None, **score(test.waves, real_references)}]
    examples = {}   # row name → waves of the plotted windows
    plot_idx = [int(np.flatnonzero(test.labels == c)[0]) for c in range(len(class_names)) if np.any(test.labels == c)]
    examples[REAL_ROW] = [test.waves[i] for i in plot_idx]

    onehot = np.eye(len(class_names), dtype=np.float32)[test.labels]
    for g in gens:
        z = sample_z(n, g.config.gan.z_dim, g.config.gan.truncation if truncation is None else truncation,
                     seed=seed).astype(np.float32)
        codec = SpectrogramCodec(g.config.audio)
        for variant in variants:
            if variant != "normal" and g.guidance == "none":
                continue
            p_use, fps_use = variant_guidance(variant, test.p_act, test.fps, test.labels, seed)
            name = g.name if variant == "normal" else f"{g.name} ({VARIANT_LABELS[variant]})"
            waves = []
            bar = tqdm(range(0, n, batch_size), desc=f"generating {name}", unit="batch", disable=not progress,
                       leave=False)
            for b in bar:
                sl = slice(b, b + batch_size)
                s_act, curve = guidance_inputs(p_use[sl], fps_use[sl], g.config.audio, codec)
                waves.append(g.serve(z[sl], onehot[sl], s_act, curve))
            waves = np.concatenate(waves)
            if not np.all(np.isfinite(waves)):
                raise ValueError(f"model {g.name!r} generated non-finite audio")
            # sync is always measured against the window's *own* P_act (the video the audio is for)
            rows.append({"name": name, "kind": "model", "model": g.name,
                         "path": os.path.abspath(g.path) if g.kind != "object" else g.path,
                         "source": g.kind, "variant": variant, "guidance": g.guidance,
                         "encoding": g.config.audio.encoding, **score(waves, references)})
            examples[name] = [waves[i] for i in plot_idx]

    report = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "settings": {
            "shards_dir": os.path.abspath(shards_dir), "preset": manifest.get("preset"),
            "test_windows": int(n), "limit": limit, "classifier": None,
            "guidance_source": None if guidance is None else {"path": os.path.abspath(guidance.path),
                                                              "p_act_follows": guidance.follows},
            "seed": int(seed), "truncation": truncation, "variants": list(variants),
            "onset_window_s": ONSET_WINDOW_S, "sample_rate": sr, "class_names": class_names,
            "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                        "cpus": os.cpu_count(), "tensorflow": tf.__version__},
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **(quality.settings(clf_path) if quality else {}),
        },
        "rows": rows,
        "figures": {},
    }
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
        if plots:
            from foleygan_tf.evaluation.rainbowgram import plot_rainbowgrams, plot_spectrogram_grid

            cols = list(examples)
            grid = [[examples[c][j] for c in cols] for j in range(len(plot_idx))]
            row_names = [class_names[int(test.labels[i])] for i in plot_idx]
            a = (clf.config if clf else gens[0].config).audio
            plot_rainbowgrams(os.path.join(out_dir, RAINBOW_PNG), grid, row_names, cols, sr, a.frame_length,
                              a.frame_step)
            plot_spectrogram_grid(os.path.join(out_dir, SPECTRO_PNG), grid, row_names, cols, sr, a.frame_length,
                                  a.frame_step)
            report["figures"] = {"rainbowgrams": RAINBOW_PNG, "spectrograms": SPECTRO_PNG}
        report["settings"]["seconds"] = round(time.perf_counter() - t0, 1)
        write_report(report, out_dir)
    else:
        report["settings"]["seconds"] = round(time.perf_counter() - t0, 1)
    return report


# ---- output ---------------------------------------------------------------------------------

def write_report(report: dict, out_dir: str) -> None:
    """``out_dir/report.json`` and ``out_dir/report.md`` (each atomic)."""
    from foleygan_tf.atomic import write_json, write_text

    write_json(os.path.join(out_dir, REPORT_JSON), report)
    write_text(os.path.join(out_dir, REPORT_MD), format_report_md(report))


def _f(x, fmt="{:.2f}"):
    return "—" if x is None or (isinstance(x, float) and not np.isfinite(x)) else fmt.format(x)


def _pooled(sync: dict, key: str) -> float | None:
    return None if sync["pooled"] is None else sync["pooled"][key]


def format_summary(report: dict) -> str:
    """One line per row: pooled onset P/R/F1 (and the mean F1 over clips), then the classifier
    metrics when the report has them."""
    lines = []
    for r in report["rows"]:
        y = r["sync"]
        line = (f"{r['name']}: onset F1 {_f(_pooled(y, 'f1'))} (P {_f(_pooled(y, 'precision'))}, "
                f"R {_f(_pooled(y, 'recall'))}; mean over {y['clips_scored']} clips {_f(y['f1'])})")
        if "is" in r:
            line += (f", IS {r['is']['whole']:.2f}, FID {_f(r['fid'], '{:.1f}')}, NDB {r['ndb']['ndb']}/"
                     f"{r['ndb']['k']}, average accuracy {100 * r['accuracy']['average_accuracy']:.1f} %")
        lines.append(line)
    return "\n".join(lines)


def format_report_md(report: dict) -> str:
    """The Markdown report: settings, the sync table and its per-class pooled F1, and with a
    classifier the Table I/II-style quality table and the Table III-style per-class NDB (when ≥ 2
    model rows); figures."""
    s = report["settings"]
    rows = report["rows"]
    clf = s["classifier"]
    gsrc = s["guidance_source"]
    lines = ["# FoleyGAN evaluation report", ""]
    lines += [
        f"- test split: {s['test_windows']} windows of `{s['shards_dir']}` (preset `{s['preset']}`, "
        f"{s['sample_rate']} Hz)" + (f"; reference (FID, NDB): {s['train_windows']} real **train** windows"
                                     if clf else ""),
        "- retrieval classifier: " + (f"`{clf['path']}` ({clf['backbone']}, input: log magnitude of the "
                                      f"`{clf['encoding']}` encoding, {clf['feature_dim']}-d features for FID)"
                                      if clf else "none (sync scores only)"),
        "- guidance source: " + (f"`{gsrc['path']}` — P_act follows the {gsrc['p_act_follows']}" if gsrc else "none"),
        f"- generation: class = the window's label, z seed {s['seed']}, truncation "
        f"{s['truncation'] if s['truncation'] is not None else 'per model (gan.truncation)'}; guidance variants "
        f"{', '.join(s['variants'])} (swapped: one derangement within the class, seed {s['seed']})",
        f"- onsets matched within ±{s['onset_window_s'] * 1000:.0f} ms",
    ]
    if clf:
        lines.append(f"- IS: whole set (TF-GAN variant) and mean ± std over {s['is_splits']} splits (OpenAI "
                     f"variant); NDB: K = {s['ndb']['k']}, α = {s['ndb']['alpha']}, {s['ndb']['grid']}×"
                     f"{s['ndb']['grid']} pooled log-spectrograms, k-means seed {s['ndb']['kmeans_seed']}")
    lines += [f"- machine: {s['machine']['platform']}, {s['machine']['cpus']} CPUs, TensorFlow "
              f"{s['machine']['tensorflow']}; {s.get('seconds', 0):.0f} s; {s['created']}", ""]
    if clf:
        lines += [
            "## Quality (Tables I/II layout)",
            "",
            "| Samples | IS | IS (splits) | FID | NDB | NDB/K | Average accuracy (%) | Accuracy (%) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            i = r["is"]
            lines.append(f"| {r['name']} | {_f(i['whole'])} | {_f(i['split_mean'])} ± {_f(i['split_std'])} | "
                         f"{_f(r['fid'], '{:.1f}')} | {r['ndb']['ndb']} | {_f(r['ndb']['ndb_over_k'])} | "
                         f"{_f(100 * r['accuracy']['average_accuracy'])} | {_f(100 * r['accuracy']['accuracy'])} |")
        lines.append("")
    lines += [
        "## Synchronisation",
        "",
        "Onsets of each clip (its real part) vs the window's sidecar event times (`events`), or vs the "
        "onsets of the real audio where the clip had no sidecar (`real onsets`), over the clips with ≥ 1 "
        "reference onset. Pooled P/R/F1: from the matched / estimated / reference onsets summed over those "
        "clips; the other columns are means over them. AV offset: lag maximising the cross-correlation of "
        "the onset envelope with P_act (median, + = audio late; mean |offset|); AV r: their Pearson "
        "correlation at lag 0 (mean).",
        "",
        "| Samples | clips (events / real onsets) | pooled P | pooled R | pooled F1 | F1 (mean) | Onset acc. | "
        "AP | mean abs offset (ms) | AV offset (ms) | mean abs AV offset (ms) | AV r |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        y = r["sync"]
        lines.append(f"| {r['name']} | {y['reference']['events']} / {y['reference']['real_onsets']} | "
                     f"{_f(_pooled(y, 'precision'))} | {_f(_pooled(y, 'recall'))} | {_f(_pooled(y, 'f1'))} | "
                     f"{_f(y['f1'])} | {_f(y['onset_accuracy'])} | {_f(y['average_precision'])} | "
                     f"{_f(y['mean_abs_offset_ms'], '{:.1f}')} | {_f(y['av_offset_ms'], '{:.0f}')} | "
                     f"{_f(y['av_abs_offset_ms'], '{:.0f}')} | {_f(y['av_correlation'])} |")
    classes = [c for c in s["class_names"] if any(c in r["sync"]["per_class"] for r in rows)]
    if classes:
        lines += ["", "Pooled onset F1 per class:", "",
                  "| Class | " + " | ".join(r["name"] for r in rows) + " |", "|---|" + "---|" * len(rows)]
        for c in classes:
            lines.append(f"| {c} | " + " | ".join(_f(r["sync"]["per_class"][c]["f1"]) if c in r["sync"]["per_class"]
                                                  else "—" for r in rows) + " |")
    models = [r for r in rows if r["kind"] == "model"]
    if clf and len(models) >= 2:
        cols = [rows[0]] + models
        lines += ["", f"## NDB per class (Table III layout; K = {s['ndb']['k']} cells of all train windows, "
                      "class-wise z-tests)", "",
                  "| Class | " + " | ".join(f"{c['name']}" + (f" ({c['encoding']})" if c.get("encoding") else "")
                                          for c in cols) + " |",
                  "|---|" + "---|" * len(cols)]
        for name in s["class_names"]:
            vals = [c["ndb_per_class"].get(name) for c in cols]
            if all(v is None for v in vals):
                continue
            lines.append(f"| {name} | " + " | ".join("—" if v is None else str(v["ndb"]) for v in vals) + " |")
        avg = [np.mean([v["ndb"] for v in c["ndb_per_class"].values()]) if c["ndb_per_class"] else None
               for c in cols]
        lines.append("| Average | " + " | ".join(_f(a) for a in avg) + " |")
    if report.get("figures"):
        lines += ["", "## Figures", ""]
        for key, fn in report["figures"].items():
            lines.append(f"![{key}]({fn})")
            lines.append("")
    lines += ["", "Metric definitions: docs/evaluation.md.", ""]
    return "\n".join(lines)
