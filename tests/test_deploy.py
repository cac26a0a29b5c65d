"""The deployment files for more than one machine (deploy/): they cannot run here (no container
engine, no cluster), so their shape is checked: every command is one the CLI accepts, ports and
names agree across the files, the memory cap is the hosted one, and HAProxy accepts its config."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
import yaml

from optviz.cli.main import build_parser
from tests.paths import ROOT

DEPLOY = os.path.join(ROOT, "deploy")


def _yaml(name: str) -> list[dict]:
    with open(os.path.join(DEPLOY, name)) as f:
        return list(yaml.safe_load_all(f))


def _serve_port(command: list[str]) -> int:
    assert command[0] == "optviz"
    args = build_parser().parse_args(command[1:])  # exits (fails the test) on a flag it does not know
    assert args.func.__name__ == "cmd_serve"
    return int(args.port)


def test_the_compose_file_runs_the_image_behind_the_sticky_proxy_with_redis():
    services = _yaml("compose.yaml")[0]["services"]
    app = services["app"]
    port = _serve_port(app["command"])
    assert app["environment"]["OPTVIZ_REDIS_URL"].startswith("redis://redis:")
    assert "redis" in services and app["deploy"]["resources"]["limits"]["memory"] == "2700M"
    with open(os.path.join(DEPLOY, "haproxy.cfg")) as f:
        cfg = f.read()
    assert re.search(rf"server-template app \d+ app:{port}\b", cfg) and "cookie optviz_node insert" in cfg
    assert services["proxy"]["ports"] == [f"{port}:{port}"]


def test_the_kubernetes_manifests_agree_on_names_and_ports():
    docs = {(d["kind"], d["metadata"]["name"]): d for d in _yaml("kubernetes.yaml")}
    pod = docs[("Deployment", "optviz")]["spec"]["template"]["spec"]["containers"][0]
    port = _serve_port(pod["command"])
    assert pod["ports"][0]["containerPort"] == port
    assert pod["resources"]["limits"]["memory"] == "2700Mi"
    url = {e["name"]: e["value"] for e in pod["env"]}["OPTVIZ_REDIS_URL"]
    redis_service = docs[("Service", re.match(r"redis://([\w-]+):", url).group(1))]
    assert redis_service["spec"]["selector"] == {"app": "optviz-redis"}
    ingress = docs[("Ingress", "optviz")]
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert ("Service", backend["name"]) in docs
    with open(os.path.join(ROOT, "Dockerfile")) as f:
        assert f"EXPOSE {port}" in f.read()


def test_haproxy_accepts_the_proxy_config():
    haproxy = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None)
    if haproxy is None:
        if os.environ.get("CI"):
            pytest.fail("haproxy is missing: .ci/run should have installed it")
        pytest.skip("haproxy is missing")
    done = subprocess.run([haproxy, "-c", "-f", os.path.join(DEPLOY, "haproxy.cfg")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
