"""bench/surge.py's second baseline: the least webhook that still stores each text.

It checks Twilio's signature, takes the phone's turn in Redis (budget, lock and state: the
bot's own script), steps the conversation engine, stores the inbound text with one
``INSERT … ON CONFLICT DO NOTHING`` on a raw autocommit connection (the dedupe and the durable
record), saves the state and answers TwiML. It looks nothing up (an empty supporter, as if
their facts were cached in the conversation) and applies no effects: no replies stored, no
funnel rows, no consent, so a surge through it signs nobody. Whatever design the bot takes,
in this stack (Flask, Twilio's validator, redis-py, psycopg, this engine) its webhook cannot
be cheaper than this: ``floor / bare`` is the ceiling of ``real / bare``.
"""

from __future__ import annotations

import os
import time

import psycopg
from flask import Flask, Response, abort, request
from redis import Redis
from sqlalchemy import make_url
from twilio.twiml.messaging_response import MessagingResponse

from bot.campaigns.files import load_catalog
from bot.config import load_settings
from bot.inbound.phone_turns import PhoneTurns
from bot.inbound.twilio_signature import signed_by_twilio
from bot.lib.phones import e164
from bot.lib.places import ZipCodes
from conversations import Inbound, Reply, SupporterFacts, World, step

STORE_INBOUND = """
INSERT INTO messages (sid, direction, phone, channel, body, status, attempts, created_at,
                      updated_at)
VALUES (%s, 'in', %s, 'sms', %s, 'received', 0, now(), now())
ON CONFLICT DO NOTHING RETURNING id
"""


def create_app() -> Flask:
    """Build the floor app from the bot's own settings (the environment bench/surge.py sets)."""
    app = Flask(__name__)
    settings = load_settings(os.environ, {}, instance_path=app.instance_path)
    turns = PhoneTurns(Redis.from_url(settings.redis_url), settings.conversation_ttl)
    url = make_url(settings.database_url).set(drivername="postgresql")
    database = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
    catalog = load_catalog(settings.campaigns_dir)
    places = ZipCodes()
    places.lookup("00000")  # loads the ZIP data now, not during the drive
    world = World(catalog, SupporterFacts(), places)

    @app.post("/sms")
    def inbound_text() -> Response:
        form = request.form
        # The bot's own check, against this app's address (PUBLIC_BASE_URL is the bot's).
        if not signed_by_twilio(request, settings.twilio_auth_token, request.host_url):
            abort(403)
        phone = e164(form["From"], region=None)
        if phone is None:
            abort(400)
        turn = turns.begin(phone, counted_at=time.time())
        try:
            moved = step(turn.state, Inbound(form.get("Body", ""), "sms", None), world)
            stored = database.execute(STORE_INBOUND, (form["MessageSid"], phone, form["Body"]))
            if stored.fetchone() is not None:  # a retry of a stored text changes nothing
                turn.advance(moved.state)
        finally:
            turns.end(turn)
        answer = MessagingResponse()
        for effect in moved.effects:
            if isinstance(effect, Reply):
                answer.message(effect.text)
        return Response(str(answer), mimetype="text/xml")

    return app
