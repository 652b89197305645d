"""The consent text every school starts with: plain language, Dutch and English.

This is content, not interface: a school admin edits it as a draft and publishes a new
version. ``{months}`` in a text is replaced by the template's retention term.
"""

from __future__ import annotations

from typing import Any

DEFAULT_RETENTION_MONTHS = 3

DEFAULT_TEXTS: dict[str, dict[str, Any]] = {
    "nl": {
        "title": "Toestemming voor video-opnamen bij videobegeleiding",
        "intro": (
            "Op school werken we met videobegeleiding. De coach filmt korte momenten in de klas "
            "en bekijkt die samen met de leerkracht en met jou. We kijken vooral naar wat goed "
            "gaat, en naar de vraag: wat heeft je kind nodig, en hoe kunnen we dat bieden? "
            "Hieronder lees je waarvoor we je toestemming vragen. Je geeft per onderdeel "
            "antwoord. Ja of nee zijn allebei goed, en je kunt je toestemming altijd weer "
            "intrekken. Alleen de mensen in de kring van je kind zien de beelden."
        ),
        "purposes": {
            "school_recording": {
                "label": "Filmen op school",
                "explanation": (
                    "De coach of de leerkracht mag je kind in de klas filmen voor "
                    "videobegeleiding. Een opname duurt meestal 5 tot 15 minuten."
                ),
            },
            "home_recording": {
                "label": "Opnamen van thuis",
                "explanation": (
                    "Je mag zelf opnamen van thuis in Beeldbrug zetten, en wij mogen die gebruiken "
                    "in de gesprekken over je kind. Jij kiest wat je deelt."
                ),
            },
            "team_viewing": {
                "label": "Bekijken door het team in de kring",
                "explanation": (
                    "De leerkrachten, de coach en een eventuele specialist in de kring van je kind "
                    "mogen de beelden bekijken en bespreken."
                ),
            },
            "peer_review": {
                "label": "Tonen in intervisie",
                "explanation": (
                    "De coach mag een kort fragment laten zien aan andere coaches of leerkrachten "
                    "buiten de kring, om van te leren (intervisie). Zij zien geen andere gegevens "
                    "van je kind."
                ),
            },
            "retention": {
                "label": "Bewaren na het traject",
                "explanation": (
                    "De beelden mogen na het einde van het traject nog hoogstens {months} maanden "
                    "bewaard worden, voor een laatste gesprek. Daarna worden ze vernietigd. Zeg je "
                    "nee, dan vernietigen we de beelden zodra het traject klaar is."
                ),
            },
        },
        "closing": (
            "Je kunt je toestemming op elk moment intrekken in Beeldbrug. Vanaf dat moment "
            "gebruiken we de beelden niet meer voor dat onderdeel, en vernietigen we ze. Heb je "
            "een vraag? Stel die aan de coach."
        ),
    },
    "en": {
        "title": "Consent for video recordings in video interaction guidance",
        "intro": (
            "At school we work with video interaction guidance. The coach films short moments "
            "in class and watches them together with the teacher and with you. We look above all "
            "at what goes well, and at the question: what does your child need, and how can we "
            "offer it? Below you can read what we ask your consent for. You answer each part on "
            "its own. Yes and no are both fine, and you can always withdraw your consent. Only "
            "the people in your child's circle see the recordings."
        ),
        "purposes": {
            "school_recording": {
                "label": "Filming at school",
                "explanation": (
                    "The coach or the teacher may film your child in class for video guidance. A "
                    "recording usually lasts 5 to 15 minutes."
                ),
            },
            "home_recording": {
                "label": "Recordings from home",
                "explanation": (
                    "You may put recordings made at home into Beeldbrug, and we may use them in "
                    "the conversations about your child. You choose what you share."
                ),
            },
            "team_viewing": {
                "label": "Viewing by the team in the circle",
                "explanation": (
                    "The teachers, the coach and any specialist in your child's circle may watch "
                    "and discuss the recordings."
                ),
            },
            "peer_review": {
                "label": "Showing in peer review",
                "explanation": (
                    "The coach may show a short fragment to other coaches or teachers outside the "
                    "circle, to learn from it (peer review). They see no other details of your "
                    "child."
                ),
            },
            "retention": {
                "label": "Keeping after the trajectory",
                "explanation": (
                    "The recordings may be kept for at most {months} months after the trajectory "
                    "ends, for a last conversation. Then they are destroyed. If you say no, we "
                    "destroy the recordings as soon as the trajectory ends."
                ),
            },
        },
        "closing": (
            "You can withdraw your consent at any time in Beeldbrug. From that moment we no "
            "longer use the recordings for that part, and we destroy them. Do you have a "
            "question? Ask the coach."
        ),
    },
}
