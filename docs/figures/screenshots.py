"""Screenshots of both pages of the browser view (``docs/figures/viz_page0.png``, ``viz_page1.png``).

Starts ``village-sim viz --port 0`` on 127.0.0.1, drives Debian's Chromium with Playwright (never
``playwright install``), steps the baseline county a number of weeks and saves each page at its
full height. Run from the repository root::

    .venv/bin/python docs/figures/screenshots.py --weeks 30
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def start_server() -> tuple[subprocess.Popen, str]:
    """``village-sim viz --port 0``; returns the process and the address it prints."""
    script = Path(sys.executable).with_name("village-sim")
    proc = subprocess.Popen(
        [str(script), "viz", "--port", "0", "--seed", "1"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    for line in proc.stdout:
        found = re.search(r"serving on (http://127\.0\.0\.1:\d+)", line)
        if found:
            return proc, found.group(1) + "/"
        if time.monotonic() > deadline:
            break
    proc.terminate()
    raise SystemExit("the viz server did not start")


def full_height(page: object) -> None:
    """Make the viewport as tall as the page's content (the app scrolls inside an element).

    Grid items are laid out again after a resize, so the height is measured until it settles.
    """
    script = (
        "Math.max(...Array.from(document.querySelectorAll('.vs-chart, .vs-monitors, .v-card'))"
        ".map(e => e.getBoundingClientRect().bottom + window.scrollY))"
    )
    height = 0
    for _ in range(5):
        new = int(page.evaluate(script)) + 60  # type: ignore[attr-defined]
        if new == height:
            break
        height = new
        page.set_viewport_size({"width": 1500, "height": height})  # type: ignore[attr-defined]
        page.wait_for_timeout(1500)  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    """Take the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=30, help="weeks to step before (default 30)")
    parser.add_argument("--out", type=Path, default=HERE, help="folder (default docs/figures)")
    args = parser.parse_args(argv)
    from playwright.sync_api import expect, sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("Debian's chromium is needed (apt-get install -y chromium)")
    proc, url = start_server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(url)
            week = page.locator(".vs-week")
            page.get_by_role("button", name="Reset", exact=True).click()
            expect(week).to_have_text("Week 0", timeout=60_000)
            for n in range(1, args.weeks + 1):
                page.get_by_role("button", name="Step", exact=True).click()
                expect(week).to_have_text(f"Week {n}", timeout=60_000)
            full_height(page)
            page.screenshot(path=str(args.out / "viz_page0.png"), full_page=True)
            page.get_by_role("tab", name="Page 1").click()
            expect(page.locator(".vs-chart-lorenz svg.marks")).to_have_count(1)
            full_height(page)
            page.screenshot(path=str(args.out / "viz_page1.png"), full_page=True)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(f"wrote {args.out / 'viz_page0.png'} and {args.out / 'viz_page1.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
