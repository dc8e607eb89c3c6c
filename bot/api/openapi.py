"""The OpenAPI 3.1 document at ``/api/v1/openapi.json``, generated from the views.

apispec's Flask plugin reads each view's path from its URL rule and its operation from the
YAML after ``---`` in its docstring; the shared shapes are the schemas below. Tests check
every response the API gives against this document, so it cannot drift from the code.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from apispec import APISpec
from apispec_webframeworks.flask import FlaskPlugin
from flask import current_app, jsonify
from flask.typing import ResponseReturnValue

from bot.api.views import bp
from store.statuses import ConsentKind

NULLABLE_STRING = {"type": ["string", "null"]}
PERSON = {
    "phone": {"type": "string", "description": "E.164, e.g. +14045550123"},
    "name": NULLABLE_STRING,
    "first_name": {"type": "string"},
    "last_name": {"type": "string"},
    "zip": NULLABLE_STRING,
    "city": NULLABLE_STRING,
    "state": NULLABLE_STRING,
    "language": {"type": "string"},
    "opted_out": {"type": "boolean"},
}
AUDIENCE = {
    "type": "object",
    "description": "Filters on the campaign's signers; each one left out does not narrow.",
    "properties": {
        "state": {"type": "string", "examples": ["GA"]},
        "zip_prefix": {"type": "string", "examples": ["303"]},
        "language": {"type": "string", "examples": ["es"]},
        "source": {"type": "string", "examples": ["sms"]},
        "signed_after": {"type": "string", "examples": ["2026-05-01T00:00:00Z"]},
    },
    "additionalProperties": False,
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    },
    "Campaign": {
        "type": "object",
        "required": ["slug", "title", "keyword", "active", "signature_count"],
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "keyword": {"type": "string"},
            "active": {"type": "boolean"},
            "signature_count": {"type": "integer"},
        },
    },
    "Signature": {
        "type": "object",
        "required": [*PERSON, "id", "signed_at", "source"],
        "properties": {
            "id": {"type": "integer"},
            **PERSON,
            "signed_at": {"type": "string", "format": "date-time"},
            "source": {"type": "string", "description": "sms, whatsapp, or an event's slug"},
        },
    },
    "SignaturePage": {
        "type": "object",
        "required": ["data", "next_cursor"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/Signature"}},
            "next_cursor": NULLABLE_STRING,
        },
    },
    "Supporter": {
        "type": "object",
        "required": [*PERSON, "opted_out_at", "signatures", "consent"],
        "properties": {
            **PERSON,
            "opted_out_at": {"type": ["string", "null"], "format": "date-time"},
            "signatures": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["campaign", "number", "signed_at", "source"],
                    "properties": {
                        "campaign": {"type": "string"},
                        "number": {"type": "integer"},
                        "signed_at": {"type": "string", "format": "date-time"},
                        "source": {"type": "string"},
                    },
                },
            },
            "consent": {
                "type": "array",
                "description": "What they agreed to or withdrew, oldest first.",
                "items": {
                    "type": "object",
                    "required": ["kind", "at", "channel"],
                    "properties": {
                        "kind": {
                            "type": "string",
                            "enum": [kind.value for kind in ConsentKind],
                        },
                        "at": {"type": "string", "format": "date-time"},
                        "channel": {"type": "string"},
                        "keyword": NULLABLE_STRING,
                        "disclosure": NULLABLE_STRING,
                        "supporter_text": NULLABLE_STRING,
                    },
                },
            },
        },
    },
    "BroadcastDraft": {
        "type": "object",
        "required": ["campaign", "body"],
        "properties": {
            "campaign": {"type": "string"},
            "body": {"type": "string", "description": "May use {first_name} and {city}."},
            "audience": AUDIENCE,
            "send_at": {"type": "string", "format": "date-time"},
        },
    },
    "BroadcastPreview": {
        "type": "object",
        "required": [
            "campaign",
            "body",
            "audience",
            "send_at",
            "receiving",
            "excluded",
            "segments",
            "estimated_cost",
            "currency",
            "preview_token",
            "expires_in",
        ],
        "properties": {
            "campaign": {"type": "string"},
            "body": {"type": "string"},
            "audience": AUDIENCE,
            "send_at": NULLABLE_STRING,
            "receiving": {"type": "integer"},
            "excluded": {"type": "object", "additionalProperties": {"type": "integer"}},
            "segments": {
                "type": "object",
                "required": ["count", "encoding", "characters_per_segment"],
                "properties": {
                    "count": {"type": "integer"},
                    "encoding": {"type": "string", "enum": ["GSM-7", "UCS-2"]},
                    "characters_per_segment": {"type": "integer"},
                },
            },
            "estimated_cost": {"type": "number"},
            "currency": {"type": "string"},
            "preview_token": {"type": "string"},
            "expires_in": {"type": "integer", "description": "seconds"},
        },
    },
    "Broadcast": {
        "type": "object",
        "required": ["id", "campaign", "body", "audience", "status", "planned", "sent"],
        "properties": {
            "id": {"type": "integer"},
            "campaign": {"type": "string"},
            "body": {"type": "string"},
            "audience": AUDIENCE,
            "status": {
                "type": "string",
                "enum": [
                    "draft",
                    "scheduled",
                    "planning",
                    "sending",
                    "paused",
                    "done",
                    "canceled",
                ],
            },
            "send_at": NULLABLE_STRING,
            "started_at": NULLABLE_STRING,
            "finished_at": NULLABLE_STRING,
            **{
                name: {"type": "integer"}
                for name in (
                    "planned",
                    "waiting",
                    "sent",
                    "delivered",
                    "failed",
                    "held",
                    "canceled",
                    "replies",
                )
            },
            "skipped": {"type": "object", "additionalProperties": {"type": "integer"}},
            "tally": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["answer", "count"],
                    "properties": {"answer": {"type": "string"}, "count": {"type": "integer"}},
                },
            },
        },
    },
    "Event": {
        "type": "object",
        "required": ["slug", "campaign", "keyword", "name", "place", "held_on"],
        "properties": {
            "slug": {"type": "string"},
            "campaign": {"type": "string"},
            "keyword": {"type": "string"},
            "name": {"type": "string"},
            "place": NULLABLE_STRING,
            "held_on": {"type": ["string", "null"], "format": "date"},
        },
    },
}


def _list_of(schema: str) -> dict[str, Any]:
    items = {"$ref": f"#/components/schemas/{schema}"}
    return {
        "type": "object",
        "required": ["data"],
        "properties": {"data": {"type": "array", "items": items}},
    }


SCHEMAS["CampaignList"] = _list_of("Campaign")
SCHEMAS["EventList"] = _list_of("Event")
SCHEMAS["BroadcastSummary"] = {
    "type": "object",
    "required": ["id", "campaign", "status", "body_start"],
    "properties": {
        "id": {"type": "integer"},
        "campaign": {"type": "string"},
        "status": {"type": "string"},
        "body_start": {"type": "string", "description": "The first 60 characters"},
    },
}
SCHEMAS["BroadcastList"] = _list_of("BroadcastSummary")
# Every operation needs a token and counts against its limit.
EVERY_OPERATION = {
    "401": {"$ref": "#/components/responses/Error"},
    "429": {"$ref": "#/components/responses/Error"},
}


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The OpenAPI document; it needs no token."""
    return jsonify(document())


@cache
def _document(app_name: str) -> dict[str, Any]:
    spec = APISpec(
        title="Petition bot REST API",
        version="1",
        openapi_version="3.1.0",
        plugins=[FlaskPlugin()],
        info={"description": "See docs/integrations.md for tokens, limits and examples."},
        servers=[{"url": "/"}],
        security=[{"bearer": []}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.response(
        "Error",
        {
            "description": "An error, with a stable code",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    )
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema)
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint.startswith(f"{bp.name}.") and rule.endpoint != f"{bp.name}.openapi":
            spec.path(view=current_app.view_functions[rule.endpoint], app=current_app)
    document = spec.to_dict()
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"].update(EVERY_OPERATION)
    return document


def document() -> dict[str, Any]:
    """The document for the current app (the same for every app; built once)."""
    return _document(current_app.name)
