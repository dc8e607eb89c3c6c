"""consent events are append-only in the database; a sign-up request names who entered it

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A row-level trigger: UPDATE and DELETE are refused, whoever asks (a script, psql, another
# app). TRUNCATE fires no row trigger, so emptying a test database still works.
APPEND_ONLY = """
CREATE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'consent_events is append-only: % of event % refused', TG_OP, OLD.id
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER consent_events_append_only
  BEFORE UPDATE OR DELETE ON consent_events
  FOR EACH ROW EXECUTE FUNCTION consent_events_append_only();
"""


def upgrade() -> None:
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entered_by", sa.String(length=300), nullable=True))
    # SQLite (the embedded default) has only the application's guard.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER consent_events_append_only ON consent_events")
        op.execute("DROP FUNCTION consent_events_append_only()")
    with op.batch_alter_table("consent_events", schema=None) as batch_op:
        batch_op.drop_column("entered_by")
