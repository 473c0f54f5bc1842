"""Generating drafts from a 100-page PDF, a 40-slide presentation and a Word handout in
headless Chromium: the job page's progress bar follows the worker without a reload (or
refreshes itself without JavaScript) and ends on the review page, which cites pages and
slides. The worker is the in-process one ``make run`` uses, started once the job page shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_support import DESKTOP, PHONE, Problems, log_in, page_widths, shot
from conftest import make_user
from playwright.sync_api import expect
from source_builders import blocks_of_markdown, build_docx, build_pdf, build_pptx, lecture_blocks

from quizapp.jobs import EXTENSION, make_queue
from quizapp.jobs.worker import start_in_process

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIXTURE = Path(__file__).parent / "fixtures" / "generation" / "hearing-loss.md"


@pytest.fixture
def worker(app, tmp_path):
    """A file queue for the app, and a function that starts the in-process worker on it."""
    saved = app.extensions[EXTENSION]
    app.extensions[EXTENSION] = make_queue(app, f"sqlite:///{tmp_path / 'queue.sqlite'}")
    stops = []

    def start() -> None:
        if not stops:
            stops.append(start_in_process(app))

    yield start
    for stop in stops:
        stop()
    app.extensions[EXTENSION] = saved


@pytest.fixture
def open_page(app, live, browser):
    opened = []
    problems = Problems(live.url)

    def open_context(*, javascript: bool = True, viewport=DESKTOP):
        context = browser.new_context(java_script_enabled=javascript, viewport=viewport)
        context.set_default_timeout(15_000)
        problems.watch(context, javascript=javascript)
        opened.append(context)
        return context.new_page()

    yield open_context
    for context in opened:
        context.close()
    problems.assert_none()


def generate_through_the_form(page, base: str, path: Path, title: str) -> str:
    page.goto(f"{base}/decks/generate")
    page.get_by_label("Source documents").set_input_files(str(path))
    page.get_by_label("Deck title").fill(title)
    page.get_by_role("button", name="Generate draft deck").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    return page.url


DOCUMENTS = [
    ("lecture-notes.pdf", lambda: build_pdf(lecture_blocks(100), page_break_before_headings=1),
     "page", 100),
    ("slides.pptx", lambda: build_pptx(lecture_blocks(40)), "slide", 40),
    ("handout.docx", lambda: build_docx(blocks_of_markdown(FIXTURE.read_text())),
     "paragraph", None),
]


@pytest.mark.parametrize(("name", "build", "where", "count"), DOCUMENTS,
                         ids=[d[0] for d in DOCUMENTS])
def test_a_document_becomes_a_draft_with_a_live_progress_bar(
        app, live, open_page, worker, tmp_path, name, build, where, count):
    instructor = make_user("teacher@example.com", "instructor")
    path = tmp_path / name
    path.write_bytes(build())
    page = open_page()
    job_documents = []
    status_polls = []
    page.on("response", lambda response: (
        job_documents.append(response.url) if re.search(r"/jobs/\d+$", response.url) else None,
        status_polls.append(response.url) if response.url.endswith("/status") else None,
    ))
    log_in(page, live.url, instructor.email)
    job_url = generate_through_the_form(page, live.url, path, f"Draft from {name}")
    bar = page.locator("progress#job-progress")
    expect(bar).to_be_visible()
    expect(page.locator("#job-stage")).to_contain_text("Waiting for a worker")
    shot(page, f"job-progress-{where}.png")
    worker()
    expect(page).to_have_url(re.compile(r"/decks/\d+/review$"), timeout=240_000)
    # The bar followed the job by polling; the job page itself was loaded once.
    assert job_documents == [job_url] and status_polls
    cited = page.get_by_text(re.compile(rf"\({re.escape(name)}\), {where} \d+"))
    expect(cited.first).to_be_visible()
    numbers = {int(n) for n in re.findall(rf"\({re.escape(name)}\), {where} (\d+)",
                                          page.content())}
    if count:
        assert len(numbers) > 1 and max(numbers) <= count
    shot(page, f"job-review-{where}.png")
    app.logger.info("cited %s %s", where, sorted(numbers)[:10])


def test_without_javascript_the_job_page_refreshes_until_the_draft(
        app, live, open_page, worker, tmp_path):
    instructor = make_user("teacher@example.com", "instructor")
    path = tmp_path / "handout.docx"
    path.write_bytes(build_docx(blocks_of_markdown(FIXTURE.read_text())))
    page = open_page(javascript=False, viewport=PHONE)
    log_in(page, live.url, instructor.email)
    generate_through_the_form(page, live.url, path, "No-script draft")
    expect(page.locator("progress#job-progress")).to_be_visible()
    width, inner = page_widths(page)
    assert width <= inner, "the job page fits a phone"
    shot(page, "job-progress-phone-nojs.png")
    worker()
    expect(page).to_have_url(re.compile(r"/decks/\d+/review$"), timeout=120_000)
    expect(page.get_by_text(re.compile(r"\(handout\.docx\), paragraph \d+")).first) \
        .to_be_visible()
