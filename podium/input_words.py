"""A complaint of msgspec about one field ("Expected `str` of length >= 1 - at `$.first_name`") as a sentence a
person understands, in the request's language: "Enter a first name." Forms (``podium.forms``) word every
mistake of a posted page with it, and the API's validation refusals (``podium.errors``) word their field
messages with it for a reader in another language than English (English API clients keep msgspec's words).
Written while the request is handled, so ``podium.i18n``'s current locale is the reader's.
"""

from __future__ import annotations

import re

import msgspec

from podium.i18n import N_, gettext, known_or_as_is, ngettext

# How a field is named inside a sentence ("Enter {label}."), and (``_BARE``) starting one ("First name can be
# at most ..."); anything else reads as its name in words. Marked for translation, translated where used.
_LABELS = {
    "first_name": N_("a first name"),
    "last_name": N_("a last name"),
    "email": N_("an email address"),
    "buyer_name": N_("your name"),
    "buyer_email": N_("your email address"),
    "name": N_("a name"),
    "display_name": N_("a name"),
    "password": N_("a password"),
    "new_password": N_("a new password"),
    "current_password": N_("your current password"),
    "country": N_("a country"),
    "affiliation": N_("an affiliation"),
    "member_number": N_("a member number"),
    "access_code": N_("an access code"),
    "promo_code": N_("a promo code"),
    "title": N_("a title"),
    "slug": N_("a short name for links"),
    "timezone": N_("a time zone"),
    "start_date": N_("the first day"),
    "end_date": N_("the last day"),
    "starts_at": N_("a start time"),
    "ends_at": N_("an end time"),
    "code": N_("a code"),
    "amount": N_("an amount"),
    "capacity": N_("a number of seats"),
    "size": N_("a number of seats"),
}
_BARE = {
    "first_name": N_("First name"),
    "last_name": N_("Last name"),
    "email": N_("Email address"),
    "buyer_name": N_("Name"),
    "buyer_email": N_("Email address"),
    "name": N_("Name"),
    "display_name": N_("Name"),
    "password": N_("Password"),
    "new_password": N_("New password"),
    "current_password": N_("Current password"),
    "country": N_("Country"),
    "affiliation": N_("Affiliation"),
    "member_number": N_("Member number"),
    "access_code": N_("Access code"),
    "promo_code": N_("Promo code"),
    "title": N_("Title"),
    "slug": N_("Short name for links"),
    "timezone": N_("Time zone"),
    "start_date": N_("First day"),
    "end_date": N_("Last day"),
    "starts_at": N_("Start time"),
    "ends_at": N_("End time"),
    "code": N_("Code"),
    "amount": N_("Amount"),
    "capacity": N_("Number of seats"),
    "size": N_("Number of seats"),
}

# What an empty required field says when "Enter {label}." would not fit.
_REQUIRED = {
    "category": N_("Choose a registration category."),
    "kind": N_("Choose a kind."),
    "room_id": N_("Choose a room."),
    "country": N_("Enter a country by its two-letter ISO code, like US, DE or IN."),
}

# What a value in the wrong shape says, for fields whose shape a person must know.
_FORMATS = {
    "email": N_("Enter an email address like name@example.org."),
    "buyer_email": N_("Enter your email address like name@example.org."),
    "country": N_("Enter a country by its two-letter ISO code, like US, DE or IN."),
    "member_number": N_("A member number is 3 to 40 letters, digits or hyphens."),
    "promo_code": N_("A promo code is 3 to 40 letters, digits or hyphens."),
    "access_code": N_("Check the access code: it has characters a code never has."),
    "category": N_("Choose a registration category."),
    "slug": N_("Use lower-case letters, digits and hyphens only, like annual-meeting-2027."),
    "code": N_("Use lower-case letters, digits, hyphens and underscores only, like early-bird."),
    "timezone": N_("Enter a time zone by its name, like America/New_York or Europe/Berlin."),
    "colour": N_("Enter a colour like #0b5cad."),
    "color": N_("Enter a colour like #0b5cad."),
}

_PATH = re.compile(r"at `\$\.?([^`]*)`")
_MISSING = re.compile(r"missing required field `([^`]+)`")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def leaf(path: str) -> str:
    """``attendees[0].answers.diet`` → ``diet``; ``attendees[1].email`` → ``email``."""
    return re.sub(r"\[\d+\]", "", path).rsplit(".", 1)[-1]


def _words(name: str) -> str:
    """The field inside a sentence: "a first name" (a field without a label: its name in words, untranslated)."""
    label = _LABELS.get(name)
    return gettext(label) if label else known_or_as_is(name.replace("_", " "))


def _bare(name: str) -> str:
    """The label to start a sentence: "First name"."""
    label = _BARE.get(name)
    if label:
        return gettext(label)
    words = _words(name)
    return words[:1].upper() + words[1:]


def _say(message: str, name: str, *, bare: bool = False, num: str = "") -> str:
    """``message`` (with ``%(what)s``, maybe ``%(num)s``) in the current locale, naming the field."""
    return gettext(message) % {"what": _bare(name) if bare else _words(name), "num": num}


def sentence(text: str) -> str:
    """A service's message ("the Member category needs a member number") as a sentence: capital, full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    # A translated message may end as Chinese does: the ideographic full stop, exclamation and question marks.
    return text if text[-1] in ".!?\u3002\uff01\uff1f" else f"{text}."


def human_message(path: str, raw: str, *, empty: bool = False) -> str:
    """One msgspec complaint about ``path`` in words. ``empty``: the person left the field blank."""
    name = leaf(path)
    if empty or "missing required field" in raw or raw.startswith("Expected `str` of length >= 1"):
        required = _REQUIRED.get(name)
        return gettext(required) if required else _say(N_("Enter %(what)s."), name)
    if name in _FORMATS and ("matching regex" in raw or "of length >=" in raw):
        return gettext(_FORMATS[name])
    numbers = _NUMBER.findall(raw.split(" - at ")[0].split("regex")[0])
    return _shape_message(name, raw, numbers) or _number_message(name, raw, numbers) or _type_message(name, raw)


def _shape_message(name: str, raw: str, numbers: list[str]) -> str | None:
    """Too long, too short, or characters the field's pattern refuses."""
    items = "`array`" in raw or "`object`" in raw
    num = numbers[-1] if numbers else "0"
    count = int(float(num))
    if "of length <=" in raw and items:
        text = ngettext("%(what)s can be at most %(num)s item.", "%(what)s can be at most %(num)s items.", count)
    elif "of length <=" in raw:
        text = ngettext(
            "%(what)s can be at most %(num)s character.", "%(what)s can be at most %(num)s characters.", count
        )
    elif "of length >=" in raw and items:
        text = ngettext("%(what)s needs at least %(num)s item.", "%(what)s needs at least %(num)s items.", count)
    elif "of length >=" in raw:
        text = ngettext(
            "%(what)s needs at least %(num)s character.", "%(what)s needs at least %(num)s characters.", count
        )
    else:
        text = ""
    if text:
        return text % {"what": _bare(name), "num": num}
    if "matching regex" not in raw:
        return None
    if "x00-" in raw:  # the no-control-characters rule every line of text has
        unprintable = N_("%(what)s contains characters that can't be printed, like a tab or a line break.")
        return _say(unprintable, name, bare=True)
    return _say(N_("Check %(what)s: it has characters that aren't allowed here."), name)


def _number_message(name: str, raw: str, numbers: list[str]) -> str | None:
    """A number out of range, or not a number at all."""
    if not any(f"Expected `{kind}`" in raw for kind in ("int", "float", "decimal")):
        return None
    if ">=" in raw or ">" in raw:
        return _say(N_("%(what)s must be %(num)s or more."), name, bare=True, num=numbers[-1])
    if "<=" in raw or "<" in raw:
        return _say(N_("%(what)s must be %(num)s or less."), name, bare=True, num=numbers[-1])
    if "`int`" in raw:
        return _say(N_("Enter %(what)s as a whole number."), name)
    return _say(N_("Enter %(what)s as a number."), name)


def _type_message(name: str, raw: str) -> str:
    """A value of the wrong kind: an option, a date, a time, a choice from a list, text."""
    if "Invalid enum value" in raw or "Expected `bool`" in raw:
        return _say(N_("Choose one of the options for %(what)s."), name)
    if "`date`" in raw or "RFC3339 encoded date" in raw:
        return _say(N_("Enter %(what)s as a date, like 2027-06-07."), name)
    if "`time`" in raw or "`datetime`" in raw or "RFC3339" in raw:
        return _say(N_("Enter %(what)s as a date and time."), name)
    if "`uuid`" in raw or "UUID" in raw:
        return _say(N_("Choose %(what)s from the list."), name)
    if "Expected `str`" in raw:
        return _say(N_("Enter %(what)s as text."), name)
    return _say(N_("Check %(what)s: it isn't in a form we can accept."), name)


def message_of(exc: msgspec.ValidationError) -> tuple[str, str]:
    """A lone msgspec error → (field path, sentence); the path is empty when the message names none."""
    raw = str(exc)
    missing = _MISSING.search(raw)
    found = _PATH.search(raw)
    path = found.group(1) if found else ""
    if missing:
        path = f"{path}.{missing.group(1)}" if path else missing.group(1)
    return path, human_message(path, raw)
