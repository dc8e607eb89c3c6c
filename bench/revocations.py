"""Print the confusion matrices of the labeled evaluation sets: revocations and consent answers.

    python bench/revocations.py

Each set is a file of ``text<TAB>label<TAB>note`` lines in ``tests/conversations/``; the tests
run the same evaluation (``pytest -s`` shows the matrices) and hold it to its goals: no missed
revocation, and no "no" or question read as a yes.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the project's packages live beside bench/
    sys.path.insert(0, str(ROOT))

from bot.campaigns.files import load_catalog  # noqa: E402
from conversations.parsing import parse_yes_no  # noqa: E402
from conversations.revocation import revocation  # noqa: E402

DATA = ROOT / "tests" / "conversations"
REVOCATIONS = DATA / "revocations.tsv"
CONSENT_ANSWERS = DATA / "consent_answers.tsv"
CAUSE = load_catalog(ROOT / "campaigns").cause


@dataclass(frozen=True)
class Labeled:
    """One message of an evaluation set, what it means, and what the detector said."""

    text: str
    label: str
    note: str
    predicted: str


def revocation_label(text: str) -> str:
    found = revocation(text, CAUSE)
    if found is None:
        return "not"
    return "wrong_number" if found.wrong_number else "revocation"


def consent_label(text: str) -> str:
    answer = parse_yes_no(text)
    return "other" if answer is None else "yes" if answer else "no"


def evaluate(path: Path, classify: Callable[[str], str]) -> list[Labeled]:
    """Read a labeled set and classify each of its messages."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        text, label, note = line.split("\t")
        if not text:
            raise ValueError(f"{path.name}:{number}: an empty message")
        rows.append(Labeled(text, label, note, classify(text)))
    return rows


def confusion(title: str, rows: list[Labeled]) -> str:
    """The matrix as text: one row per label, one column per prediction, then the mistakes."""
    labels = sorted({row.label for row in rows} | {row.predicted for row in rows})
    counts = Counter((row.label, row.predicted) for row in rows)
    width = max(len(label) for label in labels) + 2
    lines = [
        f"{title}: {len(rows)} messages (rows: label, columns: predicted)",
        " " * width + "".join(label.rjust(width) for label in labels),
    ]
    for label in labels:
        cells = "".join(str(counts[label, predicted]).rjust(width) for predicted in labels)
        lines.append(label.ljust(width) + cells)
    lines += [
        f"  {row.label} read as {row.predicted}: {row.text!r} ({row.note})"
        for row in rows
        if row.label != row.predicted
    ]
    return "\n".join(lines)


def main() -> None:
    print(confusion("Revocations", evaluate(REVOCATIONS, revocation_label)))
    print()
    print(confusion("Consent answers", evaluate(CONSENT_ANSWERS, consent_label)))


if __name__ == "__main__":
    main()
