"""Clips: upload, conversion, fragments, moments, audiences and streaming of a child's footage."""

from flask import Blueprint

bp = Blueprint("clips", __name__)
