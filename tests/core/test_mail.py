"""Outgoing mail through the real SMTP path: a subject arrives as one clean header."""

from __future__ import annotations

from app.core.db import db
from app.core.mail import OutgoingMail, queue_mail
from app.core.text import single_line


def test_a_subject_with_line_breaks_arrives_as_one_header_without_injected_ones(app, mailbox):
    subject = "Toestemming voor Noah\r\nBcc: stiekem@example.com\u2028X-Extra:\tja\x1b"
    with app.app_context():
        queue_mail(
            db.session,
            OutgoingMail(to="ouder@example.nl", subject=subject, text="Hallo", html="<p>Hallo</p>"),
        )
        db.session.commit()

    message = mailbox.last_to("ouder@example.nl")
    assert message.get_all("Subject") == [
        "Toestemming voor Noah Bcc: stiekem@example.com X-Extra: ja"
    ]
    assert message["Bcc"] is None
    assert message["X-Extra"] is None
    assert mailbox.to("stiekem@example.com") == []
    assert mailbox.text_of(message).strip() == "Hallo"


def test_an_invitation_for_a_child_whose_stored_name_holds_a_line_break_arrives(
    client, circle, login_as, mailbox
):
    # A name stored before the forms refused line breaks; the invitation's subject names it.
    circle.child.name = "Noah\rBakker\u2028Ruiz"
    db.session.commit()
    login_as(circle.coach)

    response = client.post(
        f"/children/{circle.child.id}/invite",
        data={"name": "Ouder Olga", "email": "olga@example.nl", "role": "parent", "language": "en"},
    )

    assert response.status_code == 302
    message = mailbox.last_to("olga@example.nl")
    assert message.get_all("Subject") == ["Invitation: the circle of Noah Bakker Ruiz in Beeldbrug"]


def test_one_line_collapses_control_characters_and_whitespace_and_changes_clean_text_not():
    assert single_line(" Elif\u00a0 Yılmaz\n\n\t\x00groep\u20295 ") == "Elif Yılmaz groep 5"
    assert single_line("Elif Yılmaz") == "Elif Yılmaz"
    assert single_line("\r\n\t") == ""
    dirty = "Noah\x0b\x0c\x1c\x85Bakker"
    assert single_line(single_line(dirty)) == single_line(dirty) == "Noah Bakker"
