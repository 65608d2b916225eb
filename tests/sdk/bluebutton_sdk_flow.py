#!/usr/bin/env python3
"""End-to-end check that the official Blue Button Python SDK (cms-bluebutton-sdk 1.1.0)
works against carin-sandbox.

Usage: bluebutton_sdk_flow.py http://127.0.0.1:PORT

The server must run with a short access-token lifetime (tests/bluebutton_sdk.rs starts it
with 4 seconds): the script sleeps past it and checks that the SDK refreshes by itself.

Steps, all through the SDK's own functions except the two HTML forms a person would fill in:
  1. BlueButton(...) for LOCAL, then base_url / auth_base_url / auth_token_url pointed at the
     server (the SDK computes the last two once, in set_configuration, from a fixed host).
  2. generate_auth_data + generate_authorize_url; the login and consent forms are posted with
     requests (one Session for the cookies); the code and state are read from the 303 Location.
  3. get_authorization_token (multipart code exchange, secret in the body).
  4. get_patient_data, get_coverage_data, get_profile_data, and every ExplanationOfBenefit
     page with get_explaination_of_benefit_data + get_pages (_count=5, several pages).
  5. Sleep past the access token's lifetime; the next SDK call must refresh (Basic auth,
     rotated refresh token) and succeed.
  6. The superseded refresh token must now be refused (rotation with reuse detection).

Prints a JSON summary on stdout; exits 1 with a message on stderr on any failure.
"""

import json
import sys
import time
import urllib.parse
from html.parser import HTMLParser

import requests

from cms_bluebutton import BlueButton
from cms_bluebutton.version import __version__ as SDK_VERSION

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret"
# A loopback redirect URI matches the registered http://127.0.0.1/callback on any port
# (RFC 8252 §7.3). Nothing listens there: the script reads the 303 Location instead.
CALLBACK_URL = "http://127.0.0.1:8765/callback"
USERNAME = "BBUser00001"
PASSWORD = "PW00001!"
PATIENT_ID = "M00001"
PAGE_SIZE = 5
HTTP_TIMEOUT = 60


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def describe(response):
    """The request and response, for failure messages."""
    body = response.text
    if len(body) > 1500:
        body = body[:1500] + "…"
    return "{} {} -> {} {}\n  response headers: {}\n  response body: {}".format(
        response.request.method,
        response.request.url,
        response.status_code,
        response.reason,
        dict(response.headers),
        body,
    )


def expect_status(response, status, what):
    check(
        response.status_code == status,
        "{}: expected HTTP {}, got:\n  {}".format(what, status, describe(response)),
    )


def expect_json(response, what):
    try:
        return response.json()
    except ValueError:
        raise Failure("{}: body is not JSON:\n  {}".format(what, describe(response)))


class FormParser(HTMLParser):
    """Collects every <form> with its action, method and <input>/<button> fields."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = {
                "action": attrs.get("action", ""),
                "method": attrs.get("method", "get").lower(),
                "inputs": [],
            }
            self.forms.append(self._form)
        elif tag in ("input", "button") and self._form is not None:
            kind = attrs.get("type", "submit" if tag == "button" else "text").lower()
            self._form["inputs"].append(
                {
                    "name": attrs.get("name"),
                    "type": kind,
                    "value": attrs.get("value", ""),
                    "checked": "checked" in attrs,
                }
            )

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def find_form(response, action_path, required_names, what):
    parser = FormParser()
    parser.feed(response.text)
    for form in parser.forms:
        action = urllib.parse.urljoin(response.url, form["action"])
        names = {i["name"] for i in form["inputs"] if i["name"]}
        if (
            urllib.parse.urlsplit(action).path == action_path
            and form["method"] == "post"
            and set(required_names) <= names
        ):
            return action, form
    raise Failure(
        "{}: no <form method=post action={}> with inputs {} in the page; forms found: {}\n  {}".format(
            what,
            action_path,
            sorted(required_names),
            [(f["action"], f["method"], [i["name"] for i in f["inputs"]]) for f in parser.forms],
            describe(response),
        )
    )


def hidden_fields(form):
    return {
        i["name"]: i["value"]
        for i in form["inputs"]
        if i["name"] and i["type"] == "hidden"
    }


def authorize(bb, auth_data):
    """Drives the authorize URL, the login form and the consent form like a browser would,
    and returns (code, state) from the final redirect without following it."""
    url = bb.generate_authorize_url(auth_data)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    check(
        urllib.parse.urlsplit(url).path == "/v2/o/authorize"
        and query.get("client_id") == [CLIENT_ID]
        and query.get("redirect_uri") == [CALLBACK_URL]
        and query.get("code_challenge_method") == ["S256"],
        "generate_authorize_url built an unexpected URL: {}".format(url),
    )

    browser = requests.Session()
    browser.headers["User-Agent"] = "carin-sandbox-sdk-test"

    page = browser.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT)
    expect_status(page, 200, "GET authorize URL (login page)")
    action, form = find_form(
        page, "/v2/o/authorize/login", ["request", "csrf", "username", "password"], "login page"
    )
    fields = hidden_fields(form)
    fields.update({"username": USERNAME, "password": PASSWORD})
    consent = browser.post(action, data=fields, allow_redirects=False, timeout=HTTP_TIMEOUT)
    expect_status(consent, 200, "POST login form (consent page)")

    action, form = find_form(
        consent, "/v2/o/authorize/consent", ["request", "csrf", "decision"], "consent page"
    )
    decisions = {i["value"] for i in form["inputs"] if i["name"] == "decision"}
    check(
        {"allow", "deny"} <= decisions,
        "consent page: expected decision buttons allow and deny, found {}".format(sorted(decisions)),
    )
    fields = hidden_fields(form)
    for i in form["inputs"]:
        if i["type"] == "checkbox" and i["checked"] and i["name"]:
            fields[i["name"]] = i["value"] or "on"
    fields["decision"] = "allow"
    redirect = browser.post(action, data=fields, allow_redirects=False, timeout=HTTP_TIMEOUT)
    expect_status(redirect, 303, "POST consent form (allow)")

    location = redirect.headers.get("Location", "")
    target = urllib.parse.urlsplit(location)
    check(
        "{}://{}{}".format(target.scheme, target.netloc, target.path) == CALLBACK_URL,
        "consent redirect goes to {!r}, not to the callback {}".format(location, CALLBACK_URL),
    )
    params = urllib.parse.parse_qs(target.query)
    check("error" not in params, "consent redirect carries an error: {}".format(location))
    code = params.get("code", [None])[0]
    state = params.get("state", [None])[0]
    check(code, "consent redirect has no code: {}".format(location))
    check(state == auth_data["state"], "consent redirect returned state {!r}, sent {!r}".format(
        state, auth_data["state"]))
    return code, state


def fetch(bb, getter, token, params, what):
    """One SDK FHIR call: returns (auth_token the SDK hands back, parsed JSON)."""
    result = getter({"auth_token": token, "params": dict(params)})
    response = result["response"]
    expect_status(response, 200, what)
    return result["auth_token"], expect_json(response, what)


def search_resources(bundle, resource_type, what):
    check(
        bundle.get("resourceType") == "Bundle" and bundle.get("type") == "searchset",
        "{}: expected a searchset Bundle, got resourceType={!r} type={!r}".format(
            what, bundle.get("resourceType"), bundle.get("type")),
    )
    return [
        e["resource"]
        for e in bundle.get("entry", [])
        if e.get("resource", {}).get("resourceType") == resource_type
    ]


def run(origin):
    started = time.monotonic()
    origin = origin.rstrip("/")
    bb = BlueButton(
        {
            "environment": "LOCAL",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "callback_url": CALLBACK_URL,
            "version": 2,
            "retry_settings": {"total": 0},
        }
    )
    # The SDK has no base-URL setting: LOCAL is http://localhost:8000, and the authorize and
    # token URLs are derived from it once, in set_configuration. Re-derive them the same way.
    bb.base_url = origin
    bb.auth_base_url = "{}/v{}/o/authorize".format(bb.base_url, bb.version)
    bb.auth_token_url = "{}/v{}/o/token/".format(bb.base_url, bb.version)

    # 1-2. Authorization request through the HTML login and consent pages.
    auth_data = bb.generate_auth_data()
    code, state = authorize(bb, auth_data)

    # 3. Code exchange with the SDK (multipart, client secret in the body).
    try:
        token = bb.get_authorization_token(auth_data, code, state)
    except requests.HTTPError as e:
        raise Failure("get_authorization_token (code exchange) failed:\n  {}".format(
            describe(e.response)))
    issued_at = time.monotonic()
    check(token.access_token, "token response has no access_token")
    check(token.refresh_token, "token response has no refresh_token (offline_access is granted "
          "by default when scope is absent)")
    check(isinstance(token.expires_in, int) and token.expires_in > 0,
          "token response expires_in is {!r}".format(token.expires_in))
    check(token.patient == PATIENT_ID, "token response patient is {!r}, expected {}".format(
        token.patient, PATIENT_ID))
    check(str(token.token_type).lower() == "bearer", "token_type is {!r}".format(token.token_type))
    first_access, first_refresh = token.access_token, token.refresh_token

    # 4. FHIR calls through the SDK, while the first access token is still valid.
    token, patients_bundle = fetch(bb, bb.get_patient_data, token, {}, "SDK get_patient_data")
    patients = search_resources(patients_bundle, "Patient", "Patient search")
    check([p.get("id") for p in patients] == [PATIENT_ID],
          "Patient search for {} returned patient ids {}, expected [{}]".format(
              USERNAME, [p.get("id") for p in patients], PATIENT_ID))

    token, coverage_bundle = fetch(bb, bb.get_coverage_data, token, {}, "SDK get_coverage_data")
    coverages = search_resources(coverage_bundle, "Coverage", "Coverage search")
    check(coverages, "Coverage search returned no Coverage")
    for c in coverages:
        beneficiary = c.get("beneficiary", {}).get("reference")
        check(beneficiary == "Patient/" + PATIENT_ID,
              "Coverage/{} has beneficiary {!r}".format(c.get("id"), beneficiary))

    token, userinfo = fetch(bb, bb.get_profile_data, token, {}, "SDK get_profile_data (userinfo)")
    check(isinstance(userinfo, dict), "userinfo is not a JSON object: {!r}".format(userinfo))

    eob_params = {"_count": PAGE_SIZE}
    eob_config = {"auth_token": token, "params": dict(eob_params)}
    first = bb.get_explaination_of_benefit_data(eob_config)
    expect_status(first["response"], 200, "SDK get_explaination_of_benefit_data")
    token = first["auth_token"]
    first_page = expect_json(first["response"], "EOB search")
    total = first_page.get("total")
    check(isinstance(total, int), "EOB searchset Bundle has no integer total: {!r}".format(total))
    check("link" in first_page, "EOB searchset Bundle has no link array")
    # get_pages re-sends config["params"] on every next URL (so _count appears twice there).
    eob_config["auth_token"] = token
    try:
        paged = bb.get_pages(first_page, eob_config)
    except (requests.HTTPError, KeyError, ValueError) as e:
        raise Failure("SDK get_pages failed: {!r}".format(e))
    token = paged["auth_token"]
    pages = paged["pages"]
    paging_seconds = time.monotonic() - issued_at
    eobs = []
    for n, page in enumerate(pages):
        found = search_resources(page, "ExplanationOfBenefit", "EOB page {}".format(n + 1))
        check(len(found) <= PAGE_SIZE, "EOB page {} has {} entries with _count={}".format(
            n + 1, len(found), PAGE_SIZE))
        check(page.get("total") == total, "EOB page {} says total {!r}, first page said {}".format(
            n + 1, page.get("total"), total))
        eobs.extend(found)
    ids = [e.get("id") for e in eobs]
    check(len(set(ids)) == len(ids), "EOB pages repeat resources: {}".format(
        sorted(i for i in set(ids) if ids.count(i) > 1)))
    check(len(eobs) == total, "fetched {} EOBs over {} pages, Bundle total is {}".format(
        len(eobs), len(pages), total))
    check(len(pages) > 1, "EOB search with _count={} returned a single page (total {}); "
          "the paging was not exercised".format(PAGE_SIZE, total))
    for e in eobs:
        ref = e.get("patient", {}).get("reference")
        check(ref == "Patient/" + PATIENT_ID,
              "ExplanationOfBenefit/{} has patient reference {!r}".format(e.get("id"), ref))
    check(token.access_token == first_access,
          "the SDK refreshed during the first phase ({:.1f} s after issue); the access token "
          "lifetime is too short for this test".format(paging_seconds))

    # 5. Let the access token expire, then make another SDK call: it must refresh first.
    wait = max(0.0, token.expires_at.timestamp() - time.time()) + 1.5
    time.sleep(wait)
    check(token.access_token_expired(), "the SDK does not consider the token expired after the wait")
    stale = token
    try:
        result = bb.get_patient_data({"auth_token": stale, "params": {}})
    except requests.HTTPError as e:
        raise Failure("the SDK's automatic refresh failed:\n  {}".format(describe(e.response)))
    expect_status(result["response"], 200, "SDK get_patient_data after the refresh")
    refreshed = result["auth_token"]
    check(refreshed is not stale, "the SDK made the call without refreshing the expired token")
    check(refreshed.access_token and refreshed.access_token != first_access,
          "the refresh returned the same access token")
    check(refreshed.refresh_token and refreshed.refresh_token != first_refresh,
          "the refresh returned the same refresh token (refresh tokens rotate)")
    check(not refreshed.access_token_expired(), "the refreshed token is already expired")
    again = search_resources(expect_json(result["response"], "Patient after refresh"),
                             "Patient", "Patient search after refresh")
    check([p.get("id") for p in again] == [PATIENT_ID],
          "Patient search after refresh returned {}".format([p.get("id") for p in again]))

    # The expired access token itself is refused (401 with WWW-Authenticate).
    old = requests.get(
        "{}/v2/fhir/Patient".format(origin),
        headers={"Authorization": "Bearer " + first_access},
        timeout=HTTP_TIMEOUT,
    )
    expect_status(old, 401, "FHIR GET with the expired access token")
    check("bearer" in old.headers.get("WWW-Authenticate", "").lower(),
          "401 for an expired token has no Bearer WWW-Authenticate header:\n  {}".format(
              describe(old)))

    # 6. Reusing the superseded refresh token is refused (and revokes the grant).
    reuse_status = None
    try:
        bb.refresh_auth_token(stale)
        raise Failure("the server accepted a refresh token that had already been rotated")
    except requests.HTTPError as e:
        reuse_status = e.response.status_code
        check(reuse_status == 400, "reusing a rotated refresh token: expected 400 invalid_grant, "
              "got:\n  {}".format(describe(e.response)))
        error = expect_json(e.response, "refresh-token reuse").get("error")
        check(error == "invalid_grant", "reusing a rotated refresh token gave error {!r}".format(error))
    revoked = bb.get_patient_data({"auth_token": refreshed, "params": {}})["response"]
    expect_status(revoked, 401, "FHIR GET after refresh-token reuse revoked the grant")

    return {
        "ok": True,
        "sdk": "cms-bluebutton-sdk " + SDK_VERSION,
        "origin": origin,
        "patient": PATIENT_ID,
        "coverages": len(coverages),
        "eob_total": total,
        "eobs": len(eobs),
        "pages": len(pages),
        "page_size": PAGE_SIZE,
        "expires_in": stale.expires_in,
        "waited_seconds": round(wait, 1),
        "refreshed": True,
        "refresh_token_rotated": True,
        "reused_refresh_token_status": reuse_status,
        "seconds": round(time.monotonic() - started, 1),
    }


def main():
    if len(sys.argv) != 2:
        print("usage: {} http://127.0.0.1:PORT".format(sys.argv[0]), file=sys.stderr)
        return 2
    try:
        summary = run(sys.argv[1])
    except Failure as e:
        print("FAIL: {}".format(e), file=sys.stderr)
        return 1
    except Exception as e:  # anything the SDK or requests raised
        import traceback

        traceback.print_exc()
        print("FAIL: unexpected {}: {}".format(type(e).__name__, e), file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
