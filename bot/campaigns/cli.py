"""``flask --app bot campaigns check|import|export``: the campaign files, from the terminal."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from bot.campaigns.files import CampaignFileError, dump_yaml, load_catalog, read_yaml
from bot.campaigns.words import label, sized
from bot.services import services

campaigns = AppGroup("campaigns", help="Campaign files.")


@campaigns.command("check")
@click.argument("directory", required=False)
def campaigns_check(directory: str | None) -> None:
    """Validate the campaign files (default: the CAMPAIGNS_DIR setting)."""
    folder = directory or services().settings.campaigns_dir
    try:
        catalog = load_catalog(folder)
    except CampaignFileError as error:
        raise click.ClickException(str(error)) from error
    organization = catalog.organization.name
    for campaign in catalog.campaigns:
        state = "active" if campaign.active else "closed"
        click.echo(f"{campaign.slug}: keyword {campaign.keyword}, {state}")
        # How each text goes out with typical names in it: a second segment doubles its cost.
        for language, texts in campaign.messages.items():
            for key, template in texts.items():
                size = sized(template, organization)
                segments = f"{size.count} segment{'' if size.count == 1 else 's'}"
                click.echo(f"  {language} {label(key)}: {size.encoding}, {segments}")


@campaigns.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def campaigns_import(files: tuple[str, ...]) -> None:
    """Store campaign files as the running campaigns, replacing any dashboard edits."""
    catalogs = services().catalogs
    for name in files:
        try:
            campaign = catalogs.save(dict(read_yaml(Path(name))))
        except CampaignFileError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"imported {campaign.slug}")


@campaigns.command("export")
@click.argument("slug")
def campaigns_export(slug: str) -> None:
    """Write a campaign, as it runs now, as a campaign file on standard output."""
    found = services().catalogs.definition(slug)
    if found is None:
        raise click.ClickException(f"there is no campaign {slug!r}")
    data, left_out_because = found
    if left_out_because is not None:
        # As saved, to mend and import: the bot is not running it.
        click.echo(f"not running {slug}: {left_out_because}", err=True)
    click.echo(dump_yaml(data), nl=False)
