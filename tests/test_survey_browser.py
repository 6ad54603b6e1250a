"""`foleygan survey serve` in a real browser: a scripted participant in headless Debian chromium
(Selenium) consents, plays each clip by a click, answers both questions, reloads mid-study and
finishes; the answers are in responses.sqlite and in the report."""

import csv
import re

import pytest

from tests.helpers.survey import fresh_study, live_server, stored_answers, study_template
from tests.helpers.survey_browser import (chromium, consent, play_and_answer, progress, questions_open,
                                          visible, wait_for)

pytestmark = pytest.mark.browser


def test_a_participant_in_chromium_answers_every_page_across_reloads(tmp_path_factory, tmp_path):
    from foleygan_tf.survey.manifest import load_study
    from foleygan_tf.survey.report import write_report

    study = fresh_study(study_template(tmp_path_factory), tmp_path)
    manifest = load_study(study)
    total = sum(len(c["conditions"]) for c in manifest["clips"])
    ratings = [(1 + (3 * k) % 10, 10 - k) for k in range(total)]
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with live_server(study) as base, chromium() as driver:
        consent(driver, base + "/")
        pages = [play_and_answer(driver, *ratings[k]) for k in range(3)]
        driver.save_screenshot(str(shots / "page4.png"))
        # a reload before the clip is played: same page, questions still locked
        driver.refresh()
        wait_for(driver, lambda d: visible(d, "trial"))
        assert progress(driver) == f"Clip 4 of {total}" and not questions_open(driver)
        # played, then reloaded: the play was saved, the questions open without playing again
        driver.find_element("id", "play").click()
        wait_for(driver, questions_open)
        wait_for(driver, lambda d: d.execute_script("return playRecorded === true"))   # the server has it
        driver.refresh()
        wait_for(driver, lambda d: visible(d, "trial"))
        assert progress(driver) == f"Clip 4 of {total}" and questions_open(driver)
        pages.append(play_and_answer(driver, *ratings[3], play=False))
        pages += [play_and_answer(driver, *ratings[k]) for k in range(4, total)]
        wait_for(driver, lambda d: visible(d, "done"))
        assert "Thank you" in driver.find_element("id", "thanks").text
        driver.save_screenshot(str(shots / "thanks.png"))
        media = [u for u in driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)") if "/media/" in u]
        # a reload after the end stays on the thank-you page
        driver.refresh()
        wait_for(driver, lambda d: visible(d, "done"))
    assert pages == [f"Clip {k} of {total}" for k in range(1, total + 1)]
    ids = {c["id"] for clip in manifest["clips"] for c in clip["conditions"]}
    assert media and all(re.fullmatch(r"http://127\.0\.0\.1:\d+/media/([0-9a-f]{16})\.mp4", u) for u in media)
    assert {re.search(r"([0-9a-f]{16})\.mp4", u).group(1) for u in media} <= ids   # since the last reload

    stored = stored_answers(study)
    assert [(q, s) for _, _, q, s in stored] == ratings
    assert len({p for p, *_ in stored}) == 1 and {i for _, i, _, _ in stored} == ids

    report = write_report(study, tmp_path / "report")
    rows = list(csv.DictReader(open(tmp_path / "report" / "answers.csv")))
    assert [(int(r["quality"]), int(r["sync"])) for r in rows] == ratings
    assert all(r["finished"] == "True" for r in rows)
    average = {r["condition"]: r for r in report["rows"] if r["class"] == "all"}
    assert set(average) == {"a", "b", "reference", "anchor"}
    assert all(r["n_participants"] == 1 and r["n_ratings"] == 2 for r in average.values())
