"""infra/k8s: the broker users, topology, shovels and network policies match the code."""

from __future__ import annotations

import re
from typing import Any

from kela_side.settings import KelaSettings
from municipality_side.settings import MunicipalitySettings
from silta_messaging.topology import (
    COUNTY_EXCHANGE,
    DEAD_LETTER_EXCHANGE,
    KELA_BINDINGS,
    KELA_EXCHANGE,
    child_welfare_bindings,
    county_bindings,
    parking_queue_name,
)
from silta_platform.settings import ServiceSettings

from tests.unit.infra.kustomize_lite import Resource
from tests.unit.infra.manifests import OVERLAYS, load_broker_users, of_kind, one


def test_broker_permissions_are_those_of_broker_users(overlay: tuple[str, list[Resource]]) -> None:
    name, resources = overlay
    _, _, counties = OVERLAYS[name]
    kela, county = load_broker_users().grants("kela", "county", counties=counties)
    grant = kela if name == "kela" else county
    permission = one(resources, "Permission", "silta-api")["spec"]
    assert permission["userReference"] == {"name": "silta-api"}
    assert permission["permissions"] == {
        "configure": grant.configure, "write": grant.write, "read": grant.read
    }  # fmt: skip
    topic = {
        (t["spec"]["permissions"]["exchange"], t["spec"]["permissions"]["write"],
         t["spec"]["permissions"]["read"])
        for t in of_kind(resources, "TopicPermission")
        if t["spec"]["userReference"]["name"] == "silta-api"
    }  # fmt: skip
    assert topic == set(grant.topic)
    user = one(resources, "User", "silta-api")["spec"]
    assert user["importCredentialsSecret"] == {"name": "silta-amqp-credentials"}


def test_the_broker_is_a_quorum_cluster_with_the_services_topology(
    overlay: tuple[str, list[Resource]],
) -> None:
    _, resources = overlay
    cluster = one(resources, "RabbitmqCluster", "silta-rabbitmq")["spec"]
    assert cluster["replicas"] == 3
    assert "rabbitmq_shovel" in cluster["rabbitmq"]["additionalPlugins"]
    assert "cluster_partition_handling = pause_minority" in cluster["rabbitmq"]["additionalConfig"]
    assert one(resources, "Vhost", "silta")["spec"]["defaultQueueType"] == "quorum"
    exchanges = {(e["spec"]["name"], e["spec"]["type"], e["spec"]["durable"])
                 for e in of_kind(resources, "Exchange")}  # fmt: skip
    assert exchanges == {
        (KELA_EXCHANGE, "topic", True), (COUNTY_EXCHANGE, "topic", True),
        (DEAD_LETTER_EXCHANGE, "direct", True),
    }  # fmt: skip
    policy = one(resources, "Policy", "silta-delivery-limit")["spec"]
    limit = ServiceSettings.model_fields["delivery_limit"].default
    assert policy["definition"] == {
        "delivery-limit": limit, "dead-letter-exchange": DEAD_LETTER_EXCHANGE,
        "dead-letter-strategy": "at-least-once", "overflow": "reject-publish",
    }  # fmt: skip
    inbound = [
        KelaSettings.model_fields["queue_name"].default,
        MunicipalitySettings.model_fields["queue_name"].default,
        MunicipalitySettings.model_fields["child_welfare_queue_name"].default,
    ]
    others = [parking_queue_name(q) for q in inbound] + [
        q["spec"]["name"] for q in of_kind(resources, "Queue")
    ]
    assert all(re.search(policy["pattern"], q) for q in inbound)
    assert not any(re.search(policy["pattern"], q) for q in others)
    database = one(resources, "Cluster", "silta-db")["spec"]
    assert database["instances"] == 3


def test_shovels_carry_what_the_peer_reads_on_confirm(overlay: tuple[str, list[Resource]]) -> None:
    name, resources = overlay
    [shovel] = of_kind(resources, "Shovel")
    spec = shovel["spec"]
    assert spec["ackMode"] == "on-confirm"
    queue = one(resources, "Queue", spec["srcQueue"].replace(".", "-"))["spec"]
    assert (queue["name"], queue["type"], queue["durable"]) == (spec["srcQueue"], "quorum", True)
    bindings = {
        (b["spec"]["source"], b["spec"]["routingKey"])
        for b in of_kind(resources, "Binding")
        if b["spec"]["destination"] == spec["srcQueue"]
    }
    if name == "kela":
        keys = county_bindings(["11"]) + child_welfare_bindings(["11"])
        assert bindings == {(KELA_EXCHANGE, key) for key in keys}
        assert spec["destExchange"] == KELA_EXCHANGE
    else:
        assert bindings == {(COUNTY_EXCHANGE, key) for key in KELA_BINDINGS}
        assert spec["destExchange"] == COUNTY_EXCHANGE
    # The peer's shovel may only write to the exchange this side reads from the peer.
    inbound_user = one(
        resources, "Permission", f"silta-shovel-from-{'county-11' if name == 'kela' else 'kela'}"
    )
    writes = inbound_user["spec"]["permissions"]
    assert writes["configure"] == writes["read"] == "^$"
    expected = COUNTY_EXCHANGE if name == "kela" else KELA_EXCHANGE
    assert re.fullmatch(writes["write"], expected)
    assert not re.fullmatch(writes["write"], DEAD_LETTER_EXCHANGE)


def ingress_sources(policy: Resource) -> list[dict[str, Any]]:
    return [source for rule in policy["spec"].get("ingress", []) for source in rule.get("from", [])]


def test_network_policies_let_only_the_api_reach_the_database(
    overlay: tuple[str, list[Resource]],
) -> None:
    _, resources = overlay
    policies = of_kind(resources, "NetworkPolicy")
    deny = one(resources, "NetworkPolicy", "default-deny-ingress")["spec"]
    assert deny["podSelector"] == {}
    assert "ingress" not in deny
    api = {"app.kubernetes.io/name": "silta-api"}
    on_db = [
        p
        for p in policies
        if p["spec"]["podSelector"].get("matchLabels", {}).get("cnpg.io/cluster")
    ]
    pods = [
        s["podSelector"]["matchLabels"]
        for p in on_db
        for s in ingress_sources(p)
        if "podSelector" in s
    ]
    assert api in pods
    assert all(p in (api, {"cnpg.io/cluster": "silta-db"}) for p in pods)
    for p in on_db:  # the operator's namespace only on the status port, never 5432
        for rule in p["spec"]["ingress"]:
            if any("namespaceSelector" in s or "ipBlock" in s for s in rule["from"]):
                assert [port["port"] for port in rule["ports"]] == [8000]
    broker = {"app.kubernetes.io/name": "silta-rabbitmq"}
    on_broker = [p for p in policies if p["spec"]["podSelector"].get("matchLabels") == broker]
    assert api in [
        s.get("podSelector", {}).get("matchLabels") for p in on_broker for s in ingress_sources(p)
    ]
    on_api = [p for p in policies if p["spec"]["podSelector"].get("matchLabels") == api]
    # the ingress controller on the HTTP port; Prometheus on the metrics port, nothing else
    assert sorted(
        (
            s["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
            [port["port"] for port in rule["ports"]],
        )
        for p in on_api
        for rule in p["spec"]["ingress"]
        for s in rule["from"]
    ) == [("ingress-nginx", ["http"]), ("monitoring", ["metrics"])]
