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

from bot.campaigns import CampaignFileError, campaign_data, campaign_from_data, load_catalog
from conversations import Campaign as CampaignFile
from conversations import Catalog
from store.models import Campaign
from store.records import campaign_row

REFRESH_SECONDS = 5.0
log = logging.getLogger(__name__)


class CatalogSource:
    """Build the current catalog; ``save`` stores a campaign edited in the dashboard."""

    def __init__(self, directory: str, db: sessionmaker[Session]) -> None:
        self.directory = directory
        self.db = db
        self._catalog: Catalog | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def current(self) -> Catalog:
        """The catalog, read again when it is older than ``REFRESH_SECONDS``."""
        with self._lock:
            if self._catalog is None or time.monotonic() - self._loaded_at > REFRESH_SECONDS:
                self._catalog = self._reload()
                self._loaded_at = time.monotonic()
            return self._catalog

    def _reload(self) -> Catalog:
        try:
            return load_catalog(self.directory, self._saved())
        except (SQLAlchemyError, CampaignFileError) as error:
            if self._catalog is None:
                # At start there is nothing better: the files alone, or a clear failure.
                return load_catalog(self.directory)
            # A file broken by a deploy mid-way, or the database away: every text must still
            # be answered, so keep the last good catalog and say why, loudly.
            log.error("keeping the last good campaigns: %s", error)
            return self._catalog

    def save(self, data: dict[str, Any]) -> CampaignFile:
        """Check campaign data and store it: it replaces the file of the same slug."""
        campaign = campaign_from_data(data, where="the campaign form")
        # The whole catalog must still hold together: one keyword, one active campaign.
        load_catalog(self.directory, [*self._saved(without=campaign.slug), data])
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
