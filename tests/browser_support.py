"""Support for the browser tests: the real app served on a free local port, headless Debian
Chromium launched through Playwright, and a watch on each page for console errors, page
errors, failed requests and Content-Security-Policy violations."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect
from werkzeug.serving import make_server

REPO = Path(__file__).resolve().parents[1]
# Test runs write here (git-ignored); the README's pictures in docs/screenshots are copies
# chosen by hand, so a run never leaves the work tree changed.
SCREENSHOTS = Path(os.environ.get("QUIZAPP_SCREENSHOT_DIR", REPO / "screenshots"))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct-horse-1"


DESKTOP = {"width": 1100, "height": 800}
PHONE = {"width": 390, "height": 844}


class LiveServer:
    """``app`` served by werkzeug in a daemon thread on 127.0.0.1 and a port the OS picks."""

    def __init__(self, app):
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="quizapp-live-server")
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()


def launch(playwright: Playwright) -> Browser:
    """Debian's Chromium; a missing binary is an error, never a reason to skip."""
    if not Path(CHROMIUM).exists():
        raise AssertionError(f"{CHROMIUM} is missing: the browser tests need Debian chromium")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


# Runs before any page script; Playwright injects it through the DevTools protocol, so the
# page's own CSP does not block it.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.__quizappCsp(event.violatedDirective + " blocked " + (event.blockedURI || "inline") +
    " at " + event.sourceFile + ":" + event.lineNumber);
});
"""


@dataclass
class Problems:
    """Everything a page reported that a clean page must not report."""

    origin: str
    items: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext, *, javascript: bool = True) -> None:
        if javascript:
            context.expose_function("__quizappCsp", lambda text: self.items.append(f"CSP {text}"))
            context.add_init_script(CSP_LISTENER)
        context.on("page", self._watch_page)
        for page in context.pages:
            self._watch_page(page)

    def _watch_page(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.items.append(f"page error: {error}"))
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)

    def _on_console(self, message) -> None:
        text = message.text
        if message.type == "error" or "Content Security Policy" in text:
            self.items.append(f"console {message.type}: {text} ({message.location})")

    def _on_request_failed(self, request) -> None:
        # A navigation that replaces a page still loading is reported as aborted; that is
        # the browser's doing, not the app's.
        if request.failure != "net::ERR_ABORTED":
            self.items.append(f"request failed: {request.method} {request.url} {request.failure}")

    def _on_response(self, response) -> None:
        if response.url.startswith(self.origin) and response.status >= 400:
            self.items.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def assert_none(self) -> None:
        assert not self.items, "the browser reported problems:\n" + "\n".join(self.items)


def log_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    """Through the login form, with the mouse."""
    page.goto(f"{base}/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def shot(page: Page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=full_page)
    return path


def page_widths(page: Page) -> tuple[int, int]:
    """(document scroll width, window inner width)."""
    return tuple(page.evaluate(
        "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
    ))
