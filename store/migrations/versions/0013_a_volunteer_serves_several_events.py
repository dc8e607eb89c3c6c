"""a volunteer serves several events

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 09:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "volunteer_events",
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_volunteer_events_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_volunteer_events_volunteer_id_volunteers"),
        ),
        sa.PrimaryKeyConstraint("volunteer_id", "event_id", name=op.f("pk_volunteer_events")),
    )
    with op.batch_alter_table("volunteer_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_events_event_id"), ["event_id"], unique=False
        )
    # Every volunteer serves the event it was registered for.
    op.execute(
        "INSERT INTO volunteer_events (volunteer_id, event_id, created_at)"
        " SELECT id, event_id, created_at FROM volunteers"
    )


def downgrade() -> None:
    with op.batch_alter_table("volunteer_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_events_event_id"))
    op.drop_table("volunteer_events")
