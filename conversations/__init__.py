"""The petition conversation: a pure state machine.

Nothing in this package does I/O. It imports no Flask, SQLAlchemy, Redis, Twilio,
``os`` or clock; the web and worker layers feed it facts and apply the effects it
returns. ``tests/conversations/test_purity.py`` holds it to that.
"""

from conversations.engine import World, step
from conversations.model import (
    Campaign,
    Catalog,
    Effect,
    Inbound,
    Organization,
    Place,
    Places,
    Progress,
    RecordOptIn,
    RecordOptOut,
    RecordSignature,
    RememberLanguage,
    Reply,
    Stage,
    State,
    Supporter,
    Turn,
)

__all__ = [
    "Campaign",
    "Catalog",
    "Effect",
    "Inbound",
    "Organization",
    "Place",
    "Places",
    "Progress",
    "RecordOptIn",
    "RecordOptOut",
    "RecordSignature",
    "RememberLanguage",
    "Reply",
    "Stage",
    "State",
    "Supporter",
    "Turn",
    "World",
    "step",
]
