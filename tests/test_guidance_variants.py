"""foleygan_tf.evaluation.guidance_variants: normal / off / swapped guidance by one derangement."""

import numpy as np
import pytest

from foleygan_tf.evaluation.guidance_variants import (VARIANTS, check_variants, derangement, guidance_inputs,
                                                      variant_guidance)


@pytest.mark.parametrize("groups", [[0, 0, 0, 1, 1, 3, 3, 3, 3], [0, 0, 0, 1, 1, 2, 3, 3, 3, 3],
                                    ["a", "a", "a", "b", "b", "c", "d"]])
def test_derangement_keeps_the_class_and_moves_every_window(groups):
    groups = np.asarray(groups)
    n = len(groups)
    singles = [g for g in set(groups.tolist()) if np.sum(groups == g) == 1]
    perms = set()
    for seed in range(6):
        perm = derangement(groups, seed)
        assert sorted(perm) == list(range(n)) and np.all(perm != np.arange(n))
        moved = int(np.sum(groups[perm] != groups))
        # classes with ≥ 2 windows stay in class; lone windows swap among themselves, or one lone
        # window joins another window's cycle (two windows then take another class's guidance)
        assert moved == {0: 0, 1: 2}.get(len(singles), len(singles))
        np.testing.assert_array_equal(derangement(groups, seed), perm)          # seeded
        perms.add(tuple(perm))
    assert len(perms) > 1                                                        # and random


def test_derangement_of_two_and_of_one():
    assert derangement([0, 1], 0).tolist() == [1, 0]
    assert derangement([5, 5], 3).tolist() == [1, 0]
    with pytest.raises(ValueError, match="≥ 2 windows"):
        derangement([0], 0)


def test_variant_guidance():
    p_act = [np.array([0.1, 0.9], np.float32), np.array([0.5, 0.2, 0.7], np.float32), np.array([0.3], np.float32)]
    fps, groups = [8.0, 24.0, 12.0], ["a", "a", "b"]
    p, f = variant_guidance("normal", p_act, fps, groups, 0)
    assert all(x is y for x, y in zip(p, p_act)) and f.tolist() == fps
    p, f = variant_guidance("off", p_act, fps, groups, 0)
    assert [len(x) for x in p] == [2, 3, 1] and all(np.all(x == 0) for x in p) and f.tolist() == fps
    p, f = variant_guidance("swapped", p_act, fps, groups, 4)
    perm = derangement(groups, 4)
    assert all(x is p_act[j] for x, j in zip(p, perm)) and f.tolist() == [fps[j] for j in perm]
    with pytest.raises(ValueError, match=r"unknown guidance variant\(s\) shuffled — choose from normal, off, swapped"):
        variant_guidance("shuffled", p_act, fps, groups, 0)
    assert check_variants(["off", "normal"]) == ("off", "normal") and VARIANTS == ("normal", "off", "swapped")
    with pytest.raises(ValueError, match="no guidance variant"):
        check_variants([])


def test_guidance_inputs_of_the_off_variant_is_a_still_video(tf, tiny_cfg):
    """S_act of P_act ≡ 0 is the same image whatever the clip length or fps (a silent timeline),
    its curve is 0; a P_act with an action differs."""
    audio = tiny_cfg.audio
    p_off, fps = variant_guidance("off", [np.ones(23, np.float32), np.ones(5, np.float32)], [8.0, 24.0], [0, 0], 0)
    s_act, curve = guidance_inputs(p_off, fps, audio)
    r = audio.image_size
    assert s_act.shape == (2, r, r, 3) and curve.shape == (2, r)
    np.testing.assert_allclose(s_act[0], s_act[1], atol=1e-6)
    assert np.all(curve == 0)
    p = np.zeros(23, np.float32)
    p[10] = 1.0
    s_on, curve_on = guidance_inputs([p], [8.0], audio)
    assert np.abs(s_on[0] - s_act[0]).max() > 0.1 and curve_on.max() > 0.5
