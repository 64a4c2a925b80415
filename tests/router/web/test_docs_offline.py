"""The API documentation pages work on a desk without internet: /docs (Swagger UI) and
/redoc load every script, stylesheet and icon from the app itself, not from a CDN."""
from __future__ import annotations

import re

import httpx
import pytest


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_everything_from_the_app(api, page):
    base, _ = api
    html = httpx.get(base + page)
    assert html.status_code == 200
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", html.text)
    assert assets, "the page names its scripts"
    assert [a for a in assets if not a.startswith("/")] == [], "nothing from another host"
    for asset in assets:
        response = httpx.get(base + asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 1000, asset
    if page == "/docs":
        assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
        assert "/openapi.json" in html.text
