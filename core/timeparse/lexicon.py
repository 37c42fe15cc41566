"""Word tables: numbers, ordinals, months, weekdays, units, parts of the day, zone abbreviations."""
from __future__ import annotations

from datetime import timedelta, timezone

UNITS_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
TENS_WORDS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50}
# "twelve oh three": the zero of a spoken clock time.
ZERO_WORDS = {"oh", "o", "ou", "zero"}

ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}
ORDINAL_SUFFIXES = {"st", "nd", "rd", "th"}

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}
# Month names that are also everyday words: they count only next to a day number.
WEAK_MONTHS = {"may", "mar", "jun", "dec"}

WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "weds": 2, "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}
PLURAL_WEEKDAYS = {name + "s": day for name, day in WEEKDAYS.items() if len(name) > 4}

# Duration units, normalised; "fortnight" is a unit of 14 days.
UNITS = {
    "second": "second", "seconds": "second", "sec": "second", "secs": "second", "s": "second",
    "minute": "minute", "minutes": "minute", "min": "minute", "mins": "minute", "m": "minute",
    "'": "minute",
    "hour": "hour", "hours": "hour", "hr": "hour", "hrs": "hour", "h": "hour",
    "day": "day", "days": "day", "week": "week", "weeks": "week", "wk": "week", "wks": "week",
    "fortnight": "fortnight", "fortnights": "fortnight",
    "month": "month", "months": "month", "year": "year", "years": "year", "yr": "year", "yrs": "year",
}
# The grain of "in <n> <unit>": one step finer than the unit, as Duckling reports it.
OFFSET_GRAIN = {"second": "second", "minute": "second", "hour": "minute", "day": "hour",
                "fortnight": "hour", "week": "day", "month": "day", "year": "month"}

# Parts of the day: (start hour, end hour; 24 = midnight after), Duckling's boundaries.
PARTS = {
    "morning": (0, 12), "early_morning": (0, 9), "afternoon": (12, 19), "evening": (18, 24),
    "night": (18, 24), "late_night": (21, 24), "lunch": (12, 14), "after_lunch": (13, 17),
    "after_school": (15, 21), "after_work": (17, 21),
}
PART_WORDS = {
    "morning": "morning", "mornings": "morning", "afternoon": "afternoon", "afternoons": "afternoon",
    "afternoonish": "afternoon", "evening": "evening", "evenings": "evening",
    "night": "night", "tonight": "night", "tonite": "night", "lunch": "lunch",
    "lunchtime": "lunch", "noonish": "lunch",
}
# How a part of the day reads a bare hour: "this afternoon at 2" is 14:00.
PART_MERIDIEM = {"morning": "am", "early_morning": "am", "afternoon": "pm", "evening": "pm",
                 "night": "pm", "late_night": "pm", "lunch": "pm", "after_lunch": "pm",
                 "after_school": "pm", "after_work": "pm"}


def _fixed(hours: float, name: str) -> timezone:
    return timezone(timedelta(minutes=round(hours * 60)), name)


# Abbreviations as people write them, with the one offset each commonly means.
# IST is India (+05:30), BST British Summer Time (+01:00) whatever the season.
ZONES = {abbr: _fixed(hours, abbr.upper()) for abbr, hours in {
    "utc": 0, "gmt": 0, "z": 0, "wet": 0, "west": 1, "bst": 1, "cet": 1, "cest": 2, "met": 1,
    "eet": 2, "eest": 3, "msk": 3, "ist": 5.5, "sgt": 8, "hkt": 8, "jst": 9, "kst": 9,
    "awst": 8, "acst": 9.5, "aest": 10, "aedt": 11, "nzst": 12, "nzdt": 13, "ast": -4,
    "adt": -3, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8,
    "pdt": -7, "akst": -9, "akdt": -8, "hst": -10, "brt": -3, "art": -3,
}.items()}
# Zone words that are too common to count without a clock time right before them.
WEAK_ZONES = {"z", "west", "met", "art", "ast", "est"}
ZONE_NAMES = {"uk": "Europe/London", "london": "Europe/London", "paris": "Europe/Paris",
              "berlin": "Europe/Berlin", "dublin": "Europe/Dublin", "eastern": "America/New_York",
              "pacific": "America/Los_Angeles", "central": "America/Chicago",
              "mountain": "America/Denver"}

