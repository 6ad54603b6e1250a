"""Camera-motion compensation for the 2TRN's motion stream (``trn.motion_alignment``).

The motion stream reads the pixel difference of two consecutive frames. A camera that shakes or
pans moves every edge of the picture, and the difference then shows the whole scene instead of the
object that makes the sound. TSN's "warped optical flow" removes the camera's motion before the
flow is read; :func:`aligned_differences` does the same for the frame difference with the simplest
camera model, a translation: the shift of frame ``t+1`` against frame ``t`` is the peak of their
phase correlation (Kuglin & Hines 1975; grey levels, Hann-windowed against the picture's edges),
searched within ``max_shift`` pixels so that a large moving object cannot pass for the camera and
refined to a fraction of a pixel; frame ``t+1`` is moved back by it (linear interpolation) before
the difference. Pixels that moved in from outside the picture have no counterpart in frame ``t``:
their difference is 0. Zoom and rotation are left as they are.
"""

from __future__ import annotations

__all__ = ["aligned_differences", "translation_between", "max_camera_shift", "MAX_SHIFT_FRACTION"]

# The largest camera shift between two consecutive frames the search accepts, as a fraction of
# the frame side: a hand-held shake or a pan moves a few per cent per frame (the synthetic data's
# domain randomisation: SHAKE_PX and PAN in data/domain_randomization.py); a larger peak is more
# likely a big object moving than the camera.
MAX_SHIFT_FRACTION = 0.1


def max_camera_shift(frame_size: int) -> int:
    """The search radius in pixels for frames of side ``frame_size`` (at least 1)."""
    return max(1, int(round(MAX_SHIFT_FRACTION * int(frame_size))))


def _spectra(frames):
    """float ``[N, S, S, C]`` → the 2-D real FFT of the Hann-windowed, mean-free grey frames
    ``[N, S, S // 2 + 1]`` complex64."""
    import tensorflow as tf

    size = tf.shape(frames)[1]
    window = tf.signal.hann_window(size, periodic=False)
    grey = tf.reduce_mean(tf.cast(frames, tf.float32), axis=-1)
    grey = (grey - tf.reduce_mean(grey, axis=[1, 2], keepdims=True)) * (window[:, None] * window[None, :])
    return tf.signal.rfft2d(grey)


def _shifts(previous_spectra, following_spectra, size, max_shift: int):
    """Shifts ``[N, 2]`` (dy, dx) from two ``[N, S, S // 2 + 1]`` spectra (see
    :func:`translation_between`)."""
    import tensorflow as tf

    cross = following_spectra * tf.math.conj(previous_spectra)
    cross = cross / tf.cast(tf.maximum(tf.abs(cross), 1e-6), tf.complex64)
    corr = tf.signal.irfft2d(cross, fft_length=tf.stack([size, size]))                # [N, S, S]
    offsets = tf.range(size)
    offsets = tf.where(offsets > size // 2, offsets - size, offsets)                # 0, 1, …, −1
    allowed = tf.abs(offsets) <= max_shift
    allowed = tf.logical_and(allowed[:, None], allowed[None, :])
    masked = tf.where(allowed[None], corr, tf.fill(tf.shape(corr), float("-inf")))
    peak = tf.argmax(tf.reshape(masked, [tf.shape(corr)[0], -1]), axis=-1, output_type=tf.int32)
    py, px = peak // size, peak % size

    def refine(along_rows: bool):
        def at(step):
            r = (py + step) % size if along_rows else py
            c = px if along_rows else (px + step) % size
            return tf.gather_nd(corr, tf.stack([r, c], axis=-1), batch_dims=1)

        before, centre, after = at(-1), at(0), at(1)
        # the phase-correlation peak of a fractional shift d spreads as a sampled sinc: its
        # larger neighbour c± gives |d| = c± / (c± + c0) (Foroosh, Zerubia & Berthod 2002)
        up = tf.math.divide_no_nan(after, after + centre)
        down = -tf.math.divide_no_nan(before, before + centre)
        return tf.clip_by_value(tf.where(after > before, up, down), -0.5, 0.5)

    dy = tf.cast(tf.gather(offsets, py), tf.float32) + refine(True)
    dx = tf.cast(tf.gather(offsets, px), tf.float32) + refine(False)
    return tf.stack([dy, dx], axis=-1)


def translation_between(previous, following, max_shift: int):
    """Shift ``(dy, dx)`` of ``following`` against ``previous`` in pixels — float32 ``[N, 2]``.

    ``previous``, ``following``: float ``[N, S, S, C]`` frames (any scale). ``following`` shows
    ``previous``'s content moved down by ``dy`` and right by ``dx``; the integer peak is searched
    within ``|dy|, |dx| ≤ max_shift``, then refined to a fraction of a pixel from the peak's larger
    neighbour on each axis (a hand-held camera at 64 px mostly moves less than a pixel per
    frame). TensorFlow ops."""
    import tensorflow as tf

    return _shifts(_spectra(previous), _spectra(following), tf.shape(previous)[1], max_shift)


def _shift_axis(frames, shift, axis: int):
    """``frames`` ``[N, S, S, C]`` sampled at ``i + shift`` along ``axis`` (1 rows, 2 columns),
    linear interpolation, and the mask of the samples that fall inside the frame."""
    import tensorflow as tf

    size = tf.shape(frames)[axis]
    pos = tf.cast(tf.range(size), tf.float32)[None, :] + shift[:, None]             # [N, S]
    low = tf.floor(pos)
    frac = pos - low
    low = tf.cast(low, tf.int32)
    shape = [-1, size, 1, 1] if axis == 1 else [-1, 1, size, 1]
    frac = tf.reshape(frac, shape)

    def take(idx):
        return tf.gather(frames, tf.clip_by_value(idx, 0, size - 1), axis=axis, batch_dims=1)

    sampled = (1.0 - frac) * take(low) + frac * take(low + 1)
    inside = tf.logical_and(pos >= 0.0, pos <= tf.cast(size - 1, tf.float32))
    return sampled, tf.reshape(tf.cast(inside, tf.float32), shape)


def aligned_differences(clips, max_shift: int):
    """``frame_t+1 − frame_t`` of every consecutive pair with the camera's shift removed: float
    ``[B, T, S, S, C]`` clips → float32 ``[B, T − 1, S, S, C]`` (0 where frame ``t+1``'s pixel
    came in from outside the picture). Each frame's spectrum is computed once and serves both of
    its pairs. TensorFlow ops."""
    import tensorflow as tf

    clips = tf.cast(clips, tf.float32)
    shape = tf.shape(clips)
    batch, count, size = shape[0], shape[1], shape[2]
    flat = tf.reshape(clips, tf.concat([[-1], shape[2:]], axis=0))                  # [B·T, S, S, C]
    spectra = tf.reshape(_spectra(flat), [batch, count, size, size // 2 + 1])

    def pairs(x, first: bool):                                                       # [B, T, …] → [B·(T−1), …]
        x = x[:, :-1] if first else x[:, 1:]
        return tf.reshape(x, tf.concat([[-1], tf.shape(x)[2:]], axis=0))

    shift = _shifts(pairs(spectra, True), pairs(spectra, False), size, max_shift)   # [B·(T−1), 2]
    previous, following = pairs(clips, True), pairs(clips, False)
    aligned, row_ok = _shift_axis(following, shift[:, 0], axis=1)
    aligned, col_ok = _shift_axis(aligned, shift[:, 1], axis=2)
    diff = (aligned - previous) * (row_ok * col_ok)
    return tf.reshape(diff, tf.concat([[batch, count - 1], shape[2:]], axis=0))
