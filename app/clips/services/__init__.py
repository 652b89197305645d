"""Clip services, one module a job: ``gate`` (what consent allows), ``queries`` (what a person
sees), ``upload``, ``processing``, ``moments``, ``fragments``, ``sharing``, ``streaming``,
``retention``. Import the module you need; services take the actor explicitly, add and flush,
write the audit event, and leave the commit to the caller.
"""
