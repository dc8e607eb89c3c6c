"""Campaigns: their files, the catalog the bot runs, the dashboard's editor, and signing."""
