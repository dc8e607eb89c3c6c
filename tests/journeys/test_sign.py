"""A supporter signs by text: four texts, the consent question, then the confirmation."""

from __future__ import annotations

from sqlalchemy import select

from store.models import Message, Signature, Supporter

JANE = "+14045550123"


def test_a_supporter_signs_in_four_texts_and_the_confirmation_reaches_her(stack) -> None:
    assert "What's your full name?" in stack.text(JANE, "FACES")[0]
    assert stack.text(JANE, "Jane Doe") == ["Thanks, Jane! What's your 5-digit ZIP code?"]
    (consent,) = stack.text(JANE, "30303")
    assert consent.startswith("Civil Rights Text Team will add Jane Doe (Atlanta, GA)")
    assert consent.endswith("Reply YES to sign.")
    assert stack.text(JANE, "YES") == []
    stack.settle()
    confirmation = (
        "Thanks, Jane, you're signer #1 of the letter to the DOJ! "
        "Ask a friend to text FACES to this number to sign too."
    )
    assert stack.went_out(JANE)[-1] == confirmation
    with stack.svc.db() as session:
        signature = session.scalars(select(Signature)).one()
        supporter = session.get_one(Supporter, signature.supporter_id)
        sent = session.scalars(select(Message).where(Message.kind == "confirmation")).one()
    assert (supporter.phone, supporter.name, supporter.zip_code) == (JANE, "Jane Doe", "30303")
    assert signature.consent_text == consent
    assert (sent.body, sent.status) == (confirmation, "delivered")
    assert signature.confirmation_id == sent.id and sent.sid is not None
