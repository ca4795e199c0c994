"""What Vigie answers when it refuses an e-mail, in French and English."""

from __future__ import annotations

TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "fr": {
        "too_big": (
            "[{city}] Votre message n'a pas pu être enregistré",
            "Votre message est trop volumineux ({size_mb} Mo) : nous acceptons au plus {max_mb} Mo, "
            "pièces jointes comprises.\n\nRenvoyez-le avec moins de photos ou des photos plus légères "
            "(au plus {max_photos} photos de {max_photo_mb} Mo chacune).",
        ),
        "too_many_photos": (
            "[{city}] Votre message n'a pas pu être enregistré",
            "Votre message contient {count} photos : un signalement en accepte au plus {max_photos}.\n\n"
            "Renvoyez-le avec les {max_photos} photos les plus parlantes.",
        ),
        "bad_photo": (
            "[{city}] Votre message n'a pas pu être enregistré",
            "Une des photos jointes n'a pas pu être lue : nous acceptons les photos JPEG, PNG ou WebP "
            "d'au plus {max_photo_mb} Mo chacune.\n\nRenvoyez votre message avec des photos dans l'un "
            "de ces formats.",
        ),
        "empty": (
            "[{city}] Votre message n'a pas pu être enregistré",
            "Votre message ne contient ni texte ni photo : décrivez le problème et, si possible, "
            "l'adresse où il se trouve, puis renvoyez-le.",
        ),
    },
    "en": {
        "too_big": (
            "[{city}] Your message could not be recorded",
            "Your message is too large ({size_mb} MB): we accept at most {max_mb} MB, attachments "
            "included.\n\nSend it again with fewer or lighter photos (at most {max_photos} photos of "
            "{max_photo_mb} MB each).",
        ),
        "too_many_photos": (
            "[{city}] Your message could not be recorded",
            "Your message has {count} photos: a report takes at most {max_photos}.\n\n"
            "Send it again with the {max_photos} photos that show the problem best.",
        ),
        "bad_photo": (
            "[{city}] Your message could not be recorded",
            "One of the attached photos could not be read: we accept JPEG, PNG or WebP photos of at "
            "most {max_photo_mb} MB each.\n\nSend your message again with photos in one of these formats.",
        ),
        "empty": (
            "[{city}] Your message could not be recorded",
            "Your message has neither text nor photo: describe the problem and, if you can, the "
            "address where it is, then send it again.",
        ),
    },
}


def answer_text(why: str, lang: str, city: str, values: dict[str, int]) -> tuple[str, str]:
    """(subject, body) of the answer to a message refused for ``why``."""
    subject, body = TEXTS.get(lang, TEXTS["fr"])[why]
    size = values.get("size", 0)
    fields = {"city": city, "size_mb": f"{size / (1024 * 1024):.1f}", **values}
    return subject.format(**fields), body.format(**fields)


__all__ = ["TEXTS", "answer_text"]
