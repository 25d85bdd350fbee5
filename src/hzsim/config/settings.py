"""Global settings: general (forced logoff, timeouts, messages), security, feature, client and
agent-restriction settings, read and updated through every version of the settings APIs.

Each section is one canonical document (kind `settings`); versions project it.
"""

from __future__ import annotations

from typing import Any

from hzsim.errors import BadRequest
from hzsim.operations import OperationRequest, operation
from hzsim.store import Transaction

KIND = "settings"
GENERAL, SECURITY, FEATURE, CLIENT, AGENT_RESTRICTION = "general", "security", "feature", "client", "agent_restriction"

DEFAULT_FORCED_LOGOFF_MESSAGE = ("Your desktop is scheduled for an important update and will shut down in 5 minutes. "
                                 "Please save any unsaved work now")

DEFAULTS: dict[str, dict[str, Any]] = {
    GENERAL: {
        "client_max_session_timeout_policy": "TIMEOUT_AFTER", "client_max_session_timeout_minutes": 600,
        "client_idle_session_timeout_policy": "NEVER", "client_session_timeout_minutes": 1200,
        "console_session_timeout_minutes": 30, "api_session_timeout_minutes": 30,
        "enable_automatic_status_updates": False, "display_pre_login_message": False, "pre_login_message": "",
        "display_pre_login_admin_banner": False, "display_warning_before_forced_logoff": True,
        "forced_logoff_timeout_minutes": 5, "forced_logoff_message": DEFAULT_FORCED_LOGOFF_MESSAGE,
        "enable_server_in_single_user_mode": False, "store_cal_on_client": False,
        "store_cal_on_connection_server": False, "hide_server_information_in_client": False,
        "hide_domain_list_in_client": True, "enable_sending_domain_list": False,
        "enable_credential_cleanup_for_htmlaccess": False, "enable_multi_factor_re_authentication": False,
        "block_restricted_clients": False, "restricted_client_data": [], "restricted_client_data_v2": [],
        "restricted_client_message": "", "machine_sso_timeout_policy": "DISABLED_AFTER",
        "machine_sso_timeout_minutes": 15, "application_sso_timeout_policy": "ENABLED",
    },
    SECURITY: {"message_security_mode": "ENHANCED", "message_security_status": "ENHANCED",
               "re_auth_secure_tunnel_after_interruption": True, "data_recovery_password_configured": False},
    FEATURE: {"cloud_managed": False, "enable_helpdesk": True, "enable_image_management": True},
    CLIENT: {"client_policies": []},
    AGENT_RESTRICTION: {"restricted_agent_data": [], "restricted_agent_message": ""},
}
SECTIONS = {"general_settings": GENERAL, "security_settings": SECURITY, "feature_settings": FEATURE,
            "client_settings": CLIENT, "agent_restriction_settings": AGENT_RESTRICTION}
# Fields of update specs that are written elsewhere than under their own name.
_WRITE_ONLY = {"data_recovery_password_hash", "data_recovery_password_hint"}


def create_defaults(tx: Transaction) -> None:
    for section, values in DEFAULTS.items():
        tx.insert(KIND, section, {"id": section, **values})


def read(tx: Transaction, section: str) -> dict[str, Any]:
    doc = tx.get(KIND, section)
    if doc is None:  # a store from before the section existed
        doc = {"id": section, **DEFAULTS[section]}
        tx.insert(KIND, section, doc)
        doc["_version"] = 1
    return doc


def general(tx: Transaction) -> dict[str, Any]:
    """The general settings, as other modules read them (forced logoff timeout and message)."""
    return read(tx, GENERAL)


def _check_general(doc: dict[str, Any]) -> None:
    for policy, minutes in (("client_max_session_timeout_policy", "client_max_session_timeout_minutes"),
                            ("client_idle_session_timeout_policy", "client_idle_session_timeout_minutes"),
                            ("machine_sso_timeout_policy", "machine_sso_timeout_minutes"),
                            ("application_sso_timeout_policy", "application_sso_timeout_minutes")):
        if doc.get(policy) in ("TIMEOUT_AFTER", "DISABLED_AFTER") and doc.get(minutes) is None:
            raise BadRequest("config.settings.invalid", f"Field '{minutes}' is required when '{policy}' is "
                                                        f"{doc[policy]}.")
    if doc.get("display_warning_before_forced_logoff") and doc.get("forced_logoff_timeout_minutes") is None:
        raise BadRequest("config.settings.invalid", "Field 'forced_logoff_timeout_minutes' is required when "
                                                    "'display_warning_before_forced_logoff' is true.")
    if doc.get("display_pre_login_message") and not doc.get("pre_login_message"):
        raise BadRequest("config.settings.invalid", "Field 'pre_login_message' is required when "
                                                    "'display_pre_login_message' is true.")


def update(tx: Transaction, section: str, spec: dict[str, Any]) -> None:
    doc = read(tx, section)
    doc.update({k: v for k, v in spec.items() if k not in _WRITE_ONLY})
    if section == SECURITY and "data_recovery_password_hash" in spec:
        doc["data_recovery_password_configured"] = True
    if section == GENERAL:
        _check_general(doc)
    tx.update(KIND, section, doc)


@operation("getSettings", "getSettingsV2", "getSettingsV3", "getSettingsV4", "getSettingsV5", "getSettingsV6")
def get_settings(request: OperationRequest) -> dict[str, Any]:
    return {name: read(request.tx, section) for name, section in SECTIONS.items()}


@operation("updateSettings", "updateSettingsV2", "updateSettingsV3", "updateSettingsV4", "updateSettingsV5",
           "updateSettingsV6")
def update_settings(request: OperationRequest) -> None:
    for name, section in SECTIONS.items():
        if request.body.get(name) is not None:
            update(request.tx, section, request.body[name])


def _section_operations(section: str, getters: tuple[str, ...], updaters: tuple[str, ...]) -> None:
    @operation(*getters)
    def get_section(request: OperationRequest) -> dict[str, Any]:
        return read(request.tx, section)

    @operation(*updaters)
    def update_section(request: OperationRequest) -> None:
        update(request.tx, section, request.body)


_section_operations(GENERAL, ("getGeneralSettings", "getGeneralSettingsV2", "getGeneralSettingsV3",
                              "getGeneralSettingsV4", "getGeneralSettingsV5"),
                    ("updateGeneralSettings", "updateGeneralSettingsV2", "updateGeneralSettingsV3",
                     "updateGeneralSettingsV4", "updateGeneralSettingsV5"))
_section_operations(SECURITY, ("getSecuritySettings", "getSecuritySettingsV2", "getSecuritySettingsV3",
                               "getSecuritySettingsV4", "getSecuritySettingsV5"),
                    ("updateSecuritySettings", "updateSecuritySettingsV3", "updateSecuritySettingsV4",
                     "updateSecuritySettingsV5"))
_section_operations(FEATURE, ("getFeatureSettings", "getFeatureSettingsV2"),
                    ("updateFeatureSettings", "updateFeatureSettingsV2"))
_section_operations(CLIENT, ("getClientSettings",), ("updateClientSettings",))
_section_operations(AGENT_RESTRICTION, ("getAgentRestrictionSettings",), ("updateAgentRestrictionSettings",))
