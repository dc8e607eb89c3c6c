"""Security headers on every response, built with the ``secure`` package.

The Content-Security-Policy lets a page run only scripts and styles served from this site's
own files: no inline ``<script>``, ``<style>``, ``style=""`` or ``onclick=""``, so markup that
slipped into a page (a campaign's text, a supporter's name) could not run or restyle anything.
Pages may not be framed by another site. Responses are ``Cache-Control: no-store`` unless
they are static files or set their own caching (the public signs): most carry personal data
(a supporter's texts, signers.csv), which no browser or proxy should keep.
"""

from __future__ import annotations

import secure
from flask import Flask, Response, request

from bot.config import Settings

SELF, NONE = "'self'", "'none'"
HSTS_SECONDS = 365 * 24 * 3600


def policy(settings: Settings) -> secure.Secure:
    """The headers every response gets, for these settings."""
    csp = (
        secure.ContentSecurityPolicy()
        .default_src(SELF)
        .script_src(SELF)
        .style_src(SELF)
        .img_src(SELF)
        .connect_src(SELF)
        .form_action(SELF)
        .base_uri(NONE)
        .object_src(NONE)
        .frame_ancestors(NONE)
    )
    headers = secure.Secure(
        csp=csp,
        xfo=secure.XFrameOptions().deny(),
        xcto=secure.XContentTypeOptions(),
        # Addresses can hold a phone number (the dashboard's search): never send one away.
        referrer=secure.ReferrerPolicy().same_origin(),
        # Only over HTTPS, and only where production rules ask for it: a browser told this
        # for localhost would refuse the plain-HTTP development server for a year.
        hsts=(
            secure.StrictTransportSecurity().max_age(HSTS_SECONDS)
            if settings.production and settings.public_base_url.startswith("https://")
            else None
        ),
    )
    return headers


def init_app(app: Flask, settings: Settings) -> None:
    headers = policy(settings)

    @app.after_request
    def protect(response: Response) -> Response:
        headers.set_headers(response)
        static = (request.endpoint or "").endswith("static")
        if not static and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response
