"""Access and refresh tokens: HS256 JWTs signed with a key kept in the data directory.

Token lifetimes run on the wall clock, not the simulator's: a test that fast-forwards a
day of simulated time must not log itself out.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import jwt

from hzsim.errors import Unauthorized

KEY_FILE = "jwt-signing.key"
ISSUER = "hzsim"
VERIFIED_CACHE_SIZE = 4096


def load_signing_key(data_dir: Path | None) -> bytes:
    """The per-data-directory signing key, created on first use; in memory without a directory."""
    if data_dir is None:
        return secrets.token_bytes(32)
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


class TokenService:
    def __init__(self, key: bytes, access_ttl: int, refresh_ttl: int, revoked: set[str] | None = None) -> None:
        self._key = key
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self._revoked = set(revoked or ())
        self._lock = threading.Lock()
        self._verified: dict[str, dict[str, Any]] = {}

    def _encode(self, claims: dict[str, Any], ttl: int) -> str:
        now = int(time.time())
        return jwt.encode({**claims, "iss": ISSUER, "iat": now, "exp": now + ttl, "jti": uuid.uuid4().hex},
                          self._key, algorithm="HS256")

    def issue(self, user: dict[str, Any]) -> dict[str, str]:
        session_id = uuid.uuid4().hex
        claims = {"sub": user["id"], "domain": user["domain"], "username": user["login_name"], "sid": session_id}
        return {
            "access_token": self._encode({**claims, "typ": "access"}, self.access_ttl),
            "refresh_token": self._encode({**claims, "typ": "refresh"}, self.refresh_ttl),
        }

    def refresh(self, refresh_token: str) -> str:
        claims = self.verify(refresh_token, "refresh")
        kept = {key: claims[key] for key in ("sub", "domain", "username", "sid")}
        return self._encode({**kept, "typ": "access"}, self.access_ttl)

    def verify(self, token: str, kind: str) -> dict[str, Any]:
        # A signature checked once stays checked: verified tokens are remembered (bounded),
        # while expiry and revocation are checked on every use.
        cached = self._verified.get(token)
        if cached is not None:
            if cached["exp"] <= time.time():
                raise Unauthorized("common.token.expired", f"The {kind} token has expired.")
            return self._check(cached, kind)
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"], issuer=ISSUER,
                                options={"require": ["exp", "sub", "sid", "typ"]})
        except jwt.ExpiredSignatureError:
            raise Unauthorized("common.token.expired", f"The {kind} token has expired.") from None
        except jwt.InvalidTokenError:
            raise Unauthorized("common.token.invalid", f"The {kind} token is not valid.") from None
        with self._lock:
            if len(self._verified) >= VERIFIED_CACHE_SIZE:
                self._verified.pop(next(iter(self._verified)))
            self._verified[token] = claims
        return self._check(claims, kind)

    def _check(self, claims: dict[str, Any], kind: str) -> dict[str, Any]:
        if claims.get("typ") != kind:
            raise Unauthorized("common.token.invalid", f"The token is not an {kind} token."
                               if kind == "access" else f"The token is not a {kind} token.")
        if claims["sid"] in self._revoked:
            raise Unauthorized("common.token.revoked", "The session of this token has been logged out.")
        return claims

    def revoke(self, session_id: str) -> None:
        with self._lock:
            self._revoked.add(session_id)
