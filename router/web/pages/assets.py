"""The dashboard's own stylesheet and script, served by the desk itself (nothing is loaded
from another host, so the dashboard works offline)."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse

from router.web.pages.render import WEB

router = APIRouter(include_in_schema=False)

STATIC = WEB / "static"
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@router.get("/static/{asset}")
def asset(asset: str) -> FileResponse:
    # Only a plain file name of a known kind in the folder: no path ever leaves it.
    path = STATIC / asset
    if "/" in asset or "\\" in asset or path.suffix not in TYPES or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such asset")
    return FileResponse(path, media_type=TYPES[path.suffix], headers={"Cache-Control": "max-age=300"})
