"""Redis clients from a URL: redis://, rediss://, unix://, or redis+sentinel:// for a Sentinel-watched primary.

`redis+sentinel://[:password@]host:port,host:port/<master name>[/<db>]` names the sentinels and the
primary's name; the client asks the sentinels where the primary is and asks again after a failover
(a dropped connection, or the old primary answering READONLY as a replica). `password` (or the URL's
userinfo) is the primary's; `sentinel_password` in the query is the sentinels' own, if they have one.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.sentinel import Sentinel

from mediamill.errors import ConfigError

SENTINEL_SCHEME = "redis+sentinel"


def is_sentinel(url: str) -> bool:
    return url.startswith(f"{SENTINEL_SCHEME}://")


def parse_sentinel_url(url: str) -> tuple[list[tuple[str, int]], str, dict]:
    """(sentinel addresses, primary name, connection options) of a redis+sentinel:// URL."""
    parts = urlsplit(url)
    where = parts.netloc.rpartition("@")[2]
    userinfo = parts.netloc.rpartition("@")[0]
    hosts = []
    for item in filter(None, where.split(",")):
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"MEDIAMILL_REDIS_URL: sentinel address {item!r} must be host:port "
                              "(redis+sentinel://host:port,host:port/<master name>)", field="redis_url")
        hosts.append((host.strip("[]"), int(port)))
    path = [unquote(p) for p in parts.path.split("/") if p]
    if not hosts or not path or len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise ConfigError("MEDIAMILL_REDIS_URL: a sentinel URL is redis+sentinel://host:port[,host:port...]"
                          "/<master name>[/<db>]", field="redis_url")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    options: dict = {"db": int(path[1]) if len(path) == 2 else 0}
    username, _, password = userinfo.partition(":")
    if username:
        options["username"] = unquote(username)
    if password or "password" in query:
        options["password"] = query.pop("password", None) or unquote(password)
    if "sentinel_password" in query:
        options["sentinel_password"] = query.pop("sentinel_password")
    for key in ("socket_timeout", "socket_connect_timeout"):
        if key in query:
            options[key] = float(query.pop(key))
    if query:
        raise ConfigError(f"MEDIAMILL_REDIS_URL: unknown sentinel URL option(s): {', '.join(sorted(query))}",
                          field="redis_url")
    return hosts, path[0], options


def redis_client(url: str, **options) -> aioredis.Redis:
    """An asyncio client for `url`; `options` are redis-py's (decode_responses, retry, socket_timeout...)."""
    if not is_sentinel(url):
        return aioredis.from_url(url, **options)
    hosts, master, parsed = parse_sentinel_url(url)
    sentinel_password = parsed.pop("sentinel_password", None)
    timeout = {"socket_timeout": parsed.get("socket_connect_timeout", 5.0)}
    sentinels = Sentinel(hosts, sentinel_kwargs={**timeout, "password": sentinel_password})
    return sentinels.master_for(master, redis_class=aioredis.Redis, **{**parsed, **options})
