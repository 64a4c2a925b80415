"""Every route of the app against every role, over real HTTP, on both databases: a member
of the security pool, an agent outside it, a supervisor, an admin and no token at all, each
on a security conversation of their own. The routes come from `app.routes`, so a route
added without a line in EXPECTED fails here; a refused request must also change nothing.
API routes are called with each role's token, dashboard pages (PAGES) with each role's
signed-in browser session and its CSRF token on every form."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial

import httpx
from sqlalchemy import func, select
from starlette.routing import Mount

from dashboard import csrf_of, give_password, signed_in
from desk_roles import CALLERS, MEMBER, security_cases
from router.desk.tokens import issue_token
from router.storage.db import session_scope
from router.storage.models import AgentToken, Conversation, Event, Message
from router.web.app import create_app
from support import app_routes

ROLES = tuple(CALLERS)  # member, outsider, supervisor, admin, anonymous


def _all(code: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, code)


def _signed_in(code: int) -> dict[str, int]:
    return {**_all(code), "anonymous": 401}


def _pool_work(code: int, outside: int) -> dict[str, int]:
    return {**_signed_in(code), "outsider": outside}


def _admin_only(code: int) -> dict[str, int]:
    return {**_signed_in(403), "admin": code}


def _page(code: int, outside: int | None = None, stranger: int = 303) -> dict[str, int]:
    """A dashboard page: a stranger is sent to the sign-in form (303), or refused (403) when
    posting a form, which without a session carries no valid CSRF token."""
    return {**_all(code), "anonymous": stranger, **({"outsider": outside} if outside else {})}


CONVERSATION = "/api/conversations/{conversation_id}"
PAGE = "/conversations/{conversation_id}"
# The status each role gets on each route (HEAD follows GET where Starlette serves it).
EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/healthz"): _all(200),
    ("GET", "/readyz"): _all(200),
    ("GET", "/openapi.json"): _all(200),
    ("GET", "/docs"): _all(200),
    ("GET", "/docs/oauth2-redirect"): _all(200),
    ("GET", "/redoc"): _all(200),
    ("GET", "/docs/assets/{path}"): _all(200),  # the docs pages' scripts, served from the package
    ("GET", "/api/me"): _signed_in(200),
    ("GET", "/api/me/conversations"): _signed_in(200),
    ("PUT", "/api/me/presence"): _signed_in(200),
    ("GET", "/api/pools"): _signed_in(200),
    ("GET", "/api/pools/{name}/queue"): _pool_work(200, outside=403),
    ("GET", CONVERSATION): _pool_work(200, outside=404),
    ("POST", CONVERSATION + "/reply"): _pool_work(201, outside=404),
    ("POST", CONVERSATION + "/resolve"): _pool_work(200, outside=404),
    ("POST", CONVERSATION + "/reassign"): _pool_work(200, outside=404),
    ("POST", CONVERSATION + "/labels"): _pool_work(200, outside=404),
    ("POST", CONVERSATION + "/investigating"): _pool_work(200, outside=404),
    ("DELETE", CONVERSATION + "/investigating"): _pool_work(200, outside=404),
    ("POST", CONVERSATION + "/notes"): _pool_work(201, outside=404),
    ("GET", "/api/parked"): {**_signed_in(200), "member": 403, "outsider": 403},
    ("GET", "/api/outbound"): {**_signed_in(200), "member": 403, "outsider": 403},
    ("GET", "/api/reports/sla"): {**_signed_in(200), "member": 403, "outsider": 403},
    ("GET", "/api/reports/summary"): _signed_in(200),  # over the caller's own pools
    ("GET", "/api/agents"): _admin_only(200),
    ("GET", "/api/agents/{name}/tokens"): _admin_only(200),
    ("POST", "/api/agents/{name}/tokens"): _admin_only(201),
    ("DELETE", "/api/agents/{name}/tokens/{token_name}"): _admin_only(204),
    # Not agent routes: an agent token neither opens nor closes them.
    ("GET", "/metrics"): _all(200),
    ("WEBSOCKET", "/chat/ws"): _all(403),  # its own signature (tests/channels/test_chat.py)
    ("GET", "/chat/demo"): _all(404),  # on only for the embedded development desk
    ("POST", "/forms/contact"): _all(415),  # a customer's door; no body here
    # The customer's rating page: the signed token is the permission; "{token}" is none.
    ("GET", "/csat/{token}"): _all(400),
    ("POST", "/csat/{token}"): _all(400),
    ("POST", "/channels/telegram/webhook"): _all(404),  # the channel is off without its token
    ("GET", "/channels/wechat"): _all(404),  # wechat: off without its token; its own signature
    ("POST", "/channels/wechat"): _all(404),
    # The dashboard (router/web/pages/), signed in by session cookie.
    ("GET", "/"): _page(303, stranger=200),  # the sign-in form; the signed-in go on to My work
    ("POST", "/login"): _page(401, stranger=403),  # no name and password: 401; no CSRF token: 403
    ("POST", "/logout"): _page(303, stranger=403),
    ("GET", "/static/{asset}"): _all(200),
    ("GET", "/work"): _page(200),
    ("GET", "/pools"): _page(200),
    ("GET", "/live"): _page(200),  # the live stream (read until its first line: it never ends by itself)
    ("POST", "/presence"): _page(303, stranger=403),
    ("GET", "/supervisors"): {**_page(200), "member": 403, "outsider": 403},
    ("GET", "/pools/{name}"): _page(200, outside=403),
    ("GET", "/reports"): _page(200),  # each caller's own pools (tests/router/web/pages/test_reports_page.py)
    ("GET", PAGE): _page(200, outside=404),
    ("POST", PAGE + "/reply"): _page(303, outside=404, stranger=403),
    ("POST", PAGE + "/labels"): _page(303, outside=404, stranger=403),
    ("POST", PAGE + "/resolve"): _page(303, outside=404, stranger=403),
    # Claiming takes membership of the pool: erin and frank are not in security (409, shown on the page).
    ("POST", PAGE + "/claim"): {**_page(303, outside=404, stranger=403), "supervisor": 409, "admin": 409},
    ("POST", PAGE + "/reassign"): _page(303, outside=404, stranger=403),
    ("POST", PAGE + "/notes"): _page(303, outside=404, stranger=403),
}
PAGES = {path for _, path in EXPECTED if not path.startswith(("/api/", "/chat/", "/forms/", "/channels/", "/csat/"))
         and path not in ("/healthz", "/readyz", "/metrics") and not path.startswith(("/docs", "/redoc", "/openapi"))}
FORMS = {PAGE + "/reply": {"text": "We are looking into it and will write again within the hour."},
         "/presence": {"presence": "online"},
         PAGE + "/labels": {"urgency": "high"},
         PAGE + "/reassign": {"agent": "dan"},
         PAGE + "/notes": {"text": "Checked the chain: the transfer left the wallet at 03:12."}}

BODIES = {
    CONVERSATION + "/reply": {"text": "We are looking into it and will write again within the hour."},
    CONVERSATION + "/reassign": {"agent": "dan"},
    CONVERSATION + "/labels": {"urgency": "high"},
    CONVERSATION + "/investigating": {"status_update": True},  # DELETE ignores it
    CONVERSATION + "/notes": {"text": "Checked the chain: the transfer left the wallet at 03:12."},
    "/api/agents/{name}/tokens": {"name": None},
    "/api/me/presence": {"status": "online"},
}
STREAMS = {"/live"}  # answered with a stream that stays open: only its status is read


def _routes() -> set[tuple[str, str]]:
    # A WebSocket route has no methods; it still needs a line here (its own test drives it).
    # A mount (static files) serves GET below its path.
    routes = set()
    for route in app_routes(create_app()):
        if isinstance(getattr(route, "route", route), Mount):
            routes.add(("GET", route.path + "/{path}"))
            continue
        routes |= {(method, route.path) for method in route.methods or ("WEBSOCKET",) if method != "HEAD"}
    return routes


def _state(conversation_id: int) -> tuple:
    """What any conversation route could change: the row, its events and its messages."""
    with session_scope() as session:
        c = session.get(Conversation, conversation_id)
        events = session.execute(select(func.count()).where(Event.conversation_id == conversation_id)).scalar()
        messages = session.execute(select(func.count()).where(Message.conversation_id == conversation_id)).scalar()
        return (c.state, c.urgency, c.pool_id, c.assignee_id, events, messages)


def _nothing() -> None:
    return None


def _tokens() -> int:
    with session_scope() as session:
        return session.execute(select(func.count()).select_from(AgentToken)).scalar()


def _cases(conversations: list[int]) -> list[tuple[str, str, str, str, Callable[[], object]]]:
    """(role, method, path, url, what a refused request must leave alone) for every pair."""
    fresh = iter(conversations)
    cases = []
    for method, path in sorted(EXPECTED):
        if method == "WEBSOCKET":
            continue  # not an HTTP request
        for role in ROLES:
            url, unchanged = path, _nothing
            if "{conversation_id}" in path:
                cid = next(fresh)
                url = path.replace("{conversation_id}", str(cid))
                unchanged = partial(_state, cid)
            if "{token_name}" in path:
                with session_scope() as session:
                    issue_token(session, MEMBER, f"walk-{role}", actor="test")
                url = url.replace("{token_name}", f"walk-{role}")
            if path.startswith("/api/agents/"):
                url, unchanged = url.replace("{name}", MEMBER), _tokens
            url = url.replace("{asset}", "app.css")
            url = url.replace("{path}", "swagger-ui-bundle.js")
            cases.append((role, method, path, url.replace("{name}", "security"), unchanged))
    return cases


def test_every_route_has_an_expected_status_for_every_role():
    assert _routes() == set(EXPECTED), "a route without a rule here, or a rule without a route"


def test_every_route_answers_every_role_as_expected(api, broker):
    base, auth = api
    per_role = sum(1 for _, path in EXPECTED if "{conversation_id}" in path)
    cases = _cases(security_cases(per_role * len(ROLES)))
    headers = {role: auth(name) if name else {} for role, name in CALLERS.items()}
    for name in CALLERS.values():
        if name:
            give_password(name)
    browsers = {role: signed_in(base, name, set_it=False) if name else httpx.Client(base_url=base)
                for role, name in CALLERS.items()}
    wrong = []
    for role, method, path, url, unchanged in cases:
        before = unchanged()
        if path in PAGES:
            # Signing out ends the session: it gets a session of its own.
            browser = signed_in(base, CALLERS[role] or "", set_it=False) \
                if path == "/logout" and CALLERS[role] else browsers[role]
            form = {"csrf": csrf_of(browser, "/work"), **FORMS.get(path, {})} if CALLERS[role] else {}
            if path in STREAMS:
                with browser.stream(method, url) as response:
                    if response.status_code != 200:
                        response.read()
            else:
                response = browser.request(method, url, data=form if method == "POST" else None)
        else:
            response = httpx.request(method, base + url, headers=headers[role], json=BODIES.get(path))
        expected = EXPECTED[(method, path)][role]
        if response.status_code != expected:
            wrong.append(f"{role} {method} {url}: {response.status_code}, expected {expected}: {response.text[:200]}")
        elif expected >= 400 and unchanged() != before:
            wrong.append(f"{role} {method} {url}: refused with {expected} but changed {before} -> {unchanged()}")
    assert not wrong, "\n".join(wrong)


def test_every_api_route_goes_through_the_access_module():
    """The walk above proves today's routes; this keeps a new /api route from skipping the
    module's `caller` dependency, which is where roles and pools are read."""
    from router.web.access import caller

    def calls(dependant) -> set:
        return {dependant.call} | {c for d in dependant.dependencies for c in calls(d)}

    api_routes = [r for r in app_routes(create_app()) if r.path.startswith("/api/")]
    assert len(api_routes) == sum(1 for _, path in EXPECTED if path.startswith("/api/"))
    assert [r.path for r in api_routes if caller not in calls(r.dependant)] == []


def test_every_dashboard_page_goes_through_the_access_module():
    """Each page but the sign-in form, sign-out and the static files reads the signed-in
    agent through the access module's `page_caller`, as the API routes read `caller`."""
    from router.web.access import page_caller

    def calls(dependant) -> set:
        return {dependant.call} | {c for d in dependant.dependencies for c in calls(d)}

    open_to_all = {"/", "/login", "/logout", "/static/{asset}"}
    pages = [r for r in app_routes(create_app()) if r.path in PAGES - open_to_all]
    assert len(pages) == sum(1 for _, path in EXPECTED if path in PAGES - open_to_all)
    assert [r.path for r in pages if page_caller not in calls(r.dependant)] == []
