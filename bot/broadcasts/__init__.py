"""Broadcasts: one text to a campaign's signers, planned in SQL and sent a slice at a time."""
