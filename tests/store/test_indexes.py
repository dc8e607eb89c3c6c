"""The hot queries use an index on PostgreSQL (checked with EXPLAIN), so they stay fast at scale."""

from __future__ import annotations

import pytest
from sqlalchemy import text

# Each query the webhook, the jobs, the sweep or a command runs often, with the index it needs.
HOT_QUERIES = {
    "supporter by phone": "SELECT * FROM supporters WHERE phone = '+14045550123'",
    "inbound dedupe by MessageSid": "SELECT id FROM messages WHERE sid = 'SM1'",
    "a supporter's signatures": "SELECT campaign_id FROM signatures WHERE supporter_id = 1",
    "one signature per person per campaign": (
        "SELECT id FROM signatures WHERE campaign_id = 1 AND supporter_id = 1"
    ),
    "the export, in order": "SELECT * FROM signatures WHERE campaign_id = 1 ORDER BY id",
    "a phone's conversation": "SELECT * FROM messages WHERE phone = '+14045550123' ORDER BY id",
    "outbound work left pending": (
        "SELECT id FROM messages WHERE direction = 'out' AND status = 'pending'"
    ),
    "recent opt-ins for the sweep": (
        "SELECT id FROM consent_events "
        "WHERE kind = 'opt_in' AND created_at > now() - interval '3 days'"
    ),
    "one person's consent history": (
        "SELECT * FROM consent_events WHERE phone = '+14045550123' ORDER BY id"
    ),
    "a status callback's message by SID": "SELECT * FROM messages WHERE sid = 'SM1'",
    "a broadcast's next pending texts": (
        "SELECT id FROM messages WHERE broadcast_id = 1 AND status = 'pending' AND id > 0 "
        "ORDER BY id LIMIT 200"
    ),
    "a broadcast's figures": (
        "SELECT status, count(*) FROM messages WHERE broadcast_id = 1 GROUP BY status"
    ),
}


@pytest.mark.parametrize("query", HOT_QUERIES.values(), ids=HOT_QUERIES.keys())
def test_it_answers_a_hot_query_from_an_index(svc, query: str) -> None:
    with svc.db() as session:
        # With sequential scans priced out, the plan shows whether an index can serve.
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(row[0] for row in session.execute(text(f"EXPLAIN {query}")))
    assert "Seq Scan" not in plan, plan
    assert "Index" in plan, plan


def test_the_check_notices_a_query_no_index_serves(svc) -> None:
    with svc.db() as session:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(
            row[0]
            for row in session.execute(text("EXPLAIN SELECT * FROM messages WHERE body = 'x'"))
        )
    assert "Seq Scan" in plan
