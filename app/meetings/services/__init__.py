"""Meeting services, one module a job: ``queries`` (what a person sees), ``planning`` (plan,
change, cancel), ``calendar`` (the iCalendar file), ``notices`` (invitations and reminders by
mail), ``agenda`` (fragments in order, preparation notes), ``contributions`` (questions
brought beforehand) and ``notes`` (meeting mode: what the group sees and the child needs per
item, attendance). Services take the acting seat explicitly, add and flush, write the
audit event, and leave the commit to the caller.
"""
