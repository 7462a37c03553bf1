"""The API docs work offline: Swagger UI and ReDoc render every operation from local assets.

Chromium runs with every host but the live server's mapped to nowhere (``--host-resolver-rules``),
so a CDN script or a web font would fail to load and the page would stay blank; and the
browser's own network log must show that nothing was even requested from another host.
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import CHROMEDRIVER, CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture
def offline_browser():
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(path)]
    if missing:
        message = f"{' and '.join(missing)} not found: apt-get install chromium chromium-driver (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {message}")
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    # Offline: any name but the live server's resolves to nothing.
    options.add_argument("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def requested_urls(driver) -> list[str]:
    """URLs the page asked for, less those the page's Content-Security-Policy stopped in the browser."""
    urls, stopped = {}, set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            urls[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.loadingFailed" and params.get("blockedReason") == "csp":
            stopped.add(params["requestId"])
    return [url for request_id, url in urls.items() if request_id not in stopped]


def foreign(urls: list[str]) -> list[str]:
    return [url for url in urls if urlsplit(url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(url).hostname not in LOCAL_HOSTS]


def _save(driver, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def test_swagger_ui_renders_every_operation_without_the_network(offline_browser, live_server, client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = sum(1 for item in schema["paths"].values() for method in item if method in
                     ("get", "post", "put", "patch", "delete"))
    offline_browser.get(f"{live_server.url}/api/docs/")
    WebDriverWait(offline_browser, 60).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= operations)
    blocks = offline_browser.find_elements(By.CSS_SELECTOR, ".opblock")
    assert len(blocks) == operations
    paths = {el.text for el in offline_browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert "/api/v1/inventory/{supplierId}/{productId}" in {p.replace("\u200b", "") for p in paths}
    _save(offline_browser, "api-docs-swagger-offline")
    urls = requested_urls(offline_browser)
    assert any("/static/drf_spectacular_sidecar/swagger-ui-dist/" in url for url in urls)
    assert foreign(urls) == []


def test_redoc_renders_every_operation_without_the_network(offline_browser, live_server):
    offline_browser.get(f"{live_server.url}/api/redoc/")
    WebDriverWait(offline_browser, 90).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "[data-section-id^='operation/']"))
    sections = offline_browser.find_elements(By.CSS_SELECTOR, "[data-section-id^='operation/']")
    assert len(sections) >= 50
    assert "Record a stock movement" in offline_browser.page_source
    _save(offline_browser, "api-docs-redoc-offline")
    urls = requested_urls(offline_browser)
    assert any("/static/drf_spectacular_sidecar/redoc/" in url for url in urls)
    assert foreign(urls) == []


def test_the_landing_page_links_the_docs_and_the_favicon_is_served(offline_browser, live_server):
    offline_browser.get(f"{live_server.url}/")
    links = {a.get_attribute("href") for a in offline_browser.find_elements(By.TAG_NAME, "a")}
    for path in ("/api/docs/", "/api/redoc/", "/admin/", "/healthz"):
        assert f"{live_server.url}{path}" in links
    assert "var/sandbox-credentials.json" in offline_browser.page_source
    _save(offline_browser, "landing-page")
    assert foreign(requested_urls(offline_browser)) == []
