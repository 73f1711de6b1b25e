"""Certificates made in a test: a CA (of the integrating systems, or a broker's), a server
certificate for 127.0.0.1, and client certificates naming an organisation (subject O)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Issued:
    certificate: Path
    key: Path


def _name(common_name: str, organisation: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation is not None:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    return x509.Name(attributes)


def _write_pem(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


class Authority:
    """A certificate authority writing what it issues under ``directory``."""

    def __init__(self, directory: Path, name: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = _name(name)
        usage = x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=True,
            crl_sign=True,
            encipher_only=False,
            decipher_only=False,
        )
        certificate = self._sign(self.name, self.key.public_key(), ca=True, extensions=[usage])
        self.file = _write_pem(
            directory / f"{name}-ca.pem", certificate.public_bytes(serialization.Encoding.PEM)
        )

    def _sign(
        self,
        subject: x509.Name,
        public_key: ec.EllipticCurvePublicKey,
        *,
        ca: bool,
        extensions: list[x509.ExtensionType],
    ) -> x509.Certificate:
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        for extension in extensions:
            builder = builder.add_extension(extension, critical=False)
        return builder.sign(self.key, hashes.SHA256())

    def issue(self, name: str, *, organisation: str | None = None, server: bool = False) -> Issued:
        """A certificate for ``name`` (subject O ``organisation``): a client's, or with
        ``server`` the service's own for 127.0.0.1 and localhost."""
        key = ec.generate_private_key(ec.SECP256R1())
        purpose = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        extensions: list[x509.ExtensionType] = [x509.ExtendedKeyUsage([purpose])]
        if server:
            addresses = [x509.IPAddress(IPv4Address("127.0.0.1")), x509.DNSName("localhost")]
            extensions.append(x509.SubjectAlternativeName(addresses))
        certificate = self._sign(
            _name(name, organisation), key.public_key(), ca=False, extensions=extensions
        )
        return Issued(
            _write_pem(
                self.directory / f"{name}.pem",
                certificate.public_bytes(serialization.Encoding.PEM),
            ),
            _write_pem(
                self.directory / f"{name}.key",
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ),
            ),
        )
