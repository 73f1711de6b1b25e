"""The bus contract in contracts/: what the code generates, valid for the AsyncAPI parser, and
true of what the services put on the bus (routing keys, sealed body, headers, envelope)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jsonschema import Draft202012Validator
from nacl.public import PrivateKey
from silta_messaging import sealing
from silta_messaging.contract import ASYNCAPI_FILE, asyncapi_document, contract_files
from silta_messaging.outbox import OutboxEntry
from silta_messaging.signing import Signer
from silta_schemas.envelope import ALL_COUNTIES, seal
from silta_schemas.parties import KELA, county_organisation
from silta_schemas.registry import KINDS
from silta_schemas.spec import KindSpec, ReferralLink

ROOT = Path(__file__).resolve().parents[3]
CONTRACTS = ROOT / "contracts"
VALIDATOR = ROOT / "tools" / "asyncapi" / "validate.mjs"
PARSER = ROOT / "tools" / "asyncapi" / "node_modules" / "@asyncapi" / "parser"
CHILD_WELFARE_NOTICE = {"type": "legal_exception", "ground": "child_interest", "justification": "x"}


def _parse(path: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None or not PARSER.is_dir():
        pytest.fail("the AsyncAPI parser is not installed: run `make asyncapi-parser` (npm ci)")
    return subprocess.run(
        [node, str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_files_in_the_repository_are_what_the_code_generates() -> None:
    generated = contract_files()
    kept = {
        str(path.relative_to(CONTRACTS)): path.read_text(encoding="utf-8")
        for path in CONTRACTS.rglob("*")
        if path.is_file()
    }
    stale = sorted(name for name in generated if kept.get(name) != generated[name])
    extra = sorted(set(kept) - set(generated))
    advice = "contracts/ disagrees with the code: run `make contracts` and commit the files"
    assert not stale, f"{advice} (differs: {stale})"
    assert not extra, f"{advice} (no longer generated: {extra})"


def test_a_schema_file_per_kind_and_a_message_per_kind() -> None:
    document = asyncapi_document()
    for kind in KINDS:
        assert f"schemas/{kind.value}.json" in contract_files()
        assert document["components"]["messages"][kind.value]["name"] == kind.value


def test_the_asyncapi_parser_finds_no_error_in_the_document() -> None:
    result = _parse(CONTRACTS / ASYNCAPI_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_parser_check_fails_on_a_broken_document(tmp_path: Path) -> None:
    document = asyncapi_document()
    operation = next(iter(document["operations"].values()))
    operation["channel"] = {"$ref": "#/channels/no-such-channel"}
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(document, sort_keys=False))
    result = _parse(broken)
    assert result.returncode == 1
    assert "no-such-channel" in result.stdout


def _validator(document: dict[str, Any], schema: str) -> Draft202012Validator:
    ref = {"components": document["components"], "$ref": f"#/components/schemas/{schema}"}
    return Draft202012Validator(ref)


def _example(spec: KindSpec[Any]) -> dict[str, Any]:
    schema = json.loads((CONTRACTS / "schemas" / f"{spec.kind.value}.json").read_text())
    Draft202012Validator.check_schema(schema)
    (example,) = schema["examples"]
    Draft202012Validator(schema).validate(example)  # the kind's schema file accepts it
    return dict(example)


def _channel_of(document: dict[str, Any], exchange: str, key: str) -> tuple[str, dict[str, Any]]:
    for name, channel in document["channels"].items():
        pattern = re.escape(channel["address"]).replace(r"\{county\}", "[0-9]{2}")
        pattern = pattern.replace(r"\{queue\}", ".+")
        if channel["bindings"]["amqp"]["exchange"]["name"] == exchange and re.fullmatch(
            pattern, key
        ):
            return name, channel
    raise AssertionError(f"no channel in the document for {key} on {exchange}")


def _entries(spec: KindSpec[Any]) -> list[OutboxEntry]:
    """What the services put in the outbox for each way the kind travels."""
    example = _example(spec)
    referral_id = None if spec.route.referral is ReferralLink.NONE else uuid4()
    if "referral_id" in example:  # a payload that names its referral names the envelope's
        referral_id = UUID(example["referral_id"])
    entries = []
    if spec.sent_by_kela:
        county = county_organisation(example.get("county_code", "11"))
        recipient = ALL_COUNTIES if spec.kind.value == "directory_update" else county
        for child_welfare in (False, True):
            payload = dict(example)
            if child_welfare and spec.kind.value == "notice_of_need":
                payload["basis"] = CHILD_WELFARE_NOTICE
            elif child_welfare and spec.kind.value != "cancellation":
                continue
            model = spec.payload.model_validate(payload)
            envelope = seal(model, sender=KELA, recipient=recipient, referral_id=referral_id)
            entries.append(OutboxEntry.addressed(envelope, child_welfare=child_welfare))
    if spec.sent_by_county:
        payload = dict(example)
        if spec.kind.value == "directory_update":
            payload["entries"] = []
            payload["removed"] = [str(uuid4())]
        model = spec.payload.model_validate(payload)
        envelope = seal(model, sender="county-11", recipient=KELA, referral_id=referral_id)
        entries.append(OutboxEntry.addressed(envelope))
    return entries


@pytest.mark.parametrize("kind", sorted(KINDS), ids=str)
def test_what_the_code_publishes_is_what_the_document_describes(kind: Any) -> None:
    """Each kind, as the services seal and address it: a channel of the document carries it
    on its exchange and routing key, the sealed body, the signature headers and the decrypted
    envelope validate against the document's schemas."""
    document = asyncapi_document()
    spec = KINDS[kind]
    message = document["components"]["messages"][kind.value]
    envelope_schema = message["x-silta-envelope"]["$ref"].rsplit("/", 1)[1]
    recipient_key = ("any-enc", PrivateKey.generate())
    signer = Signer("kela-1", Ed25519PrivateKey.generate())
    seen = set()
    for entry in _entries(spec):
        name, channel = _channel_of(document, entry.exchange, entry.routing_key)
        assert kind.value in channel["messages"], (name, entry.routing_key)
        seen.add(name)
        body = entry.envelope.to_bytes()
        _validator(document, envelope_schema).validate(json.loads(body))
        keys = [sealing.RecipientKey(recipient_key[0], frozenset(), recipient_key[1].public_key)]
        sealed = sealing.seal(body, sealing.clear_of(body), keys)
        _validator(document, "SealedDocument").validate(json.loads(sealed))
        _validator(document, "SignatureHeaders").validate(signer.headers(sealed))
    sent = {o["channel"]["$ref"].rsplit("/", 1)[1] for o in document["operations"].values()}
    described = {name for name, c in document["channels"].items() if kind.value in c["messages"]}
    assert seen == described  # every channel of the kind is one the code uses, and back
    assert described <= sent
