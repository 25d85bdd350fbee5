"""Reads of the simulated Active Directory: domains, containers, users and groups."""

from __future__ import annotations

from typing import Any

from hzsim.errors import NotFound
from hzsim.operations import OperationRequest, Page, operation
from hzsim.resources import page_of
from hzsim.world.active_directory import AD_CONTAINER, AD_DOMAIN, AD_USER, IC_DOMAIN_ACCOUNT


@operation("listADDomains", "listADDomainsV2", "listADDomainsV3")
def list_ad_domains(request: OperationRequest) -> Page:
    domains = request.tx.list(AD_DOMAIN)[0]
    for domain in domains:
        domain["ad_domain_advanced_settings"] = {"ad_domain_auto_discovery": True, "port": 389,
                                                 "ad_domain_context": ",".join(
                                                     f"DC={p}" for p in domain["dns_name"].split("."))}
    return page_of(domains)


def _domain(request: OperationRequest) -> dict[str, Any]:
    domain = request.tx.get(AD_DOMAIN, request.path["id"])
    if domain is None:
        raise NotFound("external.ad.domain.not.found", f"AD domain with id {request.path['id']} not found.")
    return domain


@operation("listADContainers")
def list_ad_containers(request: OperationRequest) -> Page:
    domain = _domain(request)
    containers = request.tx.list(AD_CONTAINER, where={"domain_id": domain["id"]})[0]
    rdn = request.query.get("rdn")
    name = request.query.get("container_name")
    if rdn:
        # Below `rdn`: direct children only, or the whole subtree with sub_tree_search.
        suffix = "," + rdn.lower()
        containers = [c for c in containers if c["rdn"].lower().endswith(suffix) and (
            request.query.get("sub_tree_search") or "," not in c["rdn"][: -len(suffix)])]
    if name:
        containers = [c for c in containers if name.lower() in c["rdn"].split(",")[0].split("=", 1)[-1].lower()]
    return page_of(containers)


@operation("getDefaultADContainer")
def get_default_ad_container(request: OperationRequest) -> dict[str, Any]:
    _domain(request)
    return {"rdn": "CN=Computers"}


@operation("getADContainer")
def get_ad_container(request: OperationRequest) -> dict[str, Any]:
    domain = _domain(request)
    for container in request.tx.list(AD_CONTAINER, where={"domain_id": domain["id"]})[0]:
        if container["rdn"].lower() == request.path["rdn"].lower():
            return container
    raise NotFound("external.ad.container.not.found", f"AD container {request.path['rdn']} not found.")


@operation("listADUserOrGroupSummary")
def list_ad_users_or_groups(request: OperationRequest) -> Page:
    where = {"group": True} if request.query.get("group_only") else None
    return Page(*request.tx.list(AD_USER, request.list_query, where=where))


@operation("getADUserOrGroupInfo", "getADUserOrGroupInfoV2")
def get_ad_user_or_group(request: OperationRequest) -> dict[str, Any]:
    principal = request.tx.get(AD_USER, request.path["id"])
    if principal is None:
        raise NotFound("external.ad.user.or.group.not.found",
                       f"AD user or group with id {request.path['id']} not found.")
    out = {**principal, "group_membership_ids": principal.get("group_ids", [])}
    out["group_membership_guids"] = [g["guid"] for g in (request.tx.get(AD_USER, i) for i in out["group_membership_ids"])
                                     if g]
    if principal.get("group"):
        members = [request.tx.get(AD_USER, i) for i in principal.get("member_ids", [])]
        out["user_count"] = sum(1 for m in members if m and not m["group"])
        out["sub_group_count"] = sum(1 for m in members if m and m["group"])
    return out


@operation("listICDomainAccounts")
def list_ic_domain_accounts(request: OperationRequest) -> Page:
    return page_of(request.tx.list(IC_DOMAIN_ACCOUNT)[0])


@operation("getICDomainAccount")
def get_ic_domain_account(request: OperationRequest) -> dict[str, Any]:
    account = request.tx.get(IC_DOMAIN_ACCOUNT, request.path["id"])
    if account is None:
        raise NotFound("config.ic.domain.account.not.found",
                       f"Instant clone domain account with id {request.path['id']} not found.")
    return account
