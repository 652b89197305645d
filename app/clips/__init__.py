"""Clips: upload, conversion, fragments, moments, audiences and streaming of a child's footage."""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from app.core import child_page

bp = Blueprint("clips", __name__)


@bp.record_once
def _on_the_childs_page(state: BlueprintSetupState) -> None:
    """The child's page says how many clips the person may see (``clip_count``)."""
    # Imported when the blueprint is registered, not with the package: models stay importable
    # on their own (see create_app). By then the views have loaded the module anyway.
    from app.clips.services import listing

    child_page.contribute(state.app, "clip_count", listing.count_visible)
