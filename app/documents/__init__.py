"""Issued documents: every PDF Beeldbrug hands out, sealed, recorded and verifiable."""

from flask import Blueprint

bp = Blueprint("documents", __name__)
