"""The deploy files, checked with real tools (no container engine runs here): hadolint on the
Dockerfile, the compose file against the Compose specification's JSON schema (vendored with its
licence), every Kubernetes manifest against the Kubernetes schemas kubernetes-validate ships, the
systemd units by systemd-analyze, and every MEDIAMILL_* variable they set is a real setting."""

from __future__ import annotations

import configparser
import json
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import jsonschema
import pytest
import yaml

from mediamill.constants import DEFAULT_SHUTDOWN_GRACE_S
from mediamill.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
K8S = ROOT / "deploy" / "kubernetes"
DEPLOY_FILES = [ROOT / "Dockerfile", ROOT / "compose.yaml", *sorted((ROOT / "deploy").rglob("*"))]
ENV_NAME = re.compile(r"\bMEDIAMILL_[A-Z0-9_]+\b")
# Read by settings.py itself (which file to load), not a field.
NOT_FIELDS = {"MEDIAMILL_CONFIG"}


def tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} is not installed (it is a dev dependency: `make setup`)"
    return found


def test_hadolint_passes_on_the_dockerfile():
    done = subprocess.run([tool("hadolint"), str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_dockerfile_installs_through_the_setup_script():
    text = (ROOT / "Dockerfile").read_text()
    assert "SETUP_PART=python bash scripts/setup.sh" in text
    assert "SETUP_PART=debian" in text and "USER 10001" in text and "HEALTHCHECK" in text


def compose_validator():
    schema = json.loads((HERE / "schemas" / "compose-spec.json").read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return jsonschema.Draft201909Validator(schema)


def test_compose_file_matches_the_compose_specification():
    validator = compose_validator()
    document = yaml.safe_load((ROOT / "compose.yaml").read_text())
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []
    # The schema does catch mistakes (a misspelt service key)
    broken = json.loads(json.dumps(document))
    broken["services"]["api"]["comand"] = ["mediamill"]
    assert list(validator.iter_errors(broken))
    services = document["services"]
    assert {"valkey", "postgres", "minio", "api", "worker-light", "worker-media", "worker-video"} <= set(services)
    assert "noeviction" in services["valkey"]["command"] and "--appendonly" in services["valkey"]["command"]
    assert {services[name].get("profiles", [None])[0] for name in ("prometheus", "grafana", "bull-board")} == {
        "monitoring"}


def manifests() -> list[tuple[Path, dict]]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                found.append((path, document))
    return found


def test_kubernetes_manifests_validate_against_the_kubernetes_schemas(tmp_path):
    built_in = [(path, doc) for path, doc in manifests()
                if doc["kind"] not in ("Kustomization", "ScaledObject")]
    assert {doc["kind"] for _, doc in built_in} >= {"Deployment", "PodDisruptionBudget", "ConfigMap", "Secret",
                                                     "Service", "Namespace"}
    files = []
    for index, (path, doc) in enumerate(built_in):
        target = tmp_path / f"{index}-{path.stem}.yaml"
        target.write_text(yaml.safe_dump(doc))
        files.append(str(target))
    done = subprocess.run([tool("kubernetes-validate"), "--strict", "--quiet", *files], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    # And it fails on a broken one
    broken = tmp_path / "broken.yaml"
    deployment = next(doc for _, doc in built_in if doc["kind"] == "Deployment")
    bad = json.loads(json.dumps(deployment))
    bad["spec"]["replicas"] = "two"
    broken.write_text(yaml.safe_dump(bad))
    refused = subprocess.run([tool("kubernetes-validate"), "--strict", "--quiet", str(broken)],
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0


def test_kustomization_lists_every_manifest_and_probes_and_grace_are_right():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    config = next(doc for _, doc in manifests() if doc["kind"] == "ConfigMap")
    grace = float(config["data"].get("MEDIAMILL_SHUTDOWN_GRACE_S", DEFAULT_SHUTDOWN_GRACE_S))
    deployments = {doc["metadata"]["name"]: doc for _, doc in manifests() if doc["kind"] == "Deployment"}
    workers = {name: doc for name, doc in deployments.items() if "worker" in name}
    assert set(workers) == {"mediamill-worker-light", "mediamill-worker-media", "mediamill-worker-video"}
    for name, doc in deployments.items():
        pod = doc["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert container["livenessProbe"] and container["readinessProbe"], name
        if name in workers:
            assert pod["terminationGracePeriodSeconds"] > grace, name
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert "--metrics-port" in container["command"]
    budgets = {doc["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"]
               for _, doc in manifests() if doc["kind"] == "PodDisruptionBudget"}
    assert budgets == {"api", "worker-light", "worker-media", "worker-video"}


def test_every_worker_group_has_a_keda_scaler_on_waiting_plus_prioritized():
    scalers = {doc["spec"]["scaleTargetRef"]["name"]: doc for _, doc in manifests() if doc["kind"] == "ScaledObject"}
    deployments = {doc["metadata"]["name"]: doc for _, doc in manifests() if doc["kind"] == "Deployment"}
    assert set(scalers) == {name for name in deployments if "worker" in name}
    for name, scaler in scalers.items():
        assert scaler["apiVersion"] == "keda.sh/v1alpha1"
        [trigger] = scaler["spec"]["triggers"]
        query = trigger["metadata"]["query"]
        assert trigger["type"] == "prometheus" and 'state="waiting"' in query and "mediamill_queue_jobs" in query
        env = {e["name"]: e["value"] for e in deployments[name]["spec"]["template"]["spec"]["containers"][0]["env"]}
        for queue in env["MEDIAMILL_WORKERS"].split(","):
            assert queue in query, (name, queue)


def test_systemd_units_verify():
    units = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
    assert len(units) == 2
    for unit in units:
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str
        parser.read_string(unit.read_text())
        assert "mediamill" in parser["Service"]["ExecStart"]
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    for unit in units:
        done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=120)
        # The only complaint allowed: the install path does not exist on the test machine.
        problems = [line for line in (done.stdout + done.stderr).splitlines()
                    if line.strip() and "is not executable" not in line and "No such file" not in line]
        assert problems == [], problems


def test_every_mediamill_variable_in_the_deploy_files_is_a_setting():
    fields = set(Settings.model_fields)
    used = {}
    for path in DEPLOY_FILES:
        if path.is_file() and path.suffix not in (".json",):
            for name in ENV_NAME.findall(path.read_text()):
                used.setdefault(name, path.relative_to(ROOT))
    assert "MEDIAMILL_WORKERS" in used and "MEDIAMILL_REDIS_URL" in used
    unknown = {name: str(where) for name, where in used.items()
               if name not in NOT_FIELDS and name.removeprefix("MEDIAMILL_").lower().split("__")[0] not in fields}
    assert unknown == {}
