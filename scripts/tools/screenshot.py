"""A PNG of an HTML page in headless Debian Chromium (playwright, never `playwright install`): the README's
picture of `visualize`'s page.

    python -m scripts.tools.screenshot training/visualize.html docs/visualize.png --height 1400
"""

import os
from pathlib import Path
from typing import Annotated

import typer
from wasabi import msg

from ..util.errors import UserError, run

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def screenshot(page: Path, output: Path, width: int = 1200, height: int = 1400) -> None:
    """The top `height` pixels of `page` at `width` into `output`."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise UserError("playwright is not installed: pip install -r requirements-argilla.txt") from None
    if not Path(CHROMIUM).exists():
        raise UserError(f"{CHROMIUM} not found: apt-get install -y chromium (or set CHROMIUM_PATH)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True)
        try:
            tab = browser.new_page(viewport={"width": width, "height": height})
            tab.goto(page.resolve().as_uri())
            output.parent.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(output))
        finally:
            browser.close()


def main(
    page: Annotated[Path, typer.Argument(help="HTML file", exists=True, dir_okay=False)],
    output: Annotated[Path, typer.Argument(help="PNG to write")],
    width: Annotated[int, typer.Option("--width")] = 1200,
    height: Annotated[int, typer.Option("--height")] = 1400,
):
    """Take a screenshot of a local HTML page."""
    screenshot(page, output, width, height)
    msg.good(f"{page} -> {output}")


if __name__ == "__main__":
    run(main)
