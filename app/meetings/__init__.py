"""Meetings: planning a shared review (or intake, evaluation, closing) with the circle, the
calendar invitations, the agenda of fragments and the questions people bring beforehand."""

from flask import Blueprint

bp = Blueprint("meetings", __name__)
