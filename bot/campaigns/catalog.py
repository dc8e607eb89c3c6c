"""The campaigns the bot runs: the campaign files, overlaid with what organizers saved.

Every web and worker process reads the catalog often and edits are rare, so each process
keeps it for a few seconds and then reads the saved campaigns again: an edit reaches every
process within ``REFRESH_SECONDS`` without a deploy.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.campaigns.files import CampaignFileError, campaign_data, campaign_from_data, load_catalog
from conversations import CampaignScript, Catalog
from store.models import Campaign
from store.records import campaign_row

REFRESH_SECONDS = 5.0
log = logging.getLogger(__name__)


class CatalogSource:
    """Build the current catalog; ``save`` stores a campaign edited in the dashboard."""

    def __init__(
        self, directory: str, db: sessionmaker[Session], public_base_url: str = ""
    ) -> None:
        self.directory = directory
        self.db = db
        self.public_base_url = public_base_url  # where the bot serves /privacy and /terms
        self._catalog: Catalog | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()
        # Saved campaigns left out of the catalog, by slug, with the reason: for the dashboard.
        self.left_out: dict[str, str] = {}

    def current(self) -> Catalog:
        """The catalog, read again when it is older than ``REFRESH_SECONDS``."""
        with self._lock:
            if self._catalog is None or time.monotonic() - self._loaded_at > REFRESH_SECONDS:
                self._catalog = self._reload()
                self._loaded_at = time.monotonic()
            return self._catalog

    def _reload(self) -> Catalog:
        try:
            return self._load(self._saved())
        except (SQLAlchemyError, CampaignFileError) as error:
            if self._catalog is None:
                # At start there is nothing better: the files alone, or a clear failure.
                return self._files()
            # A file broken by a deploy mid-way, or the database away: every text must still
            # be answered, so keep the last good catalog and say why, loudly.
            log.error("keeping the last good campaigns: %s", error)
            return self._catalog

    def _files(self, saved: list[dict[str, Any]] | None = None) -> Catalog:
        return load_catalog(self.directory, saved or (), self.public_base_url)

    def _load(self, saved: list[dict[str, Any]]) -> Catalog:
        try:
            catalog = self._files(saved)
            left_out: dict[str, str] = {}
        except CampaignFileError:
            self._files()  # a broken file raises: the caller keeps the last good
            # A saved campaign that no longer loads (a release added a message it lacks, a new
            # file took its keyword) must not take every other edit down with it: leave it out.
            kept: list[dict[str, Any]] = []
            left_out = {}
            for data in saved:
                try:
                    self._files([*kept, data])
                    kept.append(data)
                except CampaignFileError as error:
                    slug = str(data.get("slug"))
                    left_out[slug] = str(error).removeprefix(f"saved campaign {slug!r}: ")
            catalog = self._files(kept)
        if left_out != self.left_out:
            for slug, reason in left_out.items():
                log.error("leaving out saved campaign %r until it is edited: %s", slug, reason)
            self.left_out = left_out
        return catalog

    def definition(self, slug: str) -> tuple[dict[str, Any], str | None] | None:
        """The campaign's data as it runs now, or, for one the bot left out, as last saved
        and why it was left out; None for no such campaign."""
        campaign = self.current().by_slug(slug)
        if campaign is not None:
            return campaign_data(campaign), None
        if slug not in self.left_out:
            return None
        saved = next((d for d in self._saved() if d.get("slug") == slug), None)
        return None if saved is None else (saved, self.left_out[slug])

    def check(self, data: dict[str, Any]) -> CampaignScript:
        """The campaign the data makes, if it and the whole catalog with it hold together."""
        campaign = campaign_from_data(data, where="the campaign form")
        # The whole catalog must still hold together: one keyword, one active campaign. Other
        # campaigns left out are no reason to refuse this one.
        others = [
            d for d in self._saved(without=campaign.slug) if d.get("slug") not in self.left_out
        ]
        self._files([*others, data])
        return campaign

    def save(self, data: dict[str, Any]) -> CampaignScript:
        """Check campaign data and store it: it replaces the file of the same slug."""
        campaign = self.check(data)
        with self.db.begin() as session:
            row = campaign_row(session, campaign)
            row.definition = json.dumps(campaign_data(campaign))
        with self._lock:
            self._catalog = None
        return campaign

    def _saved(self, without: str | None = None) -> list[dict[str, Any]]:
        with self.db() as session:
            rows = session.execute(
                select(Campaign.slug, Campaign.definition).where(Campaign.definition.is_not(None))
            ).all()
        return [json.loads(d) for slug, d in rows if slug != without and d is not None]
