"""The HTML data map in a real browser: Debian's headless Chromium driven by chromedriver (selenium).

The page must load without console errors (a Content-Security-Policy
violation is one), filter by kind and by system, fold per system, show
hostile table and file names as text with no script of theirs running, and
make no request at all besides the page itself.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import need_service
from tests.reports._mapbuild import HOSTILE_FILE, HOSTILE_TABLE, QUOTED_FILE, BuiltMap, build

CHROMIUM = os.environ.get("PII_SCAN_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PII_SCAN_CHROMEDRIVER", "/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltMap:
    return build(tmp_path_factory.mktemp("browser") / "demo")


@pytest.fixture(scope="module")
def page(built: BuiltMap) -> tuple[Path, dict]:
    from pii_scan.config import load
    from reports import datamap_report

    cfg = load(built.config)
    html = built.directory / "map.html"
    js = built.directory / "map.json"
    assert datamap_report.run(cfg, fmt="html", output=str(html)) == 0
    assert datamap_report.run(cfg, fmt="json", output=str(js)) == 0
    return html, json.loads(js.read_text("utf-8"))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    for path, what in ((CHROMIUM, "Chromium"), (CHROMEDRIVER, "chromedriver")):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            need_service(what, f"{path} not found (Debian: apt-get install chromium chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        need_service("selenium", "the Python package is not installed (pip install -e '.[test]')")
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager fetch anything
    profile = tempfile.mkdtemp(prefix="pii-scan-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync", "--disable-extensions", "--disable-default-apps", f"--user-data-dir={profile}",
                 "--window-size=1400,1000"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    except Exception as exc:  # noqa: BLE001
        shutil.rmtree(profile, ignore_errors=True)
        need_service("Chromium", f"cannot start headless: {type(exc).__name__}: {str(exc)[:300]}")
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _load(driver, html: Path) -> None:  # noqa: ANN001
    driver.get_log("browser")
    driver.get_log("performance")
    driver.get(html.as_uri())
    assert driver.execute_script("return document.readyState") == "complete"


def _visible_fields(driver) -> list[tuple[str, str, list[str]]]:  # noqa: ANN001
    """(system, container, kinds) of every field row a person can see."""
    return [
        (r["system"], r["container"], r["kinds"].split())
        for r in driver.execute_script(
            """
            return Array.from(document.querySelectorAll('tr.field')).filter(tr => tr.checkVisibility()).map(tr => ({
              system: tr.closest('details.system').dataset.system,
              container: tr.closest('tbody').querySelector('tr.container th').textContent,
              kinds: tr.dataset.kinds}));
            """
        )
    ]


def _select(driver, elem_id: str, value: str) -> None:  # noqa: ANN001
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", elem_id)).select_by_value(value)


def test_page_loads_clean_and_shows_every_field(browser, page) -> None:  # noqa: ANN001
    html, data = page
    _load(browser, html)
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == [], errors
    seen = _visible_fields(browser)
    assert len(seen) == len(data["rows"]) > 30
    assert {(s, c) for s, c, _ in seen} == {(r["source"], r["container"]) for r in data["rows"]}
    assert browser.find_element("id", "shown").text == (
        f"Showing {len(data['rows'])} field(s) in {len({(r['source'], r['container']) for r in data['rows']})} "
        "container(s) of 2 system(s)"
    )
    # coverage and the failed unit with its reason
    cov = browser.find_element("id", "coverage").text
    assert "archive" in cov and "never scanned" in cov
    failed = browser.find_element("id", "failed").text
    assert "trasig.xlsx" in failed and "not a readable zip archive" in failed


def test_filter_by_kind_and_system(browser, page) -> None:  # noqa: ANN001
    html, data = page
    _load(browser, html)
    _select(browser, "filter-kind", "payment_card")
    seen = _visible_fields(browser)
    expected = [r for r in data["rows"] if "payment_card" in r["kinds"]]
    assert expected and len(seen) == len(expected)
    assert all("payment_card" in kinds for _, _, kinds in seen)
    assert {c for _, c, _ in seen} == {r["container"] for r in expected}

    _select(browser, "filter-kind", "")
    _select(browser, "filter-system", "crm")
    seen = _visible_fields(browser)
    assert {s for s, _, _ in seen} == {"crm"}
    assert len(seen) == sum(r["source"] == "crm" for r in data["rows"])
    assert not browser.find_element("css selector", 'details.system[data-system="share"]').is_displayed()

    _select(browser, "filter-kind", "reference")  # both filters at once
    seen = _visible_fields(browser)
    assert seen and {s for s, _, _ in seen} == {"crm"} and all(k == ["reference"] for _, _, k in seen)
    assert {c for _, c, _ in seen} == {"main.invoices", "main.orders", "main.support_tickets"}

    _select(browser, "filter-system", "share")  # share has no references: nothing shown, nothing broken
    assert _visible_fields(browser) == []
    assert browser.find_element("id", "shown").text.startswith("Showing 0 field(s)")

    _select(browser, "filter-kind", "")
    _select(browser, "filter-system", "")
    assert len(_visible_fields(browser)) == len(data["rows"])
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_systems_fold(browser, page) -> None:  # noqa: ANN001
    html, data = page
    _load(browser, html)
    browser.find_element("css selector", 'details.system[data-system="crm"] > summary').click()
    assert browser.execute_script("return document.querySelector('details.system[data-system=\"crm\"]').open") is False
    seen = _visible_fields(browser)
    assert {s for s, _, _ in seen} == {"share"}
    assert len(seen) == sum(r["source"] == "share" for r in data["rows"])


def test_hostile_names_are_text_and_nothing_runs(browser, page) -> None:  # noqa: ANN001
    html, _ = page
    _load(browser, html)
    heads = browser.execute_script(
        "return Array.from(document.querySelectorAll('tr.container th')).map(th => th.textContent)"
    )
    assert f'main."{HOSTILE_TABLE}"' in heads
    assert HOSTILE_FILE in heads and QUOTED_FILE in heads
    fields = browser.execute_script("return Array.from(document.querySelectorAll('td.f')).map(td => td.textContent)")
    assert 'e"post\'s <b>' in fields
    assert browser.execute_script("return window.__pwned === undefined")
    assert browser.execute_script("return document.scripts.length") == 1
    assert browser.execute_script("return document.querySelectorAll('img, b, iframe, object, embed').length") == 0
    # the hostile system-independent name is also a working filter value
    _select(browser, "filter-system", "share")
    assert HOSTILE_FILE in {c for _, c, _ in _visible_fields(browser)}


def test_no_request_leaves_the_page(browser, page) -> None:  # noqa: ANN001
    html, _ = page
    _load(browser, html)
    _select(browser, "filter-kind", "email")
    _select(browser, "filter-system", "share")
    browser.find_element("css selector", 'details.system[data-system="share"] > summary').click()
    urls = []
    for entry in browser.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    assert urls == [html.as_uri()]
