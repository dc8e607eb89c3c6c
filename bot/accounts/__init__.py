"""Organizers' accounts: logging in, roles, and the commands that manage users."""
