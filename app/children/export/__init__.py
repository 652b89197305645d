"""A child's export: everything about one child that the person asking may see, as a zip
built in the background (the sealed PDFs, ``records.json`` with its ``schema.json``, the web
versions of the clips they may watch with their moments as WebVTT), downloadable once within
a day, and logged. The answer to a parent's request for access (AVG art. 15), and the copy a
school hands on when a child moves to another school.

It reads every feature, so it sits on the top floor: ``sources`` asks each feature's public
services what a seat may see (one function per source, in one list), ``archive`` streams the
zip, ``service`` keeps the export's row and runs the job, ``views`` are the pages.
"""
