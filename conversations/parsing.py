"""Read what a supporter typed: names, ZIP codes, yes or no, stop, start or help, and ADD.

Pure functions of the text, with no I/O: only ``re``, ``unicodedata`` and ``typing`` from the
standard library. Whether a ZIP code exists is decided elsewhere; here we only extract it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

# Compared after normalize_word with inner punctuation dropped, so "OPT-OUT" and "S.T.O.P" count.
OPT_OUT_KEYWORDS = frozenset(
    {
        "stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit", "revoke",
        "optout", "opt out", "parar", "alto", "cancelar", "basta", "detener",
    }
)  # fmt: skip
OPT_IN_KEYWORDS = frozenset({"start", "unstop", "reanudar"})
HELP_KEYWORDS = frozenset({"help", "info", "ayuda"})

YES_WORDS = frozenset(
    {
        "yes", "y", "ye", "yeah", "yea", "yep", "yup", "yess", "sure", "ok", "okay", "okey", "k",
        "kk", "agree", "i agree", "sign me up", "absolutely", "of course", "definitely",
        "si", "sí", "claro", "de acuerdo", "estoy de acuerdo", "vale", "acepto",
        "por supuesto", "claro que si", "claro que sí", "esta bien", "está bien",
        "quiero firmar", "si quiero", "sí quiero", "i want to sign", "firmo",
        "sure thing", "count me in", "i'm in", "im in", "for sure", "let's do it",
        "lets do it", "do it", "go ahead", "totally", "yas", "yass", "yesss", "yessir", "agreed",
        "i do", "i will", "i'll sign", "ill sign", "i'd love to", "happy to", "gladly", "add me",
        "put me down", "sign me", "i consent", "affirmative", "cuenta conmigo", "con gusto",
        "dale", "obvio", "claro que quiero", "apúntame", "apuntame", "anótame", "anotame", "va",
    }
)  # fmt: skip
NO_WORDS = frozenset(
    {
        "no", "n", "nope", "nah", "not now", "not interested", "ahora no", "no quiero",
        "i'll pass", "ill pass", "pass", "no way", "not for me", "mejor no", "paso",
        "todavía no", "todavia no", "aún no", "aun no", "no por ahora",
    }
)  # fmt: skip
# Politeness that may surround an answer ("yes please", "no thank you") without changing it.
COURTESY_WORDS = frozenset(
    {"please", "pls", "plz", "thanks", "thank you", "thx", "ty", "gracias", "por favor"}
)
# Words that may come with a yes and leave it a yes: "yes I'll sign it!", "sí, claro que sí".
# Anything else makes the answer unclear and it is asked again: a missed yes costs a re-ask, a
# false one a signature nobody agreed to.
AFFIRMING_WORDS = frozenset(
    {
        "i", "i'll", "ill", "i'd", "id", "i'm", "im", "will", "want", "wanna", "would", "love",
        "like", "to", "sign", "it", "this", "that", "the", "petition", "letter", "me", "up",
        "in", "so", "much", "for", "doing", "happy", "glad", "be", "and", "great", "good",
        "cool", "awesome", "perfect", "lol", "haha", "yo", "definitely", "totally", "course",
        "of", "absolutely", "100", "all", "way", "hell", "heck", "ready", "oh", "ok", "okay",
        "sure", "thing", "quiero", "firmar", "la", "carta", "que", "con", "gusto", "lo", "hago",
        "tambien", "claro", "obvio", "esta", "bien", "por", "supuesto", "count", "add", "name",
        "my", "you", "a", "u", "yes", "yeah", "yep", "si", "ya", "work", "job", "go", "on",
        "ahead", "now", "firmo", "acepto", "mi", "nombre", "adelante", "listo", "lista",
    }
)  # fmt: skip
# Any of these takes a yes back or puts it off: "yes... no wait", "yes but not now".
UNSAYING_WORDS = frozenset(
    {
        "no", "n", "not", "nope", "nah", "don't", "dont", "never", "wait", "later", "maybe",
        "idk", "unsure", "hmm", "hmmm", "but", "scam", "spam", "fake", "if", "unless",
        "can't", "cant", "won't", "wont", "nunca", "quizas", "quiza", "tal", "espera", "pero",
        "despues", "luego", "si no",
    }
)  # fmt: skip
YES_EMOJI = frozenset({"👍", "👌", "✅", "✔", "✓", "☑", "🆗"})
NO_EMOJI = frozenset({"👎", "❌"})

# Lowercase inside a name, but not first or last: "Kim Le" and "Anh Van" end in surnames.
NAME_PARTICLES = frozenset(
    {
        "de", "la", "las", "los", "del", "della", "van", "von", "der", "den", "da", "das", "dos",
        "di", "du", "le", "y", "e", "bin", "bint", "ibn", "ten", "ter",
    }
)  # fmt: skip
# Replies to "what's your name?" that are not names.
NOT_NAMES = frozenset(
    {
        "what", "why", "who", "huh", "maybe", "idk", "none", "nobody", "no name", "hello", "hi",
        "hey", "thanks", "thank you", "qué", "que", "por qué", "por que", "porque", "quién",
        "quien", "no sé", "no se", "hola", "gracias", "buenas", "buenas tardes", "buenos días",
        "buenos dias", "buenas noches", "nadie", "ninguno",
    }
)  # fmt: skip
HONORIFICS = frozenset({"mr", "mrs", "ms", "mx", "dr", "sr", "sra", "srta", "prof", "rev"})
SPANISH_HINT_WORDS = frozenset(
    {
        "hola", "gracias", "espanol", "llamo", "nombre", "codigo", "quiero", "firmar", "ayuda",
        "usted", "ustedes", "acuerdo", "acepto", "estoy", "tambien", "por favor", "buenos dias",
        "buenas tardes", "buenas noches", "me llamo", "mi nombre", "codigo postal",
    }
)  # fmt: skip

_EDGE_CATEGORIES = ("P", "S", "Z", "C")
# Emoji presentation, skin tones and joiners: "👍🏽" and "✔️" should read as "👍" and "✔".
_EMOJI_NOISE = re.compile("[\ufe00-\ufe0f\u200d\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f]")


def normalize_word(text: str) -> str:
    """Reduce a whole message to the form keywords and command words are compared in."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    # A mark goes with the character before it: "❤️" is a heart and a variation selector.
    start, end = 0, len(folded)
    while start < end and (_is_edge(folded[start]) or _is_mark(folded[start])):
        start += 1
    while end > start:
        base = end - 1
        while base > start and _is_mark(folded[base]):
            base -= 1
        if not _is_edge(folded[base]):
            break
        end = base
    return " ".join(folded[start:end].split())


def plain(text: str) -> str:
    """Casefold, drop accents and unify apostrophes: how loose words are compared."""
    # Casefolded, without accents, with one kind of apostrophe: people type "mas" for "más".
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    bare = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(re.sub("[’‘ʼ`]", "'", bare).split())


def _is_edge(char: str) -> bool:
    return char.isspace() or unicodedata.category(char)[0] in _EDGE_CATEGORIES


def _is_mark(char: str) -> bool:
    return unicodedata.category(char)[0] == "M"


_GREETING = r"(?:hi|hello|hey|hola|buenas)"
_LEAD_IN_WORDS = (
    r"(?:my (?:full )?name(?:\s*['’]s| is)?|mi nombre(?: es)?|nombre(?: es)?|name(?: is)?"
    r"|it\s*['’]?s|it is|i\s*['’]?m|i am|this is|call me|(?:yo )?me llamo|(?:yo )?soy)"
)
_SEPARATORS = r"[\s:,.!\-–—]"
_LEAD_IN = re.compile(
    rf"^\W*(?:{_GREETING}{_SEPARATORS}+)?{_LEAD_IN_WORDS}(?={_SEPARATORS}|$){_SEPARATORS}*",
    re.IGNORECASE,
)
_LONE_GREETING = re.compile(rf"^\W*{_GREETING}\s*[,.!]+\s*", re.IGNORECASE)
_INNER_NAME_MARKS = frozenset("'’ʼ‘-‐‑–.,·・׳״\u05be\u200c\u200d ")
_INVISIBLE_JOINERS = frozenset("\u200c\u200d")  # inside Persian and Indic names
_WEB = re.compile(
    r"https?|www\.|\w\.(?:com|net|org|edu|gov|io|ly|info|biz|app|xyz|tv|gg|link|site|online"
    r"|shop|ru|cn|uk)\b",
    re.IGNORECASE,
)
_SUFFIXES_WITH_PERIOD = frozenset({"jr", "sr", "esq"})
_ROMAN_SUFFIXES = frozenset({"ii", "iii", "iv"})
_COMMANDS_AND_NOT_NAMES = OPT_OUT_KEYWORDS | OPT_IN_KEYWORDS | HELP_KEYWORDS | NOT_NAMES
MAX_NAME_LENGTH = 100


def parse_name(text: str) -> str | None:
    """Return the person's name a reply gives, or None if it does not look like one."""
    text = unicodedata.normalize("NFKC", text)
    if any(_refused_in_name(char) for char in text) or _WEB.search(text):
        return None
    text = " ".join(text.split())
    stripped = _LEAD_IN.sub("", text, count=1)
    if stripped == text:
        stripped = _LONE_GREETING.sub("", text, count=1)
    name = _strip_name_edges(stripped)
    if (
        not all(_is_name_letter(c) or c in _INNER_NAME_MARKS for c in name)
        or sum(unicodedata.category(c).startswith("L") for c in name) < 2
        or parse_yes_no(name) is not None
        or _command(name) in _COMMANDS_AND_NOT_NAMES
    ):
        return None
    name = _capitalized(name)
    return name if len(name) <= MAX_NAME_LENGTH else None


def _refused_in_name(char: str) -> bool:
    # Digits, addresses and questions are never part of a name; nor are invisible controls,
    # which could hide or reorder text where organizers read the names.
    category = unicodedata.category(char)
    if category[0] == "C":
        return char not in "\t\n\r" and char not in _INVISIBLE_JOINERS
    return category[0] == "N" or char in "@?¿"


def _is_name_letter(char: str) -> bool:
    # Variation selectors are marks too, but they dress up emoji, not letters.
    category = unicodedata.category(char)
    return category[0] == "L" or (category[0] == "M" and not _EMOJI_NOISE.match(char))


def _strip_name_edges(text: str) -> str:
    letters = [i for i, char in enumerate(text) if unicodedata.category(char).startswith("L")]
    if not letters:
        return ""
    start, end = letters[0], letters[-1] + 1
    # Keep the accents on the closing letter, but not the variation selector of an emoji.
    while end < len(text) and _is_mark(text[end]) and _is_name_letter(text[end]):
        end += 1
    name = text[start:end]
    words = name.split()
    # Keep the period of "Jr." and of a closing initial, as in "Jane Q."
    if end < len(text) and text[end] == "." and words:
        last = words[-1].casefold()
        if last in _SUFFIXES_WITH_PERIOD or (len(last) == 1 and last.isalpha()):
            name += "."
    return name


def _capitalized(name: str) -> str:
    # Respect the supporter's own capitals; fix only all-lowercase or all-caps Latin names.
    letters = [c for c in name if c.isalpha()]
    if not all(unicodedata.name(c, "").startswith("LATIN") for c in letters):
        return name
    if name not in (name.lower(), name.upper()):
        return name
    words = name.lower().split()
    return " ".join(_capitalized_word(word, i, len(words)) for i, word in enumerate(words))


def _capitalized_word(word: str, position: int, count: int) -> str:
    if 0 < position < count - 1 and word in NAME_PARTICLES:
        return word
    if position > 0 and word in _ROMAN_SUFFIXES:
        return word.upper()
    parts = re.split(r"([-'’ʼ‘])", word)
    for i in range(0, len(parts), 2):
        # After an apostrophe only a one-letter prefix (O'Brien, D'Angelo) starts a new
        # capital; "don't" and "ma'am" keep theirs.
        after_apostrophe = i > 0 and parts[i - 1] != "-"
        if not after_apostrophe or len(parts[i - 2]) == 1:
            parts[i] = _capitalized_part(parts[i])
    return "".join(parts)


def _capitalized_part(part: str) -> str:
    if part.startswith("mc") and len(part) > 3:
        return "Mc" + part[2].upper() + part[3:]
    return part[:1].title() + part[1:]


def first_name(name: str) -> str:
    """Return the word to greet a supporter with, from a name parse_name returned."""
    words = [word.strip(",") for word in name.split()]
    while len(words) > 1 and words[0].casefold().rstrip(".") in HONORIFICS:
        words = words[1:]
    return words[0] if words else ""


_ZIP_NUMBER = re.compile(r"\w+(?:[-–—‐‑./]\w+)*")
_ZIP = re.compile(r"([0-9]{5})(?:[-–—‐‑][0-9]{4})?")


def parse_zip(text: str) -> str | None:
    """Return the five-digit ZIP code a reply gives, or None if there is not exactly one."""
    # A number counts only whole: "1230303", "3O303" and "404-555-0123" hold no ZIP code.
    found = {
        match[1]
        for number in _ZIP_NUMBER.findall(unicodedata.normalize("NFKC", text))
        if (match := _ZIP.fullmatch(number))
    }
    return found.pop() if len(found) == 1 else None


_ANSWER_TOKEN = re.compile(r"\w+(?:['’]\w+)*")


def parse_yes_no(text: str) -> bool | None:
    """Return True for a yes, False for a no, and None for anything else."""
    folded = _EMOJI_NOISE.sub("", unicodedata.normalize("NFKC", text).casefold())
    if "?" in folded or "¿" in folded:
        return None  # a question is no answer: "yes?", "is this a scam?"
    words = [token.strip("'") for token in _ANSWER_TOKEN.findall(plain(folded))]
    votes = {char in YES_EMOJI for char in folded if char in YES_EMOJI or char in NO_EMOJI}
    if UNSAYING_WORDS.isdisjoint(words) and _says(words, _YES, _AFFIRMING):
        votes.add(True)
    elif _says(words, _NO, _COURTESY):
        votes.add(False)
    elif _says(words, frozenset(), _COURTESY) is None:
        return None  # a word that is neither an answer nor politeness: "maybe", "yesterday"
    return votes.pop() if len(votes) == 1 else None


def _says(words: list[str], answers: frozenset[str], fillers: frozenset[str]) -> bool | None:
    # Whether the words split wholly into answers and fillers (None if they don't), and
    # whether at least one piece was an answer: "yes i agree", "no thank you".
    reached: list[bool | None] = [False] + [None] * len(words)
    for start in range(len(words)):
        if reached[start] is None:
            continue
        for stop in range(start + 1, min(start + 4, len(words)) + 1):
            phrase = " ".join(words[start:stop])
            if phrase in answers:
                reached[stop] = True
            elif phrase in fillers and not reached[stop]:
                reached[stop] = reached[start]
    return reached[-1]


def _plain_set(words: frozenset[str]) -> frozenset[str]:
    return frozenset(plain(word) for word in words)


_YES, _NO, _COURTESY = _plain_set(YES_WORDS), _plain_set(NO_WORDS), _plain_set(COURTESY_WORDS)
_AFFIRMING = _COURTESY | _plain_set(AFFIRMING_WORDS)


# Words around a command that leave it a command: "stop please", "stop it now", "ya basta".
_FILLERS = re.compile(
    r"(?<= )(?:please|pls|plz|thanks|thank you|thx|now|it|por favor|gracias|ya)(?= )"
)


def _command(text: str) -> str:
    # Hyphens and periods vanish ("opt-out", "s.t.o.p"); other marks split words ("stop,please").
    word = "".join(
        "" if c == "." or unicodedata.category(c) == "Pd" else " " if _is_edge(c) else c
        for c in normalize_word(text)
    )
    padded = " " + " ".join(word.split()) + " "
    return " ".join(_FILLERS.sub(" ", padded).split())


def is_opt_in(text: str) -> bool:
    """Tell whether a message is a keyword asking to resume messages."""
    return _command(text) in OPT_IN_KEYWORDS


def is_help(text: str) -> bool:
    """Tell whether a message is a keyword asking for help."""
    return _command(text) in HELP_KEYWORDS


_WHO = re.compile(
    r"\b(?:who(?:'s| is| are| r)? (?:this|you|u|dis|texting)|who dis|whos this"
    r"|what(?:'s| is)? (?:this|dis)|whats this|is this (?:a )?(?:scam|real|legit|spam)"
    r"|how did (?:you|u|y'all) get (?:my|this) (?:number|#)|who gave (?:you|u) my number"
    r"|quien(?:es)? (?:es|eres|son|habla|me escribe)|que es esto"
    r"|de donde (?:sacaron|tienen|obtuvieron|sacan) mi numero|es (?:una )?estafa)\b"
)


def is_who_question(text: str) -> bool:
    """Tell whether a message asks who is texting, or what this is ("is this a scam?")."""
    return _WHO.search(plain(text)) is not None


def looks_spanish(text: str) -> bool:
    """Tell whether a reply is probably written in Spanish."""
    # Conservative on purpose: accents alone say nothing ("José Smith", "Zoë"), words do.
    folded = normalize_word(text)
    if "¿" in text or "¡" in text or folded in ("si", "sí") or re.search(r"\bsí\b|^soy\b", folded):
        return True
    words = re.sub(r"[^\w ]", " ", plain(text)).split()
    pairs = {" ".join(words[i : i + 2]) for i in range(len(words) - 1)}
    return not SPANISH_HINT_WORDS.isdisjoint({*words, *pairs})


class AddCommand(NamedTuple):
    """A volunteer's ``ADD <phone> <name> <ZIP>``, split as typed; a missing part is empty."""

    phone: str
    name: str
    zip_code: str


_ADD = re.compile(r"\W*add(?![\w'’])[\s:,;.\-–—]*(.*)", re.IGNORECASE | re.DOTALL)
# A phone as people write it: "(404) 555-0123", "404.555.0123", "+1 404 555 0123".
_PHONE_RUN = re.compile(r"\+?\(?\d[\d\s().\-–‐‑]*\d")
_TRAILING_ZIP = re.compile(r"\s+([0-9]{5}(?:[-–‐‑][0-9]{4})?)$")
MIN_PHONE_DIGITS = 7
LONGEST_NATIONAL_NUMBER = 10  # North America's; digits before a trailing ZIP make the phone


def parse_add(text: str) -> AddCommand | None:
    """Split a volunteer's ADD text into phone, name and ZIP; None if it is not an ADD."""
    found = _ADD.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if found is None:
        return None
    rest = " ".join(found[1].split())
    phone = next(
        (run for run in _PHONE_RUN.finditer(rest) if _digits(run[0]) >= MIN_PHONE_DIGITS), None
    )
    number, before, after = "", rest, ""
    if phone is not None:
        number, before, after = phone[0], rest[: phone.start()], rest[phone.end() :]
    # "ADD 4045550123 30303" runs phone and ZIP together: a ZIP after a whole number is a ZIP.
    zip_tail = _TRAILING_ZIP.search(number)
    if zip_tail and _digits(number[: zip_tail.start()]) >= LONGEST_NATIONAL_NUMBER:
        number, after = number[: zip_tail.start()], number[zip_tail.start() :] + after
    words = f"{before} {after}".split()
    zip_code = words.pop() if words and any(c.isdigit() for c in words[-1]) else ""
    return AddCommand(number.strip(), _edges(" ".join(words)), _edges(zip_code))


def is_add(text: str) -> bool:
    """Tell whether a message is a volunteer's ADD command (well formed or not)."""
    return _ADD.fullmatch(unicodedata.normalize("NFKC", text).strip()) is not None


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def _edges(text: str) -> str:
    return text.strip(" ,;:-–—")
