"""TLS: certificates are always verified; CABundle adds a private CA. Uses a CA made on the fly."""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_fake_server import FakeState, make_app, serve
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bitbucket_sql.api import errors
from bitbucket_sql.api.client import BitbucketClient


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca_and_server_cert(directory: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) PEM files for 127.0.0.1."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("bbsql test CA"))
        .issuer_name(_name("bbsql test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_file, cert_file, key_file


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    ca_file, cert_file, key_file = make_ca_and_server_cert(tmp_path_factory.mktemp("tls"))
    with serve(make_app(FakeState()), ssl_certfile=str(cert_file), ssl_keyfile=str(key_file)) as root:
        yield root, ca_file


def test_unknown_ca_is_refused_without_retrying(tls_server: tuple[str, Path]) -> None:
    root, _ = tls_server
    with (
        BitbucketClient(f"BaseURL={root}/2.0;MaxRetries=3") as client,
        client.recording() as rec,
        pytest.raises(errors.TransportError, match="certificate verification failed.*CABundle"),
    ):
        client.get("/user")
    assert rec.retries == 0


def test_ca_bundle_adds_a_private_ca(tls_server: tuple[str, Path]) -> None:
    root, ca_file = tls_server
    with BitbucketClient(f"BaseURL={root}/2.0;CABundle={ca_file}") as client:
        assert client.get("/user")["display_name"] == "Fake User"


def test_unreadable_ca_bundle_is_a_configuration_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(errors.ConfigurationError, match="CABundle.*could not be loaded"):
        BitbucketClient(f"BaseURL=https://127.0.0.1:9/2.0;CABundle={missing}")
