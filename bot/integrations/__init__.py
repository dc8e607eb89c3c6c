"""Data leaving the bot for the tools organizers already use: webhooks and Action Network.

A change that other tools should hear about writes one ``outbox_events`` row in its own
transaction (``outbox.record``); texting never waits on a receiver. The worker's sweep hands
new events on (``pump``): a delivery per webhook subscription that asked for the event, a sync
per connected Action Network petition, each sent by a job on the ``integrations`` queue and
tried again with backoff for a day.
"""
