"""The page at `GET /` in a real browser: headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by selenium with both paths given, so selenium-manager never runs and
nothing is downloaded) against a real `khabar serve` process on 127.0.0.1.

Topic: type an Arabic article, submit, and the label shown is the one POST /predict returns, with
one bar per label and the evidence words highlighted where the explanation's offsets say; a
screenshot goes to the test's temporary folder (and to docs/page.png with KHABAR_SCREENSHOT=1).
Stance: claim and article, both highlighted, and the abstain verdict of a server whose threshold
nothing reaches. Multi-label (slow): every decided label in the verdict and the bars, a threshold
tick per bar, and a button per decided label that shows its evidence.

Skips, saying what to install, without selenium or Chromium (`apt-get install -y chromium
chromium-driver`; paths from $KHABAR_CHROMIUM / $KHABAR_CHROMEDRIVER, else the PATH). No wait
here is a fixed sleep: the server is waited for on its log line and /health, the page on its own
data attributes.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from repo import ROOT, SAMPLE
from waiting import HANG

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install 'khabar[serve]'")
selenium = pytest.importorskip("selenium", reason="the page test drives Chromium with selenium: pip install selenium")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.selenium_manager import SeleniumManager  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

INSTALL = "apt-get install -y chromium chromium-driver"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                  "--window-size=1000,1500", "--lang=en-US")


def _program(variable: str, *names: str) -> str:
    given = os.environ.get(variable)
    if given:
        if not os.access(given, os.X_OK):
            pytest.skip(f"${variable}={given} is not an executable")
        return given
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if os.access(f"/usr/bin/{name}", os.X_OK) else None)
        if found:
            return found
    pytest.skip(f"no {names[0]} found (set ${variable} or install it: {INSTALL})")


def _sample(task: str, id_: str) -> dict:
    for line in (SAMPLE / f"{task}.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["id"] == id_:
            return row
    raise AssertionError(f"{id_} is not in the sample")


class ServeProcess:
    """`khabar serve` (the `serve` function) in a child process on a free port of 127.0.0.1; ready
    once uvicorn has logged its address and /health answers."""

    def __init__(self, model_dir: str, **options):
        code = ("import json, sys\nfrom khabar.serving.http import serve\n"
                "serve(sys.argv[1], port=0, log_level='info', **json.loads(sys.argv[2]))")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen([sys.executable, "-c", code, model_dir, json.dumps(options)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: queue.Queue = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        line = self.wait_for(lambda ln: "Uvicorn running on" in ln)
        self.url = "http://" + re.search(r"(127\.0\.0\.1:\d+)", line).group(1) + "/"
        self.wait_for(lambda ln: "Application startup complete" in ln or "Uvicorn running on" in ln, seen=True)
        health = self.get("health")
        assert health["status"] == "ok", health

    def _read(self):
        for line in self.process.stderr:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, predicate, seen: bool = False) -> str:
        if seen:
            for line in self.log:
                if predicate(line):
                    return line
        while True:
            try:
                line = self.lines.get(timeout=HANG)
            except queue.Empty:
                raise AssertionError("the server logged nothing for a long time:\n" + "\n".join(self.log)) from None
            if line is None:
                raise AssertionError("the server stopped:\n" + "\n".join(self.log))
            self.log.append(line)
            if predicate(line):
                return line

    def get(self, path: str):
        with urllib.request.urlopen(self.url + path, timeout=HANG) as answer:
            return json.loads(answer.read())

    def post(self, path: str, body: dict):
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode("utf-8"),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=HANG) as answer:
            return json.loads(answer.read())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(HANG)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(HANG)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium = _program("KHABAR_CHROMIUM", "chromium", "chromium-browser")
    chromedriver = _program("KHABAR_CHROMEDRIVER", "chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    original = SeleniumManager.binary_paths

    def refuse(*args, **kwargs):
        raise AssertionError("selenium-manager must not run: the driver path is given")

    SeleniumManager.binary_paths = refuse
    try:
        driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    finally:
        SeleniumManager.binary_paths = original
    driver.set_page_load_timeout(HANG)
    yield driver
    driver.quit()


def _open(driver, server: ServeProcess) -> None:
    driver.get(server.url)
    WebDriverWait(driver, HANG).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")


def _type(driver, element_id: str, text: str) -> None:
    box = driver.find_element(By.ID, element_id)
    box.clear()
    box.send_keys(text)
    assert box.get_attribute("value") == text


def _submit_and_wait(driver) -> None:
    before = driver.execute_script("return document.getElementById('result').dataset.label === undefined ? null : 1")
    assert before is None
    driver.find_element(By.ID, "submit").click()
    WebDriverWait(driver, HANG).until(
        lambda d: d.find_element(By.ID, "result").get_attribute("data-label") is not None
        or d.find_element(By.ID, "status").get_attribute("class") == "error")
    assert driver.find_element(By.ID, "status").get_attribute("class") != "error", \
        driver.find_element(By.ID, "status").text


def _marks(driver, view: str) -> list[tuple[str, str]]:
    return [(m.get_attribute("class"), m.text) for m in driver.find_elements(By.CSS_SELECTOR, f"#{view} mark")]


@pytest.fixture(scope="module")
def topic_server(topic_run):
    server = ServeProcess(str(Path(topic_run.run_dir) / "model"))
    yield server
    server.stop()


def test_the_page_labels_an_arabic_article_and_highlights_the_evidence(browser, topic_server, tmp_path):
    article = _sample("topic", "spo-002")["text"]
    _open(browser, topic_server)
    labels = topic_server.get("model")["labels"]
    assert browser.find_element(By.ID, "text").get_attribute("dir") == "rtl"
    assert browser.find_element(By.ID, "claim-field").is_displayed() is False  # a topic model: no claim
    _type(browser, "text", article)
    _submit_and_wait(browser)

    expected = topic_server.post("predict", {"text": article, "top_k": len(labels), "explain": True})["predictions"][0]
    result = browser.find_element(By.ID, "result")
    assert result.get_attribute("data-label") == expected["label"]
    assert expected["label"] in browser.find_element(By.ID, "verdict").text
    bars = browser.find_elements(By.CSS_SELECTOR, "#bars li")
    assert len(bars) == len(labels) and expected["label"] in bars[0].text

    marks = _marks(browser, "text-view")
    assert marks, "no evidence highlighted"
    toward = expected["explanation"]["explained"][0]["toward"]
    spans = sorted((s["start"], s["end"]) for w in toward for s in w["spans"])
    chars = list(article)  # offsets count code points
    assert ("toward", "".join(chars[spans[0][0]:spans[0][1]])) in marks
    assert browser.find_element(By.ID, "text-view").text.replace("\n", "") == article.replace("\n", "")
    assert browser.find_element(By.ID, "text-view").get_attribute("dir") == "rtl"

    shot = tmp_path / "page.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 0
    if os.environ.get("KHABAR_SCREENSHOT") == "1":
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copyfile(shot, ROOT / "docs" / "page.png")


def test_the_page_shows_server_errors_as_text(browser, topic_server):
    _open(browser, topic_server)
    _type(browser, "text", "\u200b\u064e")  # nothing left to read after normalization: a 422
    browser.find_element(By.ID, "submit").click()
    WebDriverWait(browser, HANG).until(lambda d: d.find_element(By.ID, "status").get_attribute("class") == "error")
    assert "nothing to read" in browser.find_element(By.ID, "status").text
    assert browser.find_elements(By.CSS_SELECTOR, "#status *") == []  # text, not markup


def test_the_page_for_a_stance_model_reads_a_claim_and_shows_the_abstain_verdict(browser, stance_run):
    row = _sample("stance", "st-002")
    server = ServeProcess(str(Path(stance_run.run_dir) / "model"), min_confidence=1.0)
    try:
        _open(browser, server)
        assert browser.find_element(By.ID, "claim-field").is_displayed()
        _type(browser, "claim", row["claim"])
        _type(browser, "text", row["text"])
        _submit_and_wait(browser)
        expected = server.post("predict", {"claim": row["claim"], "text": row["text"], "explain": True})["predictions"][0]
        assert expected["abstained"] and expected["label"] is None
        verdict = browser.find_element(By.ID, "verdict")
        assert "abstained" in verdict.get_attribute("class") and "Abstained" in verdict.text
        assert expected["top_k"][0]["label"] in verdict.text
        assert browser.find_element(By.ID, "result").get_attribute("data-abstained") == "true"
        assert _marks(browser, "text-view") or _marks(browser, "claim-view")
    finally:
        server.stop()


@pytest.mark.slow  # a server of its own, about 8 s
def test_the_page_for_a_multi_label_model_shows_every_decided_label(browser, tmp_path_factory):
    from multi_label_model import BOTH, train_multi_label

    server = ServeProcess(str(train_multi_label(tmp_path_factory.mktemp("multi-label-page"))))
    try:
        _open(browser, server)
        thresholds = server.get("model")["multi_label"]["thresholds"]
        assert "multi-label" in browser.find_element(By.ID, "model-line").text
        _type(browser, "text", BOTH)
        _submit_and_wait(browser)
        expected = server.post("predict", {"text": BOTH, "top_k": len(thresholds), "explain": True})["predictions"][0]
        decided = [entry["label"] for entry in expected["labels"]]
        assert len(decided) == 2
        result = browser.find_element(By.ID, "result")
        assert json.loads(result.get_attribute("data-labels")) == decided
        verdict = browser.find_element(By.ID, "verdict").text
        assert all(label in verdict for label in decided)
        chosen = [li.find_element(By.CLASS_NAME, "name").text
                  for li in browser.find_elements(By.CSS_SELECTOR, "#bars li.chosen")]
        assert chosen == decided
        assert len(browser.find_elements(By.CSS_SELECTOR, "#bars .tick")) == len(thresholds)
        tabs = browser.find_elements(By.CSS_SELECTOR, "#evidence-tabs .tab")
        assert [tab.text for tab in tabs] == decided and browser.find_element(By.ID, "evidence-tabs").is_displayed()
        tabs[1].click()  # the second label's evidence
        WebDriverWait(browser, HANG).until(lambda d: decided[1] in d.find_element(By.ID, "evidence-label").text)
        assert tabs[1].get_attribute("aria-pressed") == "true" and tabs[0].get_attribute("aria-pressed") == "false"
        toward = expected["explanation"]["explained"][1]["toward"]
        first = min((s["start"], s["end"]) for w in toward for s in w["spans"])
        assert ("toward", "".join(list(BOTH)[first[0]:first[1]])) in _marks(browser, "text-view")
        shot = tmp_path_factory.mktemp("multi-label-shot") / "page.png"
        assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 0
    finally:
        server.stop()


def test_an_editor_corrects_the_label_on_the_page_and_it_is_stored(browser, topic_run, tmp_path):
    from khabar.serving.feedback_store import FeedbackStore

    store = tmp_path / "store.sqlite"
    server = ServeProcess(str(Path(topic_run.run_dir) / "model"), feedback=str(store))
    try:
        article = _sample("topic", "spo-002")["text"]
        _open(browser, server)
        _type(browser, "text", article)
        _submit_and_wait(browser)
        given = browser.find_element(By.ID, "result").get_attribute("data-label")
        buttons = browser.find_elements(By.CSS_SELECTOR, "#feedback-buttons button")
        assert sorted(b.get_attribute("data-label") for b in buttons) == sorted(server.get("model")["labels"])
        other = next(b for b in buttons if b.get_attribute("data-label") != given)
        chosen = other.get_attribute("data-label")
        other.click()
        WebDriverWait(browser, HANG).until(lambda d: d.find_element(By.ID, "feedback").get_attribute("data-saved"))
        assert browser.find_element(By.ID, "feedback").get_attribute("data-saved") == chosen
        [row] = FeedbackStore(str(store)).rows()
        assert (row["text"], row["model_label"], row["label"]) == (article, given, chosen)
    finally:
        server.stop()


def test_an_editor_labels_the_queue_on_the_page_and_the_labels_export(browser, tmp_path, cli, capsys):
    from outlet_corpus import OUTLET, examples, prior_model

    pool = examples(["Sports", "Finance", "Weather"], 2, "all", seed=11, names=OUTLET, prefix="u")
    texts = {ex.id: ex.text for ex in pool}
    pool_path = tmp_path / "pool.jsonl"
    pool_path.write_text("".join(json.dumps({"id": ex.id, "text": ex.text}, ensure_ascii=False) + "\n"
                                 for ex in pool), encoding="utf-8")
    store = tmp_path / "store.sqlite"
    labels = list(OUTLET.values())
    server = ServeProcess(prior_model(tmp_path / "prior"), feedback=str(store), queue=str(pool_path),
                          queue_labels=labels)
    try:
        _open(browser, server)
        assert browser.find_element(By.ID, "queue").is_displayed() is False
        browser.find_element(By.ID, "mode-queue").click()
        assert browser.find_element(By.ID, "form").is_displayed() is False
        given = {}
        for turn in range(2):
            WebDriverWait(browser, HANG).until(
                lambda d: d.find_element(By.ID, "queue").get_attribute("data-state") in ("article", "empty", "error"))
            view = browser.find_element(By.ID, "queue")
            assert view.get_attribute("data-state") == "article", browser.find_element(By.ID, "queue-status").text
            article_id = view.get_attribute("data-id")
            assert article_id in texts and article_id not in given
            assert browser.find_element(By.ID, "queue-text").text == texts[article_id]
            assert "The model's guess: " in browser.find_element(By.ID, "queue-guess").text
            buttons = browser.find_elements(By.CSS_SELECTOR, "#queue-buttons button")
            assert [b.get_attribute("data-label") for b in buttons] == labels
            choice = labels[turn]
            given[article_id] = choice
            next(b for b in buttons if b.get_attribute("data-label") == choice).click()
            WebDriverWait(browser, HANG).until(
                lambda d: d.find_element(By.ID, "queue-progress").get_attribute("data-labelled") == str(turn + 1)
                and d.find_element(By.ID, "queue").get_attribute("data-id") != article_id)
        progress = browser.find_element(By.ID, "queue-progress")
        assert progress.get_attribute("data-left") == str(len(pool) - 2)
        assert f"{len(pool) - 2} left of {len(pool)}" in progress.text
    finally:
        server.stop()
    capsys.readouterr()
    assert cli("feedback", "export", str(store)) == 0
    exported = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted((r["id"], r["text"], r["label"]) for r in exported) == sorted(
        (i, texts[i], label) for i, label in given.items())
