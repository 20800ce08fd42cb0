"""A small OpenID Connect provider on 127.0.0.1 for the staff sign-in tests.

No maintained PyPI provider fits a test run (oidc-provider is a Django app of its own, last
released 2022; pyop needs a storage and a web framework around it), so this stand-in speaks
the parts of the protocol a relying party meets, each checked as a real provider would:

- discovery: /<realm>/.well-known/openid-configuration (issuer http://127.0.0.1:<port>/<realm>)
- authorization: GET /<realm>/authorize, code flow only, PKCE required (S256), the redirect
  URI must be one registered for the client; the person signing in is `provider.person`
  (a real provider would show its login page; the browser test sees a "Sign in" button page
  when `provider.interactive` is set)
- token: POST /<realm>/token, client_secret_basic or client_secret_post; the code is bound to
  the client, the redirect URI and the code challenge, and works once
- JWKS: /<realm>/jwks, with RS256-signed ID tokens

`provider.tamper` changes the next ID token (wrong aud, iss, nonce, an expired token, another
key) for the refusal tests.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey


@dataclass
class Client:
    secret: str
    redirect_uris: tuple[str, ...]


@dataclass
class Grant:
    realm: str
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    claims: dict[str, Any]


@dataclass
class Provider:
    host: str = "127.0.0.1"
    port: int = 0
    clients: dict[tuple[str, str], Client] = field(default_factory=dict)
    person: dict[str, Any] = field(default_factory=dict)
    tamper: dict[str, Any] = field(default_factory=dict)
    interactive: bool = False
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    grants: dict[str, Grant] = field(default_factory=dict)
    token_requests: int = 0

    def issuer(self, realm: str) -> str:
        return f"http://{self.host}:{self.port}/{realm}"

    def register(self, realm: str, client_id: str, secret: str, redirect_uri: str) -> None:
        self.clients[(realm, client_id)] = Client(secret, (redirect_uri,))

    # --- protocol ---------------------------------------------------------------------

    def discovery(self, realm: str) -> dict[str, Any]:
        issuer = self.issuer(realm)
        return {
            "issuer": self.tamper.get("discovery_issuer", issuer),
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "email", "profile"],
        }

    def authorize(self, realm: str, query: dict[str, str]) -> tuple[int, dict, str]:
        client = self.clients.get((realm, query.get("client_id", "")))
        redirect_uri = query.get("redirect_uri", "")
        if client is None or redirect_uri not in client.redirect_uris:
            return 400, {}, "unknown client or redirect_uri"
        if query.get("response_type") != "code" or "openid" not in query.get("scope", "").split():
            return 400, {}, "only the code flow with openid"
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return 400, {}, "PKCE with S256 is required"
        code = secrets.token_urlsafe(24)
        self.grants[code] = Grant(
            realm=realm,
            client_id=query["client_id"],
            redirect_uri=redirect_uri,
            challenge=query["code_challenge"],
            nonce=query.get("nonce"),
            claims=dict(self.person),
        )
        target = redirect_uri + "?" + urlencode({"code": code, "state": query.get("state", "")})
        if self.interactive:
            page = (
                "<!doctype html><html lang='en'><head><title>Test identity provider</title>"
                "</head><body><main><h1>Test identity provider</h1>"
                f"<p>Signing in as {html.escape(str(self.person.get('email')))}</p>"
                f"<p><a id='approve' href='{html.escape(target)}'>Sign in</a></p>"
                "</main></body></html>"
            )
            return 200, {"Content-Type": "text/html; charset=utf-8"}, page
        return 302, {"Location": target}, ""

    def token(self, realm: str, form: dict[str, str], authorization: str | None):
        self.token_requests += 1
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if authorization and authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, secret = decoded.partition(":")
            from urllib.parse import unquote_plus

            client_id, secret = unquote_plus(client_id), unquote_plus(secret)
        client = self.clients.get((realm, client_id))
        if client is None or not secrets.compare_digest(client.secret, secret):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        grant = self.grants.pop(form.get("code", ""), None)
        if grant is None or grant.realm != realm or grant.client_id != client_id:
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        verifier = form.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if not verifier or challenge != grant.challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification"}
        now = int(time.time())
        claims = {
            "iss": self.issuer(realm),
            "aud": client_id,
            "iat": now,
            "exp": now + 300,
            **grant.claims,
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        tamper, self.tamper = self.tamper, {}
        for name in ("iss", "aud", "nonce", "exp"):
            if name in tamper:
                claims[name] = tamper[name]
        key = tamper.get("key", self.key)
        id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
        return 200, {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }

    def jwks(self) -> dict[str, Any]:
        return KeySet([self.key]).as_dict(private=False)

    # --- server -----------------------------------------------------------------------

    def start(self) -> Provider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _send(self, status: int, headers: dict, body: str | dict) -> None:
                data = json.dumps(body) if isinstance(body, dict) else body
                self.send_response(status)
                if isinstance(body, dict):
                    self.send_header("Content-Type", "application/json")
                for name, value in headers.items():
                    self.send_header(name, value)
                raw = data.encode()
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                realm, _, rest = parts.path.lstrip("/").partition("/")
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if rest == ".well-known/openid-configuration":
                    self._send(200, {}, provider.discovery(realm))
                elif rest == "jwks":
                    self._send(200, {}, provider.jwks())
                elif rest == "authorize":
                    status, headers, body = provider.authorize(realm, query)
                    self._send(status, headers, body)
                else:
                    self._send(404, {}, {"error": "not_found"})

            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                realm, _, rest = parts.path.lstrip("/").partition("/")
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if rest == "token":
                    status, body = provider.token(realm, form, self.headers.get("Authorization"))
                    self._send(status, {"Cache-Control": "no-store"}, body)
                else:
                    self._send(404, {}, {"error": "not_found"})

        self.server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
