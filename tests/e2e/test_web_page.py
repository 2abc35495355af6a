"""The web page at ``/`` in a real headless Chromium (system packages), driven by Selenium.

It loads, streams the reasoning (collapsible) and the answer, Stop stops the generation on
the engine, and it speaks English and Chinese. Skipped, with the reason, when Chromium or
chromedriver is not installed (``apt-get install chromium chromium-driver``).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from app.core.host import EngineHost, HostState
from app.server.routes import ServerOptions
from app.server.runner import ApiServer
from tests.server.conftest import MODEL_ID, TOKEN, ScriptedEngine

selenium = pytest.importorskip("selenium")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="needs Chromium and chromedriver (apt-get install chromium chromium-driver)",
)

WAIT_S = 60  # a hang ceiling: the machine may be busy


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    yield driver
    driver.quit()


class Served:
    def __init__(self, engine: ScriptedEngine) -> None:
        self.engine = engine
        self.host = EngineHost(engine)
        self.server = ApiServer(self.host, ServerOptions(port=0, token=TOKEN))
        self.server.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/"

    def close(self) -> None:
        assert self.server.stop(30.0)
        assert self.host.close(30.0)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        idle = threading.Event()

        def listener(state: HostState) -> None:
            if state.status == "idle":
                idle.set()

        unsubscribe = self.host.add_state_listener(listener)
        listener(self.host.state)
        try:
            return idle.wait(timeout)
        finally:
            unsubscribe()


@pytest.fixture
def served() -> Iterator[Served]:
    live = Served(ScriptedEngine())
    yield live
    live.close()


@pytest.fixture
def served_endless() -> Iterator[Served]:
    live = Served(ScriptedEngine(endless=True))
    yield live
    live.close()


def open_page(browser: Any, served: Served, query: str = "", *, token: bool = True) -> None:
    # Start from an empty localStorage for this origin (token and language live there).
    browser.get(f"{served.url}web/style.css")
    browser.execute_script("localStorage.clear()")
    fragment = f"#token={TOKEN}" if token else ""
    browser.get(f"{served.url}{query}{fragment}")


def wait_for(browser: Any, condition: Any) -> Any:
    return WebDriverWait(browser, WAIT_S).until(lambda driver: condition(driver))


def ask(browser: Any, text: str) -> None:
    box = browser.find_element(By.ID, "prompt")
    box.clear()
    box.send_keys(text)
    browser.find_element(By.ID, "send").click()


def last_assistant(browser: Any) -> Any:
    return browser.find_elements(By.CSS_SELECTOR, ".msg.assistant")[-1]


def test_the_page_loads_and_streams_reasoning_and_answer(browser: Any, served: Served) -> None:
    open_page(browser, served, "?lang=en")
    wait_for(browser, lambda d: d.find_element(By.ID, "model").text == MODEL_ID)
    assert "token=" not in browser.current_url  # the token is taken out of the address bar
    ask(browser, "What is 2+2?")
    done = wait_for(
        browser,
        lambda d: d.find_elements(By.CSS_SELECTOR, ".msg.assistant[data-done]"),
    )
    message = done[-1]
    assert message.get_attribute("data-done") == "stop"
    assert message.find_element(By.CSS_SELECTOR, ".answer").text == "The answer is 4. 你好"
    reasoning = message.find_element(By.CSS_SELECTOR, "details.reasoning")
    assert reasoning.get_attribute("open") is None  # folded once the answer began
    assert reasoning.find_element(By.TAG_NAME, "summary").text == "Thought"
    reasoning.find_element(By.TAG_NAME, "summary").click()
    assert "Let me think. 二加二" in reasoning.find_element(By.TAG_NAME, "pre").text
    assert served.engine.requests[-1].messages[-1].content == "What is 2+2?"


def test_stop_stops_the_generation(browser: Any, served_endless: Served) -> None:
    open_page(browser, served_endless, "?lang=en")
    wait_for(browser, lambda d: d.find_element(By.ID, "model").text == MODEL_ID)
    ask(browser, "Tell me everything.")
    wait_for(browser, lambda d: "The answer" in last_assistant(d).text)
    assert served_endless.host.state.status == "busy"
    browser.find_element(By.ID, "stop").click()
    wait_for(browser, lambda d: last_assistant(d).get_attribute("data-done") == "stopped")
    assert browser.find_element(By.ID, "status").text == "Stopped."
    # The browser hung up; the server cancelled the turn and the engine is free.
    assert served_endless.wait_idle()
    assert browser.find_element(By.ID, "send").is_enabled()


def test_the_page_speaks_chinese(browser: Any, served: Served) -> None:
    open_page(browser, served, "?lang=zh")
    wait_for(browser, lambda d: d.find_element(By.ID, "model").text == MODEL_ID)
    assert browser.find_element(By.ID, "send").text == "发送"
    assert browser.find_element(By.ID, "stop").text == "停止"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    ask(browser, "二加二等于几？")
    wait_for(browser, lambda d: last_assistant(d).get_attribute("data-done") == "stop")
    summary = last_assistant(browser).find_element(By.CSS_SELECTOR, "details.reasoning summary")
    assert summary.text == "思考过程"
    browser.find_element(By.ID, "lang").click()
    assert browser.find_element(By.ID, "send").text == "Send"
    assert summary.text == "Thought"


def test_without_a_token_the_page_asks_for_one(browser: Any, served: Served) -> None:
    open_page(browser, served, "?lang=en", token=False)
    row = wait_for(browser, lambda d: d.find_element(By.ID, "token-row"))
    wait_for(browser, lambda d: row.is_displayed())
    browser.find_element(By.ID, "token").send_keys("wrong-token")
    browser.find_element(By.ID, "save-token").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "status").text == "The token was refused.")
    field = browser.find_element(By.ID, "token")
    field.clear()
    field.send_keys(TOKEN)
    browser.find_element(By.ID, "save-token").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "model").text == MODEL_ID)
    assert not browser.find_element(By.ID, "token-row").is_displayed()
