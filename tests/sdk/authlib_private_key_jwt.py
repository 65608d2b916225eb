"""Authlib (PyPI) drives SMART Backend Services against the sandbox with private_key_jwt.

Usage: authlib_private_key_jwt.py ORIGIN CLIENT_ID KEY_PEM KID ALG
Prints one JSON summary line last; exits non-zero on any failure.
"""
import json
import sys
import time

from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT

origin, client_id, key_path, kid, alg = sys.argv[1:6]
token_url = origin + "/v2/o/token"
with open(key_path) as f:
    private_key = f.read()


def session(lifetime):
    auth = PrivateKeyJWT(
        token_url,
        # Authlib's default lifetime is an hour; SMART allows five minutes at most.
        claims={"exp": int(time.time()) + lifetime},
        headers={"kid": kid, "typ": "JWT"},
        alg=alg,
    )
    return OAuth2Session(
        client_id,
        private_key,
        token_endpoint_auth_method=auth,
        scope="system/*.read",
    )


summary = {"ok": False}

# Authlib's one-hour default is refused: the server checks exp.
try:
    session(3600).fetch_token(token_url, grant_type="client_credentials")
    summary["long_lived_refused"] = False
except Exception as e:  # authlib raises OAuthError with the server's error code
    summary["long_lived_refused"] = "invalid_client" in str(e)
    print("one-hour assertion refused:", e)

s = session(240)
token = s.fetch_token(token_url, grant_type="client_credentials")
print("token:", {k: v for k, v in token.items() if k != "access_token"})
summary["scope"] = token.get("scope")
summary["expires_in"] = token.get("expires_in")
summary["refresh_token"] = "refresh_token" in token

patients = s.get(origin + "/v2/fhir/Patient?_count=3", headers={"Accept": "application/fhir+json"})
patients.raise_for_status()
summary["patients_total"] = patients.json()["total"]
ids = [e["resource"]["id"] for e in patients.json().get("entry", [])]
summary["patients_seen"] = len(ids)

eobs = s.get(origin + "/v2/fhir/ExplanationOfBenefit?_count=1&patient=" + ids[-1])
eobs.raise_for_status()
summary["eobs_of_last"] = eobs.json()["total"]

summary["ok"] = True
print(json.dumps(summary))
