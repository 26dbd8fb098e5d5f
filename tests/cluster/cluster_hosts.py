"""Hosts made of Linux network namespaces: one bridge in the test's own namespace, a veth per host.

Every address is private and the test's own (10.77.<net>.0/24, <net> picked per run so two runs
side by side do not collide). The test process sits on the bridge at .1, so it reaches every host
"from outside", as a client would. A host's link can be cut (`ip link set down` on its bridge end,
like pulling its cable) and restored.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


def root_only_reason() -> str | None:
    """Why namespaces cannot be made here, or None."""
    if os.geteuid() != 0:
        return "the multi-host test makes network namespaces: it needs root (CI runs as root)"
    if shutil.which("ip") is None:
        return "the multi-host test needs iproute2's `ip`"
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@dataclass
class Host:
    name: str  # the role: infra, api, worker-1...
    netns: str
    address: str
    bridge_end: str  # the veth end on the bridge: down = the host's cable is cut

    def command(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.netns, *argv]

    def popen(self, argv: list[str], *, env: dict[str, str], log: Path, user: str | None = None) -> subprocess.Popen:
        if user:
            argv = ["runuser", "-u", user, "--", *argv]
        with open(log, "ab") as out:
            return subprocess.Popen(self.command(argv), env=env, stdout=out, stderr=subprocess.STDOUT)

    def cut(self) -> None:
        _ip("link", "set", self.bridge_end, "down")

    def restore(self) -> None:
        _ip("link", "set", self.bridge_end, "up")


class Network:
    def __init__(self, roles: list[str]) -> None:
        self.tag = f"{os.getpid() % 0xFFFF:04x}"
        self.net = 100 + os.getpid() % 150
        self.bridge = f"mmbr{self.tag}"
        self.gateway = f"10.77.{self.net}.1"
        self.roles = roles
        self.hosts: dict[str, Host] = {}

    def __enter__(self) -> Network:
        try:
            _ip("link", "add", self.bridge, "type", "bridge")
            _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
            _ip("link", "set", self.bridge, "up")
            for index, role in enumerate(self.roles):
                self.hosts[role] = self._add_host(role, index)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _add_host(self, role: str, index: int) -> Host:
        netns, outer, inner = f"mm{self.tag}-{role}", f"mm{self.tag}h{index}", f"mm{self.tag}n{index}"
        address = f"10.77.{self.net}.{index + 2}"
        _ip("netns", "add", netns)
        _ip("link", "add", outer, "type", "veth", "peer", "name", inner)
        _ip("link", "set", inner, "netns", netns)
        _ip("link", "set", outer, "master", self.bridge)
        _ip("link", "set", outer, "up")
        _ip("-n", netns, "link", "set", "lo", "up")
        _ip("-n", netns, "addr", "add", f"{address}/24", "dev", inner)
        _ip("-n", netns, "link", "set", inner, "up")
        _ip("-n", netns, "route", "add", "default", "via", self.gateway)
        return Host(role, netns, address, outer)

    def __exit__(self, *exc: object) -> None:
        for host in self.hosts.values():
            subprocess.run(["ip", "link", "del", host.bridge_end], capture_output=True)
            subprocess.run(["ip", "netns", "del", host.netns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
