"""The web session: CSRF tokens bound to the session and the sign-in, and `__Host-` cookies."""

from http.cookies import SimpleCookie

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import SessionClient
from tests.web.conftest import csrf_of


def sign_in_with(browser: TestClient, token: str) -> str:
    """Sign `browser` in through the form; the CSRF token of the page it lands on."""
    page = browser.get("/web/login")
    response = browser.post(
        "/web/login",
        data={"token": token, "csrf": csrf_of(page.text), "next": "/web/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(browser.get("/web/").text)


def switch_language(browser: TestClient, csrf: str) -> int:
    response = browser.post(
        "/web/lang", data={"csrf": csrf, "lang": "en", "next": "/web/"}, follow_redirects=False
    )
    return response.status_code


@pytest.fixture
def other_browser(client: TestClient, session):
    with SessionClient(create_app(), session, raise_server_exceptions=False) as browser:
        yield browser


def test_a_token_from_before_sign_in_is_refused_after_it(client, token_for):
    before = csrf_of(client.get("/web/login").text)
    after = sign_in_with(client, token_for("planner"))
    assert after != before
    assert switch_language(client, before) == 403
    assert switch_language(client, after) == 303


def test_a_token_from_another_session_is_refused(client, other_browser, token_for):
    mine = sign_in_with(client, token_for("planner"))
    theirs = sign_in_with(other_browser, token_for("officer", "gaoxin"))
    assert switch_language(client, theirs) == 403
    assert switch_language(other_browser, mine) == 403
    # Not even with the other session's cookie planted in this browser, as a page of a
    # sibling subdomain could: the token is bound to this browser's sign-in as well.
    client.cookies.set("portfolio_session", other_browser.cookies["portfolio_session"])
    assert switch_language(client, theirs) == 403


def test_a_token_bound_to_another_sign_in_is_refused(client, token_for):
    # The session cookie alone does not make the token: it is bound to the signed-in token.
    csrf = sign_in_with(client, token_for("planner"))
    client.cookies.set("portfolio_token", token_for("admin"))
    assert switch_language(client, csrf) == 403


def test_the_token_changes_at_sign_in_and_sign_out(client, token_for):
    token = token_for("planner")
    anonymous = csrf_of(client.get("/web/login").text)
    first = sign_in_with(client, token)
    response = client.post("/web/logout", data={"csrf": first}, follow_redirects=False)
    assert response.status_code == 303
    signed_out = csrf_of(client.get("/web/login").text)
    assert len({anonymous, first, signed_out}) == 3
    # What the signed-in pages carried is no good once signed out.
    refused = client.post(
        "/web/login", data={"token": token, "csrf": first}, follow_redirects=False
    )
    assert refused.status_code == 403
    # Signing in again with the same API token is a new session with a new CSRF token.
    second = sign_in_with(client, token)
    assert second not in {anonymous, first, signed_out}


def _set_cookies(response) -> dict[str, str]:
    cookies = SimpleCookie()
    for line in response.headers.get_list("set-cookie"):
        cookies.load(line)
    return {name: morsel.OutputString().lower() for name, morsel in cookies.items()}


def test_over_https_the_cookies_are_host_prefixed_and_secure(client, session, token_for):
    with SessionClient(create_app(), session, base_url="https://testserver") as browser:
        login = browser.get("/web/login")
        assert set(_set_cookies(login)) == {"__Host-portfolio_session"}
        response = browser.post(
            "/web/login",
            data={"token": token_for("planner"), "csrf": csrf_of(login.text)},
            follow_redirects=False,
        )
        assert response.status_code == 303
        cookies = _set_cookies(response)
        assert set(cookies) == {"__Host-portfolio_token", "__Host-portfolio_session"}
        for line in cookies.values():
            assert "secure" in line
            assert "path=/" in line
            assert "httponly" in line
            assert "domain" not in line
        assert browser.get("/web/", follow_redirects=False).status_code == 200
        csrf = csrf_of(browser.get("/web/").text)
        assert switch_language(browser, csrf) == 303
        assert "__Host-portfolio_lang" in browser.cookies

        # A cookie without the prefix (planted by a subdomain or over HTTP) is not read.
        secret = browser.cookies["__Host-portfolio_token"]
        browser.cookies.clear()
        browser.cookies.set("portfolio_token", secret)
        assert browser.get("/web/", follow_redirects=False).status_code == 303


def test_over_http_the_cookies_keep_plain_names(client, token_for):
    login = client.get("/web/login")
    assert set(_set_cookies(login)) == {"portfolio_session"}
    assert "secure" not in _set_cookies(login)["portfolio_session"]
    sign_in_with(client, token_for("planner"))
    assert {"portfolio_token", "portfolio_session"} <= set(client.cookies.keys())
