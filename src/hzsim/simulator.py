"""One simulator instance: its store, clock, scheduler, tokens and contract machinery."""

from __future__ import annotations

import threading
from typing import Any

from hzsim.auth.operations import load_revoked
from hzsim.auth.principals import AUTH_KINDS, Caller, privileges_of
from hzsim.auth.tokens import TokenService, load_signing_key
from hzsim.contract import load_contract
from hzsim.contract.projection import Projections
from hzsim.contract.validation import SchemaValidators
from hzsim.engine.clock import Clock, ClockSetting
from hzsim.engine.jobs import CLOCK_META_KEY, Scheduler
from hzsim.errors import Unauthorized
from hzsim.settings import Settings
from hzsim.store import Store
from hzsim.world import scenarios

SCENARIO_META_KEY = "scenario"


class Simulator:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.contract = load_contract()
        self.validators = SchemaValidators(self.contract)
        self.projections = Projections(self.contract)
        self.store = Store(settings.database_url())
        self.store.migrate()
        with self.store.transaction() as tx:
            saved_clock = tx.get_meta(CLOCK_META_KEY)
            loaded = tx.get_meta(SCENARIO_META_KEY)
            revoked = load_revoked(tx)
        setting = ClockSetting.parse(settings.clock) if settings.clock else None
        self.clock = Clock.restore(saved_clock, setting)
        self.scheduler = Scheduler(self.store, self.clock)
        self.tokens = TokenService(load_signing_key(settings.data_dir), settings.access_token_ttl,
                                   settings.refresh_token_ttl, revoked)
        self._callers: dict[str, tuple[int, Caller]] = {}
        self._callers_lock = threading.Lock()
        self._access_groups: tuple[int, frozenset[str]] | None = None
        if loaded is None:
            self.reset(settings.scenario)
        else:
            self.scheduler.save_clock()

    def reset(self, scenario: str) -> None:
        """Wipe all state and load a scenario (a built-in name or a file path).

        The scenario is read and checked before anything is wiped, so a bad one leaves
        the running state untouched.
        """
        plan = scenarios.load(scenario)
        with self.store.transaction() as tx:
            self.store.wipe(tx)
            scenarios.apply(plan, tx, self)
            tx.set_meta(SCENARIO_META_KEY, plan.name)
            tx.set_meta(CLOCK_META_KEY, self.clock.state())

    def resolve_caller(self, claims: dict[str, Any]) -> Caller:
        """The caller behind a verified access token, cached until an auth document changes."""
        generation = sum(self.store.generations.get(kind, 0) for kind in AUTH_KINDS)
        user_id = claims["sub"]
        cached = self._callers.get(user_id)
        if cached is None or cached[0] != generation:
            with self.store.transaction(write=False) as tx:
                user = tx.get("ad_user", user_id)
                privileges = privileges_of(tx, user) if user else None
            if user is None:
                raise Unauthorized("common.token.invalid", "The user of this token no longer exists.")
            cached = (generation, Caller(user_id, user["domain"], user["login_name"], claims["sid"], privileges))
            with self._callers_lock:
                self._callers[user_id] = cached
        caller = cached[1]
        if caller.session_id != claims["sid"]:
            caller = Caller(caller.user_id, caller.domain, caller.username, claims["sid"], caller.privileges)
        return caller

    def access_group_ids(self) -> frozenset[str]:
        """Every local access group's id, cached until an access group changes."""
        generation = self.store.generations.get("local_access_group", 0)
        if self._access_groups is None or self._access_groups[0] != generation:
            with self.store.transaction(write=False) as tx:
                ids = frozenset(group["id"] for group in tx.list("local_access_group")[0])
            self._access_groups = (generation, ids)
        return self._access_groups[1]

    def close(self) -> None:
        self.store.dispose()
