"""deploy/kubernetes: every manifest validates strictly against the oldest and the newest Kubernetes
kubernetes-validate knows (1.25, 1.37), and agrees with the code: probe paths the app serves, the
port and user the image uses, setting names the gateway reads, a grace period longer than the
drain. A renamed setting, route or port fails here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from gql.server.app import create_app
from gql.server.readiness import PROBE_SECONDS
from gql.server.settings import GatewaySettings
from gql.server.settings_reference import reference_table
from tests.conftest import ROOT

FOLDER = ROOT / "deploy" / "kubernetes"
VERSIONS = ["1.25.0", "1.37.0"]


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _resources() -> dict[str, dict[str, Any]]:
    """Every resource the kustomization applies, by kind/name."""
    kustomization = _documents(FOLDER / "kustomization.yaml")[0]
    found = {}
    for name in kustomization["resources"]:
        for document in _documents(FOLDER / name):
            found[f"{document['kind']}/{document['metadata']['name']}"] = document
    return found


def test_the_kustomization_applies_every_manifest_in_the_folder() -> None:
    listed = set(_documents(FOLDER / "kustomization.yaml")[0]["resources"])
    assert listed == {p.name for p in FOLDER.glob("*.yaml")} - {"kustomization.yaml"}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "path", sorted(p.name for p in FOLDER.glob("*.yaml") if p.name != "kustomization.yaml")
)
def test_every_manifest_validates_strictly(path: str, version: str) -> None:
    for document in _documents(FOLDER / path):
        kubernetes_validate.validate(document, version, strict=True)


def _gateway() -> dict[str, Any]:
    deployment = _resources()["Deployment/flashback-gql"]
    container: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]
    return {"deployment": deployment, "container": container, "pod": deployment["spec"]["template"]["spec"]}


def test_probes_go_to_the_paths_the_app_serves_on_the_port_the_image_listens_on() -> None:
    gateway = _gateway()
    container = gateway["container"]
    routes = {getattr(route, "path", None) for route in create_app(GatewaySettings()).routes}
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz" in routes
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz" in routes
    # /readyz may itself wait on the upstream for PROBE_SECONDS: the kubelet must wait longer.
    assert container["readinessProbe"]["timeoutSeconds"] > PROBE_SECONDS
    port = container["ports"][0]["containerPort"]
    config = _resources()["ConfigMap/flashback-gql"]["data"]
    containerfile = (ROOT / "Containerfile").read_text()
    assert port == int(config["FLASHBACK_GQL_PORT"]) == GatewaySettings().port
    assert f"EXPOSE {port}" in containerfile and f"FLASHBACK_GQL_PORT={port}" in containerfile


def test_every_setting_named_is_one_the_gateway_reads_and_documents() -> None:
    known = set(re.findall(r"\| `(FLASHBACK_[A-Z_]+)` \|", reference_table()))
    documented = (ROOT / "docs" / "configuration.md").read_text()
    resources = _resources()
    named = set(resources["ConfigMap/flashback-gql"]["data"]) | set(
        resources["Secret/flashback-gql"]["stringData"]
    )
    assert named <= known, named - known
    assert all(f"`{name}`" in documented for name in named)
    secrets = {"FLASHBACK_API_TOKEN", "FLASHBACK_CACHE_SECRET"}
    assert secrets <= set(resources["Secret/flashback-gql"]["stringData"])
    assert not secrets & set(resources["ConfigMap/flashback-gql"]["data"]), "credentials belong in the Secret"


def test_the_grace_period_outlasts_the_pre_stop_delay_and_the_drain() -> None:
    gateway = _gateway()
    config = _resources()["ConfigMap/flashback-gql"]["data"]
    pre_stop = gateway["container"]["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    drain = float(config["FLASHBACK_DRAIN_SECONDS"])
    assert gateway["pod"]["terminationGracePeriodSeconds"] > float(pre_stop[1]) + drain


def test_the_pod_runs_as_the_images_user_on_a_read_only_root_with_its_cache_on_a_volume() -> None:
    gateway = _gateway()
    containerfile = (ROOT / "Containerfile").read_text()
    user = re.search(r"^USER (\d+):(\d+)$", containerfile, flags=re.M)
    volume = re.search(r'^VOLUME \["([^"]+)"\]$', containerfile, flags=re.M)
    assert user and volume
    assert gateway["pod"]["securityContext"]["runAsUser"] == int(user.group(1))
    assert gateway["pod"]["securityContext"]["runAsNonRoot"] is True
    assert gateway["container"]["securityContext"]["readOnlyRootFilesystem"] is True
    assert [m["mountPath"] for m in gateway["container"]["volumeMounts"]] == [volume.group(1)]


def test_replicas_disruption_budget_and_autoscaler_agree() -> None:
    resources = _resources()
    replicas = resources["Deployment/flashback-gql"]["spec"]["replicas"]
    budget = resources["PodDisruptionBudget/flashback-gql"]["spec"]["minAvailable"]
    scaler = resources["HorizontalPodAutoscaler/flashback-gql"]["spec"]
    assert budget < replicas == scaler["minReplicas"] < scaler["maxReplicas"]
    assert scaler["scaleTargetRef"]["name"] == "flashback-gql"
    selector = resources["Deployment/flashback-gql"]["spec"]["selector"]["matchLabels"]
    assert resources["Service/flashback-gql"]["spec"]["selector"] == selector
    assert resources["PodDisruptionBudget/flashback-gql"]["spec"]["selector"]["matchLabels"] == selector
