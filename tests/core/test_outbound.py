"""The outbound guard: public https only, unless the operator allows a network; the
address checked is the address called; no redirects; bounded answers."""

import http.server
import threading

import httpx
import pytest
from django.test import override_settings

from core.outbound import OutboundRefused, ResponseTooLarge, check_target, guarded_client


class Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[tuple[str, str]] = []
    body = b'{"ok": true}'

    def do_GET(self) -> None:
        type(self).hits.append((self.path, self.headers.get("Host", "")))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()
            return
        body = b"x" * 5000 if self.path == "/big" else self.body
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_server():
    Recorder.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",  # link-local: cloud metadata
        "https://10.0.0.5/",
        "https://172.16.1.1/",
        "https://192.168.1.10/",
        "https://127.0.0.1/",
        "https://[::1]/",  # IPv6 loopback
        "https://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
        "https://[::ffff:a9fe:a9fe]/",  # mapped metadata address
        "https://2130706433/",  # 127.0.0.1 in decimal
        "https://0177.0.0.1/",  # 127.0.0.1 in octal
        "https://0x7f.0.0.1/",  # and in hex
        "https://localhost/",  # a name resolving to a private address
        "https://[fe80::1]/",
        "https://0.0.0.0/",
        "https://100.64.0.1/",  # carrier-grade NAT
    ],
)
def test_private_and_special_addresses_are_refused(url):
    with pytest.raises(OutboundRefused):
        check_target(url)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "file:///etc/passwd", "http://93.184.215.14/", "https://"]
)
def test_other_schemes_plain_http_and_hostless_urls_are_refused(url):
    with pytest.raises(OutboundRefused):
        check_target(url)


def test_a_public_https_address_is_allowed():
    assert str(check_target("https://93.184.215.14/api").address) == "93.184.215.14"


def test_refused_targets_are_never_connected_to(local_server):
    with guarded_client() as client, pytest.raises(httpx.ConnectError):
        client.get(f"http://127.0.0.1:{local_server}/")
    assert Recorder.hits == []


@override_settings(OUTBOUND_ALLOWED_NETWORKS=["127.0.0.1/32"])
def test_an_allowed_network_is_called_at_the_checked_address_with_its_host_name(local_server):
    with guarded_client() as client:
        response = client.get(f"http://localhost:{local_server}/ping")

    assert response.json() == {"ok": True}
    assert Recorder.hits == [("/ping", f"localhost:{local_server}")]


@override_settings(OUTBOUND_ALLOWED_NETWORKS=["127.0.0.1/32"])
def test_redirects_are_not_followed(local_server):
    with guarded_client() as client:
        response = client.get(f"http://127.0.0.1:{local_server}/redirect")

    assert response.status_code == 302
    assert [path for path, _ in Recorder.hits] == ["/redirect"]


@override_settings(OUTBOUND_ALLOWED_NETWORKS=["127.0.0.1/32"])
def test_answers_past_the_size_limit_are_cut_off(local_server):
    with guarded_client(max_bytes=1000) as client, pytest.raises(ResponseTooLarge):
        client.get(f"http://127.0.0.1:{local_server}/big")
