"""The Dagster UI in a real browser: the summary asset's page shows its token metadata."""

import os
import shutil

import pytest

from tokopt_pipeline_tests.conftest import REPO

from .browser import chromium_page

pytestmark = pytest.mark.e2e  # starts `dagster dev` and a browser

DOCS_SCREENSHOT = REPO / "docs" / "dagster-summary-asset.png"


def test_the_summary_asset_page_shows_token_metadata(summarized, tmp_path):
    server, _ = summarized
    shot = tmp_path / "budget_trimmed_summaries.png"
    with chromium_page() as page:
        page.goto(f"{server.url}/assets/budget_trimmed_summaries?view=events", timeout=60_000)
        page.get_by_text("tokens_out", exact=True).first.wait_for(timeout=60_000)
        page.get_by_text("budget_pct", exact=True).first.wait_for(timeout=60_000)
        page.wait_for_load_state("networkidle", timeout=60_000)
        page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000
    if os.environ.get("TOKOPT_UPDATE_SCREENSHOT"):
        shutil.copyfile(shot, DOCS_SCREENSHOT)
