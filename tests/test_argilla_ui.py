"""Drive the real Argilla web UI in headless Debian Chromium.

A reviewer logs in, opens the dataset, sees the labelling functions'
suggestions, corrects one span (BRUSSELS: ORG -> LOC) and submits, then
discards the next sentence; the pull finds both. Saves docs/argilla_review.png for the README.

Needs `apt-get install -y chromium` and `pip install playwright` (never
`playwright install`); it fails, saying what to install, when either is missing.
"""

import shutil
import time
import warnings
from pathlib import Path

from scripts.review.pull import pull
from scripts.review.push import push
from tests.argilla_helpers import (
    REVIEW_LABELS,
    argilla_server,  # noqa: F401  (fixture)
    client_for,
    environ,
    read_corpus,
    write_corpus,
)
from tests.browser_helpers import browser  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "docs" / "argilla_review.png"
DATASET = "ui-review"
TIMEOUT_MS = 30_000


def _wait_for(server, status: str, n: int, timeout: float = 20.0) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import argilla as rg
    dataset = client_for(server).datasets(name=DATASET, workspace="argilla")
    query = rg.Query(filter=rg.Filter([("response.status", "==", status)]))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(list(dataset.records(query=query))) >= n:
            return
        time.sleep(0.3)
    raise AssertionError(f"the UI's {status} response did not reach the server")


def test_review_in_browser(argilla_server, browser, tmp_path):  # noqa: F811
    dev = write_corpus(tmp_path / "dev.spacy")
    with environ(**argilla_server.env()):
        push(
            [(dev, 0)],
            tmp_path / "manifest.json",
            aggregate="majority",
            dataset_name=DATASET,
            progress=False,
            labels=REVIEW_LABELS,
            seed=42,
        )

    page = browser.new_page(viewport={"width": 1400, "height": 1120})
    page.set_default_timeout(TIMEOUT_MS)
    url = argilla_server.url

    # Log in
    page.goto(f"{url}/sign-in", wait_until="networkidle")
    page.locator("input").first.fill(argilla_server.username)
    page.locator("input[type=password]").fill(argilla_server.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/")

    # Open the dataset from the home page
    page.get_by_text(DATASET, exact=True).first.click()
    page.get_by_text("EU rejects").first.wait_for()

    # The suggestions are there: the main question pre-filled with the aggregate,
    # and one field per labelling function with its own spans.
    assert page.locator(".span-entity__suggestion").count() > 0
    page.get_by_text("Labelling function 'title_detector' (reference only)").wait_for()
    page.get_by_text("Gold entities (reference only)").wait_for()

    # Go to "BRUSSELS 1996-08-22", where the aggregate says ORG
    for _ in range(5):
        if page.get_by_text("BRUSSELS").count():
            break
        page.locator(".pagination__button").last.click()
        page.wait_for_timeout(500)
    page.locator(".span-annotation__field").first.get_by_text("BRUSSELS").first.wait_for()

    # Correct it: open the label menu of the first span (the main question's
    # field comes first) and pick LOC
    first_entity = page.locator(".span-entity--clickable").first
    assert first_entity.inner_text().strip() == "ORG"
    first_entity.click()
    page.locator(".span-entity__dropdown__item", has_text="LOC").first.click()
    page.wait_for_timeout(300)
    assert page.locator(".span-entity--clickable").first.inner_text().strip() == "LOC"

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(tmp_path / "review.png"))
    shutil.copy(tmp_path / "review.png", SCREENSHOT)

    page.get_by_role("button", name="Submit").click()
    _wait_for(argilla_server, "submitted", 1)

    # The UI moves on to the next pending record: drop that one
    page.get_by_text("Germany 's representative").first.wait_for()
    page.get_by_role("button", name="Discard").click()
    _wait_for(argilla_server, "discarded", 1)
    page.close()

    out = tmp_path / "reviewed.spacy"
    with environ(**argilla_server.env()):
        counts = pull([dev], out, dataset_name=DATASET, labels=REVIEW_LABELS).counts
    assert counts["submitted"] == 1 and counts["discarded"] == 1
    docs = read_corpus(out)
    assert [d.user_data["index"] for d in docs] == [2, 3]
    assert [(e.text, e.label_) for e in docs[0].ents] == [("BRUSSELS", "LOC")]
    assert docs[0].user_data["review_status"] == "submitted"
    assert docs[1].user_data["review_status"] == "discarded"
