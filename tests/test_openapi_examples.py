"""Every operation in the served schema shows an example of its request body and success answer."""

from __future__ import annotations

import json

import jsonschema
import pytest
from rest_framework.test import APIClient

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return json.loads(response.content)


def _operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def _documented_bodies(operation):
    """(where, media object) of the request body and every success response."""
    for media_type, media in ((operation.get("requestBody") or {}).get("content") or {}).items():
        yield f"request {media_type}", media
    for code, response in operation["responses"].items():
        if code.startswith("2"):
            for media_type, media in (response.get("content") or {}).items():
                yield f"{code} {media_type}", media


def _examples(media):
    if "example" in media:
        return [media["example"]]
    return [example["value"] for example in (media.get("examples") or {}).values() if "value" in example]


def _binary(media) -> bool:
    # A PDF label, a PNG label or an XLSX export: no JSON value can show one (their
    # operations describe what they hold); every other body must show an example.
    return (media.get("schema") or {}).get("format") == "binary"


def test_every_operation_has_an_example_of_its_request_body_and_success_response(schema):
    missing = [f"{name}: {where}" for name, operation in _operations(schema)
               for where, media in _documented_bodies(operation)
               if not _binary(media) and not _examples(media)]
    assert missing == []
    assert sum(1 for _ in _operations(schema)) >= 100


def test_every_json_example_matches_its_own_schema(schema):
    # An example that contradicts its schema would teach clients the wrong thing.
    components = _nullable_as_3_1(schema["components"])  # `$ref`s resolve against the validated root
    wrong = []
    for name, operation in _operations(schema):
        for where, media in _documented_bodies(operation):
            if "json" not in where or "schema" not in media:
                continue
            for example in _examples(media):
                validator = jsonschema.Draft4Validator({"components": components, **_nullable_as_3_1(media["schema"])})
                errors = [f"{list(error.absolute_path)} {error.message}" for error in validator.iter_errors(example)]
                if errors:
                    wrong.append(f"{name} {where}: {errors[:2]}")
    assert wrong == [], "\n".join(wrong)


def _nullable_as_3_1(node):
    """OpenAPI 3.0's ``nullable`` as JSON Schema's null type, so a plain validator reads it."""
    if isinstance(node, list):
        return [_nullable_as_3_1(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _nullable_as_3_1(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out
