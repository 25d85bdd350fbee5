"""Auth operations: loginUser, refreshAccessToken, logoutUser."""

from __future__ import annotations

import time

from sqlalchemy import insert, select

from hzsim.auth.principals import authenticate
from hzsim.errors import HorizonError
from hzsim.operations import OperationRequest, operation
from hzsim.store.tables import revoked_sessions


@operation("loginUser")
def login_user(request: OperationRequest) -> dict[str, str]:
    body = request.body
    password = body["password"]
    password = "".join(password) if isinstance(password, list) else password
    user = authenticate(request.tx, body["domain"], body["username"], password,
                        request.sim.settings.admin_password)
    return request.sim.tokens.issue(user)


@operation("refreshAccessToken")
def refresh_access_token(request: OperationRequest) -> dict[str, str]:
    return {"access_token": request.sim.tokens.refresh(request.body["refresh_token"])}


@operation("logoutUser", empty_body=True, validate_body=False)
def logout_user(request: OperationRequest) -> None:
    """Ends the refresh token's session; a missing or unusable token leaves nothing to end."""
    token = (request.body or {}).get("refresh_token") if isinstance(request.body, dict) else None
    if not isinstance(token, str):
        return None
    try:
        claims = request.sim.tokens.verify(token, "refresh")
    except HorizonError:
        return None
    tx = request.tx
    if tx.connection.execute(select(revoked_sessions.c.session_id)
                             .where(revoked_sessions.c.session_id == claims["sid"])).first() is None:
        tx.connection.execute(insert(revoked_sessions).values(session_id=claims["sid"],
                                                              expires_at=int(claims["exp"])))
    request.sim.tokens.revoke(claims["sid"])
    return None


def load_revoked(tx) -> set[str]:
    now = int(time.time())
    rows = tx.connection.execute(select(revoked_sessions.c.session_id).where(revoked_sessions.c.expires_at >= now))
    return {row.session_id for row in rows}
