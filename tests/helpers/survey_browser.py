"""A scripted participant in headless Debian chromium (Selenium + chromium-driver).

Used by tests/test_survey_browser.py, and to make the docs' screenshot of a study built from
synthetic clips::

    python -m tests.helpers.survey_browser STUDY docs/images/survey.png
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# the machine's closed network refuses Chromium's background connections: switch them off
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--mute-audio", "--window-size=900,1000")
WAIT = 30.0


@contextlib.contextmanager
def chromium():
    """A headless chromium driven by chromium-driver, with a fresh profile folder."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(path):
            raise RuntimeError(f"{path} is missing: `make test` installs Debian's chromium and chromium-driver")
    with tempfile.TemporaryDirectory(prefix="survey-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        try:
            yield driver
        finally:
            driver.quit()


def wait_for(driver, condition, timeout: float = WAIT):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda d: condition(d))


def visible(driver, element_id: str) -> bool:
    return driver.find_element("id", element_id).is_displayed()


def consent(driver, url: str) -> None:
    """Open the page, tick the consent box and start."""
    driver.get(url)
    wait_for(driver, lambda d: visible(d, "intro"))
    start = driver.find_element("id", "start")
    assert not start.is_enabled(), "start must wait for the consent box"
    driver.find_element("id", "consent").click()
    start.click()
    wait_for(driver, lambda d: visible(d, "trial"))


def questions_open(driver) -> bool:
    """The rating buttons can be clicked (their fieldset is not disabled)."""
    return driver.find_element("id", "q-quality-1").is_enabled()


def progress(driver) -> str:
    return driver.find_element("id", "progress-text").text


def play_and_answer(driver, quality: int, sync: int, play: bool = True) -> str:
    """On the current page: (with ``play``) check the questions are locked, play the clip by a
    click and wait for its end; rate both questions and save; wait until the next page (or the
    thank-you page) shows. Returns the progress text of the page answered."""
    shown = progress(driver)
    if play:
        assert not questions_open(driver), "the questions are open before the clip played"
        assert not driver.find_element("id", "submit").is_enabled()
        driver.find_element("id", "play").click()
        wait_for(driver, questions_open)
        assert driver.execute_script("return document.getElementById('video').ended"), "questions opened mid-clip"
    driver.find_element("id", f"q-quality-{quality}").click()
    driver.find_element("id", f"q-sync-{sync}").click()
    driver.find_element("id", "submit").click()
    wait_for(driver, lambda d: visible(d, "done") or progress(d) != shown)
    return shown


def screenshot(study: str, out: str) -> None:
    """The second page of ``study`` after its clip played, with the first question answered."""
    import threading

    from foleygan_tf.atomic import atomic_path
    from foleygan_tf.survey.server import make_server

    server = make_server(study, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with chromium() as driver:
            consent(driver, f"http://127.0.0.1:{server.port}/")
            play_and_answer(driver, 7, 8)
            driver.find_element("id", "play").click()
            wait_for(driver, questions_open)
            driver.execute_script("document.getElementById('video').currentTime = 0.4")
            driver.find_element("id", "q-quality-6").click()
            os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
            with atomic_path(out) as tmp:
                assert driver.save_screenshot(tmp), f"{tmp}: the screenshot was not written"
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    screenshot(sys.argv[1], sys.argv[2])
