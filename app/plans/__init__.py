"""The child's support plan (ontwikkelingsperspectiefplan): its parts, items adopted from
meetings and clips with their source kept, versions sent to the parents, and reminders."""

from flask import Blueprint

bp = Blueprint("plans", __name__)
