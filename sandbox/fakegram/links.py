"""URL checks as Telegram makes them: TDLib's ``parse_url`` (tdutils/td/utils/HttpUrl.cpp)
and ``LinkManager::check_link`` (td/telegram/LinkManager.cpp).

They decide which inline-button URLs are refused (and with which words), which ``<a href>``
links survive in a text (an invalid one is dropped silently), and how a URL is normalised
("example.com" becomes "http://example.com/").
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

_URL_PART_SYMBOLS = frozenset(".-_!$,~*'();&+=")
_HEX = frozenset("0123456789abcdefABCDEF")


class UrlError(ValueError):
    """A URL TDLib refuses, with TDLib's reason."""


@dataclass(frozen=True)
class HttpUrl:
    protocol: str  # "http" | "https"
    userinfo: str
    host: str
    is_ipv6: bool
    specified_port: int
    port: int
    query: str  # starts with "/"

    def url(self) -> str:
        userinfo = f"{self.userinfo}@" if self.userinfo else ""
        port = f":{self.specified_port}" if self.specified_port > 0 else ""
        return f"{self.protocol}://{userinfo}{self.host}{port}{self.query}"


def _read_till(text: str, stops: str) -> int:
    for index, char in enumerate(text):
        if char in stops:
            return index
    return len(text)


def _check_url_part(part: str, name: str, allow_colon: bool) -> None:
    i = 0
    while i < len(part):
        c = part[i]
        if (c.isascii() and c.isalnum()) or c in _URL_PART_SYMBOLS or (allow_colon and c == ":"):
            i += 1
            continue
        if c == "%":
            if part[i + 1 : i + 2] in _HEX and part[i + 2 : i + 3] in _HEX:
                i += 3
                continue
            raise UrlError(f"Wrong percent-encoded symbol in URL {name}")
        if ord(c) >= 128:  # plain UTF-8 symbols are allowed
            i += 1
            continue
        raise UrlError(f"Disallowed character in URL {name}")


def _split_port(userinfo_host_port: str) -> tuple[str, int]:
    colon = len(userinfo_host_port) - 1
    while colon > 0 and userinfo_host_port[colon] not in ":]@":
        colon -= 1
    if not (colon > 0 and userinfo_host_port[colon] == ":"):
        return userinfo_host_port, 0
    port_text = userinfo_host_port[colon + 1 :]
    while len(port_text) > 1 and port_text[0] == "0":
        port_text = port_text[1:]
    port = int(port_text) if port_text.isascii() and port_text.isdigit() else -1
    return userinfo_host_port[:colon], port if port != 0 else -1


def _query(rest: str) -> str:
    query = rest.rstrip(" \t\r\n\0\v") or "/"
    if query[0] != "/":
        query = "/" + query
    return "".join(f"%{ord(c):02X}" if ord(c) <= 0x20 else c for c in query)


def parse_url(url: str, default_protocol: str = "http") -> HttpUrl:
    """TDLib's ``parse_url``: ``[https?://][userinfo@]host[:port][/query]``."""
    end = _read_till(url, ":/?#@[]")
    protocol_text = url[:end].lower()
    if url.startswith("://", end):
        if protocol_text not in ("http", "https"):
            raise UrlError("Unsupported URL protocol")
        protocol, rest = protocol_text, url[end + 3 :]
    else:
        protocol, rest = default_protocol, url
    end = _read_till(rest, "/?#")
    userinfo_host, port = _split_port(rest[:end])
    if port < 0 or port > 65535:
        raise UrlError("Wrong port number specified in the URL")
    at = userinfo_host.rfind("@")
    userinfo, host = (
        (userinfo_host[:at], userinfo_host[at + 1 :]) if at >= 0 else ("", userinfo_host)
    )
    is_ipv6 = len(host) > 1 and host[0] == "[" and host[-1] == "]"
    if is_ipv6:
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise UrlError("Wrong IPv6 address specified in the URL") from None
    if not host:
        raise UrlError("URL host is empty")
    if host == ".":
        raise UrlError("Host is invalid")
    host = host.lower()
    if not is_ipv6:
        _check_url_part(host, "host", False)
        _check_url_part(userinfo, "userinfo", True)
    default_port = 80 if protocol == "http" else 443
    return HttpUrl(
        protocol, userinfo, host, is_ipv6, port, port or default_port, _query(rest[end:])
    )


def _check_link_impl(link: str) -> str:
    lowered = link.lower()
    scheme = next((s for s in ("tg", "ton", "tonsite") if lowered.startswith(s + ":")), "")
    if scheme:
        link = link[len(scheme) + 1 :]
        if link.startswith("//"):
            link = link[2:]
    url = parse_url(link)
    if not scheme:
        if "." not in url.host and not url.is_ipv6:
            raise UrlError("Wrong HTTP URL")
        return url.url()
    if (
        link.lower().startswith("http://")
        or url.protocol == "https"
        or url.userinfo
        or url.specified_port
        or url.is_ipv6
    ):
        raise UrlError("Wrong tg URL" if scheme == "tg" else "Wrong ton URL")
    query = url.query[1:] if len(url.query) > 1 and url.query[1] == "?" else url.query
    for c in url.host:
        if not ((c.isascii() and c.isalnum()) or c in "-_" or (scheme == "tonsite" and c == ".")):
            raise UrlError("Unallowed characters in URL host")
    return f"{scheme}://{url.host}{query}"


def check_link(link: str) -> str:
    """The normalised link, or UrlError("URL '<link>' is invalid: <reason>")."""
    try:
        return _check_link_impl(link)
    except UrlError as exc:
        raise UrlError(f"URL '{link}' is invalid: {exc}") from None


def checked_link(link: str) -> str:
    """The normalised link, or "" if TDLib would refuse it (``get_checked_link``)."""
    try:
        return _check_link_impl(link)
    except UrlError:
        return ""
