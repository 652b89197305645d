"""Shared machinery: database, access policy, audit, mail, storage, PDFs."""
