"""The support plan's services: drafts and sending (drafts), what an item was adopted from
(sources), two versions side by side (compare), the parents' view (parents) and the coach's
reminders (reminders)."""
