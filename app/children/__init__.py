"""The top floor: the children list and the child's page, composed from the features they show
(the circle, consent, clips, meetings), each imported by name."""

from flask import Blueprint

bp = Blueprint("children", __name__)
