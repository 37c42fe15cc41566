"""How well `core.timeparse` (the engine of `slotline when`) reads booking time phrases.

Scores the module on benchmarks/corpus/duckling_booking_time.json (a copy of the shared corpus): 465 phrases from
Duckling's English corpus with the value Duckling expects at its reference time
(2013-02-12T04:30 at UTC-02:00, or the record's own `reference_time`), and 28 negative
phrases that must give no time. Records marked `requires_latent` are read with
`latent=True`, as Duckling reads them (its `withLatent` option); everything else, the
negatives included, without.

Strict scoring: an instant matches when its value and grain both equal Duckling's; an
interval when its start and end both do (None for an open end). Where an interval ends on
a named clock time (categories time_range and explicit_timezone, as the 4pm of '3-4pm'),
an end at that time (16:00) counts as well as Duckling's one-grain-later end (17:00). An end
given by a duration ("4pm for 30 mins") names no clock time and is scored strictly.

Prints accuracy overall and per category, with and without the phrases the corpus marks
`contested`, false positives on the negatives, the median time per phrase after a warm-up
pass (in-process), plain dateparser 1.5 on the same rules as the baseline, and a check that
`slotline when` (run as a subprocess) answers exactly what the module does.

    .venv/bin/python benchmarks/when_corpus.py              # figures
    .venv/bin/python benchmarks/when_corpus.py --failures   # and every phrase that misses
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.timeparse import TimeValue, parse_time, zone_from  # noqa: E402  (path set up above)

CORPUS = ROOT / "benchmarks" / "corpus" / "duckling_booking_time.json"  # a copy of shared/corpus, with its licence
NAMED_END_CATEGORIES = {"time_range", "explicit_timezone"}
_DURATION = re.compile(r"\bfor\b", re.IGNORECASE)   # "4pm for 30 mins": the end is not a named time
_ONE = {"second": timedelta(seconds=1), "minute": timedelta(minutes=1), "hour": timedelta(hours=1)}

Parser = Callable[[str, datetime, str, bool], "TimeValue | None"]


@dataclass(frozen=True)
class Case:
    phrase: str
    category: str
    expected: dict
    now: datetime
    latent: bool
    contested: bool


@dataclass
class Report:
    total: int = 0
    right: int = 0
    by_category: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    contested_total: int = 0
    contested_right: int = 0
    false_positives: list = field(default_factory=list)
    misses: list = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.total

    @property
    def accuracy_without_contested(self) -> float:
        return (self.right - self.contested_right) / (self.total - self.contested_total)

    def category_accuracy(self) -> dict[str, float]:
        return {name: right / total for name, (right, total) in self.by_category.items()}


def load(path: Path = CORPUS) -> tuple[list[Case], list[str], datetime, str]:
    corpus = json.loads(path.read_text())
    header = corpus["header"]
    cases = [
        Case(phrase, record["category"], record["expected"],
             datetime.fromisoformat(record.get("reference_time") or header["reference_time"]),
             bool(record.get("requires_latent")), phrase in (record.get("contested") or {}))
        for record in corpus["records"] for phrase in record["phrases"]
    ]
    return (cases, corpus["negative_examples"]["phrases"], datetime.fromisoformat(header["reference_time"]),
            header["timezone_offset"])


def matches(case: Case, got: TimeValue | None) -> bool:
    expected = case.expected
    if got is None:
        return False
    if expected["kind"] == "instant":
        return (got.kind == "instant" and got.start == _when(expected["value"])
                and got.grain == expected["grain"])
    if got.kind != "interval" or got.start != _when(expected["from"]):
        return False
    end = _when(expected["to"])
    ends = {end}
    if (end is not None and case.category in NAMED_END_CATEGORIES and expected["grain"] in _ONE
            and not _DURATION.search(case.phrase)):
        ends.add(end - _ONE[expected["grain"]])
    return got.end in ends


def value_only(case: Case, got: TimeValue | None) -> bool:
    """A looser reading, for context only: an instant's value alone, any grain; no intervals."""
    return got is not None and case.expected["kind"] == "instant" and got.start == _when(case.expected["value"])


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def ours(phrase: str, now: datetime, tz: str, latent: bool) -> TimeValue | None:
    return parse_time(phrase, now=now, tz=tz, latent=latent)


def never_latent(phrase: str, now: datetime, tz: str, latent: bool) -> TimeValue | None:
    return parse_time(phrase, now=now, tz=tz)


def score(parser: Parser = ours, path: Path = CORPUS, matcher=matches) -> Report:
    cases, negatives, reference, tz = load(path)
    report = Report()
    for case in cases:
        ok = matcher(case, parser(case.phrase, case.now, tz, case.latent))
        report.total += 1
        report.right += ok
        report.by_category[case.category][0] += ok
        report.by_category[case.category][1] += 1
        report.contested_total += case.contested
        report.contested_right += ok and case.contested
        if not ok:
            report.misses.append(case)
    report.false_positives = [p for p in negatives if parser(p, reference, tz, False) is not None]
    return report


def median_ms(path: Path = CORPUS, rounds: int = 5) -> float:
    """Median in-process time per phrase, after one warm-up pass over the corpus."""
    cases, negatives, reference, tz = load(path)
    work = [(c.phrase, c.now, c.latent) for c in cases] + [(p, reference, False) for p in negatives]
    for phrase, now, latent in work:
        parse_time(phrase, now=now, tz=tz, latent=latent)
    times = []
    for phrase, now, latent in work:
        best = []
        for _ in range(rounds):
            began = time.perf_counter()
            parse_time(phrase, now=now, tz=tz, latent=latent)
            best.append(time.perf_counter() - began)
        times.append(statistics.median(best))
    return statistics.median(times) * 1000


def dateparser_baseline(phrase: str, now: datetime, tz: str, latent: bool) -> TimeValue | None:
    """Plain dateparser 1.5, future-preferring, read as an instant at the finest grain it sets."""
    from dateparser.date import DateDataParser

    parser = DateDataParser(languages=["en"], settings={
        "PREFER_DATES_FROM": "future", "RELATIVE_BASE": now.replace(tzinfo=None),
        "TIMEZONE": tz.replace(":", ""), "RETURN_AS_TIMEZONE_AWARE": True})
    data = parser.get_date_data(phrase)
    moment = data.date_obj
    if moment is None:
        return None
    moment = moment.astimezone(zone_from(tz))
    if data.period in ("week", "month", "year"):
        return TimeValue("instant", moment, None, data.period)
    grain = ("second" if moment.second else "minute" if moment.minute else "hour" if moment.hour else "day")
    return TimeValue("instant", moment, None, grain)


def cli_check(path: Path = CORPUS) -> tuple[int, int]:
    """Run `slotline when` over every phrase (grouped by reference time and latent option)
    and count the lines whose JSON equals what the module answers in-process."""
    cases, _, _, tz = load(path)
    groups: dict[tuple[datetime, bool], list[str]] = defaultdict(list)
    for case in cases:
        groups[(case.now, case.latent)].append(case.phrase)
    same = total = 0
    exe = Path(sys.executable).with_name("slotline")
    for (now, latent), phrases in groups.items():
        command = [str(exe), "when", f"--now={now.isoformat()}", f"--tz={tz}"] + (["--latent"] if latent else [])
        out = subprocess.run(command, input="\n".join(phrases) + "\n", capture_output=True, text=True,
                             check=True).stdout.splitlines()
        for phrase, line in zip(phrases, out, strict=True):
            value = parse_time(phrase, now=now, tz=tz, latent=latent)
            want = {"phrase": phrase, **(value.as_json() if value else dict.fromkeys(("kind", "start", "end", "grain")))}
            same += json.loads(line) == want
            total += 1
    return same, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", action="store_true", help="list every phrase that misses")
    parser.add_argument("--no-baseline", action="store_true", help="skip the (slow) dateparser baseline")
    args = parser.parse_args(argv)
    report = score()
    _print_report("core.timeparse", report)
    plain = score(never_latent)
    print(f"  with latent=False for every phrase (no bare numbers as times): {plain.right}/{plain.total} = "
          f"{plain.accuracy:.1%}")
    print(f"  median time per phrase (in-process, after warm-up): {median_ms():.3f} ms")
    same, total = cli_check()
    print(f"  slotline when subprocess: {same}/{total} lines equal to the in-process answer")
    if not args.no_baseline:
        _print_report("plain dateparser 1.5 (baseline, same rules)", score(dateparser_baseline), brief=True)
        loose = score(dateparser_baseline, matcher=value_only)
        print(f"  (for context, instants' values alone, any grain: {loose.right}/{loose.total} = {loose.accuracy:.1%})")
    if args.failures:
        for case in report.misses:
            got = ours(case.phrase, case.now, load()[3], case.latent)
            print(f"MISS [{case.category}]{' (contested)' if case.contested else ''} {case.phrase!r}: "
                  f"got {got.as_json() if got else None}; want {_want(case.expected)}")
    return 0


def _want(expected: dict) -> dict:
    keys = ("value", "grain") if expected["kind"] == "instant" else ("from", "to")
    return {key: expected[key] for key in keys}


def _print_report(name: str, report: Report, brief: bool = False) -> None:
    print(f"{name}: {report.right}/{report.total} = {report.accuracy:.1%} overall; "
          f"without contested phrases {report.accuracy_without_contested:.1%} "
          f"({report.contested_right}/{report.contested_total} contested match Duckling); "
          f"false positives {len(report.false_positives)}/28 {report.false_positives or ''}")
    if brief:
        return
    for category, accuracy in sorted(report.category_accuracy().items(), key=lambda kv: kv[1]):
        right, total = report.by_category[category]
        print(f"  {category:<24} {right:>3}/{total:<3} {accuracy:.1%}")


if __name__ == "__main__":
    sys.exit(main())
