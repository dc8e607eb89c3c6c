"""Tell whether a text revokes consent to our texts, built to miss none.

Any reasonable means of revoking must be honored (the FCC's 2024 revocation order, 47 CFR
64.1200(a)(10)), and a wrongly ignored revocation costs $500 to $1,500 a text, while a wrongly
stopped supporter only has to text START. So a text that may be a revocation is one: a standard
keyword in any shape, revocation words anywhere in a sentence, a wrong number, a rude rejection,
in English or Spanish. What is *not* a revocation is a short, explicit list, tested in
``tests/conversations/revocations.tsv``:

- a negation just before the word: "don't stop", "can't stop", "never stop", "won't stop";
- the campaign's own cause as the word's object: "stop police face recognition" (the cause
  words come from the campaign, see ``cause_words``);
- a weak word (END, CANCEL, QUIT, ALTO…) that is not a request of its own: "the end of it",
  "cancel the contract", "el precio es alto".

Pure functions of the text, like ``conversations.parsing``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from conversations.parsing import OPT_OUT_KEYWORDS, plain

STOP_EMOJI = ("🛑", "⛔", "🚫")
# Revocation words anywhere in a sentence: nobody says them to a petition bot but to stop it.
STRONG_WORDS = frozenset(
    {"stop", "stopp", "stopall", "unsubscribe", "unsuscribe", "unsub", "optout", "revoke"}
)
# Words with an everyday meaning too ("the end", "cancel the contract", "el precio es alto"):
# a revocation when the clause is the word alone, with a lead-in ("I want to cancel") and an
# object that means us ("cancel my subscription", "end these texts").
WEAK_WORDS = frozenset(
    {
        "end", "quit", "cancel", "remove", "halt", "cease", "desist", "enough", "opt out",
        "no more", "stop all", "parar", "para", "paren", "pare", "alto", "basta", "baja", "fin",
        "salir", "cancelar", "cancela", "cancelen", "cancelo", "detener", "detengan",
        "no mas", "nomas", "ya no", "desuscribir", "desuscribirme",
    }
)  # fmt: skip
SPANISH_WORDS = frozenset(
    {
        "parar", "para", "paren", "pare", "alto", "basta", "baja", "fin", "salir", "cancelar",
        "cancela", "cancelen", "cancelo", "detener", "detengan", "no mas", "nomas", "ya no",
        "desuscribir", "desuscribirme",
    }
)  # fmt: skip
# One-edit typos count for these keywords only: shorter ones sit one letter from real words.
TYPO_KEYWORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "revoke", "optout", "cancelar", "detener"}
)
# Real words one edit from those keywords: not typos.
NEAR_MISSES = frozenset(
    {"step", "shop", "stoop", "atop", "slop", "stow", "top", "sop", "swop", "stomp", "cancer",
     "evoke", "revote", "revolve"}
)  # fmt: skip
NEGATIONS = frozenset(
    {
        "don't", "dont", "do not", "not", "never", "can't", "cant", "cannot", "won't", "wont",
        "didn't", "didnt", "shouldn't", "wouldn't", "couldn't", "doesn't", "doesnt", "mustn't",
        "non",
    }
)  # fmt: skip
# Words that may come before a weak word in a request: "I want to cancel", "ya basta".
LEAD_INS = frozenset(
    {
        "please", "pls", "plz", "just", "i", "we", "i'd", "id", "i'll", "ill", "want", "wanna",
        "to", "would", "like", "need", "how", "do", "can", "could", "you", "u", "ok", "okay",
        "so", "then", "now", "said", "already", "oh", "hey", "yes", "yeah", "that's", "thats",
        "let", "me", "lets", "let's", "and", "also", "ugh", "omg", "seriously", "quiero", "por",
        "favor", "ya", "solo", "porfa", "como", "puedo", "deseo", "necesito", "oye", "mejor",
    }
)  # fmt: skip
# Words that mean us, our texts, or nothing: an object or a tail that leaves a request one.
CONTACT_WORDS = frozenset(
    {
        "texts", "text", "txt", "txts", "texting", "messages", "message", "msgs", "msg", "sms",
        "messaging", "spam", "spamming", "subscription", "subscriptions", "membership", "list",
        "lists", "number", "phone", "conversation", "chat", "contact", "contacting", "sending",
        "calling", "calls", "writing", "write", "emailing", "bothering", "asking", "harassing",
        "harassment", "nonsense", "crap", "bs", "bullshit", "garbage", "junk", "mensajes",
        "mensaje", "textos", "suscripcion", "lista", "numero", "telefono", "me", "us", "my",
        "your", "this", "these", "that", "those", "it", "them", "bot",
    }
)  # fmt: skip
TRAILERS = CONTACT_WORDS | frozenset(
    {
        "all", "everything", "now", "already", "anymore", "any", "more", "please", "pls", "plz",
        "thanks", "thank", "you", "ty", "thx", "right", "away", "asap", "immediately", "the",
        "of", "from", "to", "with", "ok", "okay", "bye", "goodbye", "lol", "ya", "por", "favor",
        "gracias", "todo", "esto", "eso", "ahora", "mismo", "de", "la", "los", "las", "mis",
        "mi", "este", "estos", "servicio", "adios", "completely", "for", "good",
    }
)  # fmt: skip
# Skipped when looking for the object of a stop word: "stop the use of face recognition".
OBJECT_SKIPS = frozenset(
    {"the", "all", "of", "using", "use", "with", "a", "an", "el", "la", "los", "las", "de",
     "del", "uso", "usar", "and"}
)  # fmt: skip
# Short words of a campaign's texts that are no cause of their own.
COMMON_WORDS = frozenset(
    {
        "about", "after", "also", "anyone", "been", "being", "does", "down", "from", "have",
        "into", "more", "most", "must", "only", "other", "shut", "such", "tell", "than", "that",
        "their", "them", "then", "there", "these", "they", "this", "those", "until", "very",
        "were", "what", "when", "where", "which", "while", "will", "with", "your", "able",
        "para", "pidele", "pedirle", "hasta", "sobre", "como", "desde", "entre", "esta", "este",
        "estos", "todos", "todas", "donde", "cuando", "porque", "time", "real", "issue",
        "complete", "launch", "fixed", "mobile", "walking", "using", "folks",
    }
)  # fmt: skip
_WORD = re.compile(r"[\w*#']+")
_CLAUSE_BREAK = re.compile(r"[.,;:!?¡¿()\[\]\"\n]+|\s[-–—]+\s|\bbut\b|\bpero\b")


@dataclass(frozen=True)
class Revocation:
    """A text that revokes consent, and what it tells about the person."""

    spanish: bool = False  # said in Spanish words: confirm in Spanish
    wrong_number: bool = False  # the phone is someone else's now


def revocation(text: str, cause: frozenset[str] = frozenset()) -> Revocation | None:
    """Return the revocation a text makes, or None; ``cause`` holds the campaigns' cause words."""
    flat = _flat(text)
    wrong = _first(_WRONG_NUMBER, flat)
    if wrong is not None:
        return Revocation(spanish=wrong, wrong_number=True)
    keyword = _keyword_message(flat)
    if keyword is not None:
        return Revocation(spanish=keyword)
    for clause in _CLAUSE_BREAK.split(flat):
        words = _words(clause)
        said = _in_clause(words, cause)
        if said is not None:
            return Revocation(spanish=said)
    phrased = _first(_PHRASES, flat)
    return None if phrased is None else Revocation(spanish=phrased)


def cause_words(texts: Iterable[str]) -> frozenset[str]:
    """The words of a campaign's own texts (title, demands, calls) that name its cause."""
    return frozenset(
        word
        for text in texts
        for word in _words(_flat(text))
        if len(word) >= 4
        and word not in COMMON_WORDS
        and word not in TRAILERS
        and word not in STRONG_WORDS
        and word not in WEAK_WORDS
    )


def _flat(text: str) -> str:
    # Casefolded, without accents, a stop sign read as the word.
    folded = plain(text)
    for emoji in STOP_EMOJI:
        folded = folded.replace(emoji, " stop ")
    return folded


def _words(text: str) -> list[str]:
    words = (word.strip("*#'_") for word in _WORD.findall(text))
    return _joined([word for word in words if word])


def _joined(words: list[str]) -> list[str]:
    # "opt out", "no más", "stop all" are one word each: so they are found as one.
    joined: list[str] = []
    for word in words:
        pair = f"{joined[-1]} {word}" if joined else ""
        if pair in WEAK_WORDS or pair in NEGATIONS:
            joined[-1] = pair
        else:
            joined.append(word)
    return joined


def _keyword_message(flat: str) -> bool | None:
    """Whether the whole text is stop keywords (Spanish ones: True), in any shape; else None."""
    # Periods and hyphens vanish ("S.T.O.P", "opt-out"); "S T O P" is one word.
    words = _words(re.sub(r"[.\-‐‑–—]", "", flat))
    if len(words) >= 3 and all(len(word) == 1 for word in words):
        words = ["".join(words)]
    words = [word for word in words if word not in _FILLERS]
    found = [_keyword(word) for word in words]
    if not found or any(word is None for word in found):
        return None
    return any(found)


_FILLERS = frozenset(
    {"please", "pls", "plz", "now", "it", "thanks", "thank", "you", "thx", "ty", "por", "favor",
     "gracias", "ya", "just", "i", "said", "already", "asap"}
)  # fmt: skip
_KEYWORDS = {word.replace(" ", "") for word in OPT_OUT_KEYWORDS} | STRONG_WORDS | WEAK_WORDS


def _keyword(word: str) -> bool | None:
    """Whether ``word`` is a stop keyword, or one typo from one (Spanish: True); else None."""
    if word in _KEYWORDS:
        return word in SPANISH_WORDS
    if len(word) < 3 or word in NEAR_MISSES:
        return None
    typo_of = [keyword for keyword in TYPO_KEYWORDS if _one_edit(word, keyword)]
    return typo_of[0] in SPANISH_WORDS if len(typo_of) == 1 else None


def _one_edit(typed: str, word: str) -> bool:
    """Whether one insertion, deletion, substitution or swap of neighbors makes one the other."""
    if typed == word or abs(len(typed) - len(word)) > 1:
        return False
    start = 0
    while start < min(len(typed), len(word)) and typed[start] == word[start]:
        start += 1
    a, b = typed[start:], word[start:]
    return (
        a[1:] == b[1:]  # substitution
        or a[1:] == b  # an extra letter
        or a == b[1:]  # a missing letter
        or (len(a) >= 2 and a[0] == b[1:2] and a[1] == b[0] and a[2:] == b[2:])  # a swap
    )


def _in_clause(words: list[str], cause: frozenset[str]) -> bool | None:
    """Whether one clause revokes (Spanish words: True); None if it does not."""
    for i, word in enumerate(words):
        if word in STRONG_WORDS:
            if not _negated(words, i) and not _about_cause(words[i + 1 :], cause):
                return False
        elif word in WEAK_WORDS:
            before, after = words[:i], words[i + 1 :]
            if (
                all(w in LEAD_INS for w in before)
                and all(w in TRAILERS for w in after)
                and not _negated(words, i)
            ):
                return word in SPANISH_WORDS
    return None


def _negated(words: list[str], i: int) -> bool:
    # "don't stop fighting", "never ever stop"; but "you never stop texting me" complains.
    before = [w for w in words[:i] if w != "ever"]
    if not before or before[-1] not in NEGATIONS:
        return False
    complaint = len(before) >= 2 and before[-2] in {"you", "u", "y'all", "yall"}
    return not (complaint and any(w in CONTACT_WORDS for w in words[i + 1 :]))


def _about_cause(after: list[str], cause: frozenset[str]) -> bool:
    # "stop police face recognition" is the campaign's own call; "stop texting me about it"
    # is not, whatever follows.
    content = [w for w in after if w not in OBJECT_SKIPS][:1]
    return any(word in cause or word.rstrip("s") in cause for word in content)


def _first(patterns: tuple[tuple[re.Pattern[str], bool], ...], flat: str) -> bool | None:
    """Whether a pattern matches (a Spanish one: True), or None if none does."""
    return next((spanish for pattern, spanish in patterns if pattern.search(flat)), None)


def _patterns(spanish: bool, *patterns: str) -> tuple[tuple[re.Pattern[str], bool], ...]:
    return tuple((re.compile(pattern), spanish) for pattern in patterns)


_OWNER = r"\w+(?:'s|s)?"
_WRONG_NUMBER = _patterns(
    False,
    r"\bwrong\s*(?:number|numbr|num\b|no\b|#|phone|person|cell|contact|guy|girl|lady)",
    r"\bnot the (?:right|correct) (?:number|person)\b",
    rf"\b(?:this|that|it) (?:is not|isn't|isnt|ain't|aint|is no longer) {_OWNER}"
    r" (?:number|phone|cell)\b",
    r"\bno (?:one|body) (?:here )?(?:by|named|called) ",
) + _patterns(
    True,
    r"\bnumero (?:equivocado|incorrecto|errado|erroneo|equivocao)\b",
    r"\bequivoca\w* (?:de|el) (?:numero|persona)\b",
    r"\bpersona equivocada\b",
    r"\beste (?:numero|telefono) (?:ya )?no es (?:de|del)\b",
)
_TEXTS = r"(?:text messages?|texts?|txts?|messages?|msgs?|sms|spam)"
_NOT_NEGATED = r"(?<!don't )(?<!dont )(?<!not )(?<!never )"
_PHRASES = _patterns(
    False,
    # Asking to be dropped, or for the texts to stop.
    rf"{_NOT_NEGATED}\b(?:quit|cease) (?:texting|txting|messaging|msging|spamming)\b",
    rf"{_NOT_NEGATED}\b(?:remove|delete|drop|erase|lose|forget|trash|toss) (?:me|us|my|our|this)"
    r"(?: (?:phone|cell))?(?: (?:number|#|num|info|information|name|contact|details))?\b",
    r"\btake (?:me|us|my (?:phone |cell )?(?:number|name|info)) off\b",
    r"\boff (?:this|your|the|ur|that|of (?:this|your|the)) (?:\w+ )?list\b",
    r"\bopt (?:me|us) out\b",
    r"\b(?:i|i'd|id|i'm|im|we|we'd)(?: [\w']+){0,3} opt[ -]?out\b",
    r"\bcancel (?:my|the|this) subscription\b",
    r"\bleave (?:me|us)(?: the \S+)? alone\b",
    r"\b(?:do not|don't|dont|never) (?:ever )?(?:text|txt|message|msg|contact|call|email|sms"
    r"|bother|spam|write(?: to)?|send)(?: (?:me|us|this number|anything|another))\b",
    rf"\bno more (?:{_TEXTS}|texting|messaging)\b",
    r"\b(?:don't|do not|dont|no longer) (?:want|wish|need)(?: to (?:get|receive|be))?"
    rf"(?: (?:any|these|your|the|more|further|anymore|on))* (?:{_TEXTS}|list|this list)\b",
    # Consent taken back, or never given.
    r"\b(?:withdraw|withdrawing|take back|taking back) (?:my |our )?(?:consent|permission)\b",
    r"\b(?:never|didn't|didnt|did not|haven't|havent|have not|don't remember|dont remember)"
    r"(?: \w+){0,2} (?:sign(?:ed|ing)? up|subscribed?|opt(?:ed)? in|agreed? to|consent(?:ed)?"
    r"|ask(?:ed)? (?:for|to)|gave (?:you|u|anyone) (?:my|this))\b",
    r"\b(?:not|no longer|never been) interested\b",
    # Rude rejections: a reasonable person reads them as "stop".
    r"\b(?:f|ff|fk|fck|fuk|fuc|fuck|fucc|fuq|frick|frig|eff|f\*+|f\*+k|fu\*+|f\*+ck)(?:ing|in)?"
    r" (?:off|you|u|yourself|urself|this|outta)\b",
    r"\bgo (?:away|to hell|die|\S+ yourself)\b",
    r"\b(?:piss|bugger|buzz|bug|sod|back|f|fuck) off\b",
    r"\bscrew (?:you|u|off|this)\b",
    r"\bshut (?:up|the)\b",
    r"\b(?:stfu|gtfo|foad|fuckoff|fuckyou)\b",
    r"\bget lost\b",
    r"\bbite me\b",
    # Telling us they treat it as spam.
    r"\b(?:this is|this's|that's|thats|it's|its|ur|you're|youre|you are|pure|stupid|more|such"
    r"|annoying|fucking) spam\b",
    r"^\W*spam\W*$",
    r"\bspamm(?:er|ers|ing)\b",
    r"\b(?:block|blocking|blocked|report|reporting|reported) (?:you|u|this|your|the|it)\b",
    r"\b(?:report(?:ed|ing)?|mark(?:ed|ing)?)(?: \w+){0,2} as spam\b",
) + _patterns(
    True,
    r"\b(?:darme|dame|denme|deme|dar|darse|me doy|me den|quiero la|la) de baja\b",
    r"(?<!no )\b(?:dejen|deja|deje|dejar|dejad|paren|para|pare|parar) de (?:escribir|mandar|enviar"
    r"|contactar|molestar|textear|llamar|joder|chingar)(?:me|nos)?\b",
    r"\b(?:saca|saque|saquen|quita|quite|quiten|borra|borre|borren|elimina|elimine|eliminen"
    r"|sacar|quitar|borrar|eliminar)(?:me|nos)\b",
    r"\b(?:saca|saque|saquen|quita|quite|quiten|borra|borre|borren|elimina|elimine|eliminen"
    r"|pierdan|olviden)(?:n)? (?:mi|este|nuestro) (?:numero|telefono|contacto)\b",
    r"\bcancel(?:ar|en|a|e|o)? (?:mi |la |su )?(?:suscripcion|subscripcion)\b",
    r"\bno me (?:escriban|escribas|escriba|manden|mandes|mande|envien|envies|envie"
    r"|contacten|contactes|contacte|molesten|molestes|moleste|textees|texteen|llamen|jodan"
    r"|jodas|chinguen|interesa)\b",
    r"\bno (?:quiero|quiere|queremos|deseo|deseamos)(?: recibir)?"
    r"(?: (?:mas|ningun|ningunos|sus|estos|los|tus|otros))* (?:mensajes?|textos?|sms|msjs)\b",
    r"\bno mas (?:mensajes|textos|sms|msjs)\b",
    r"\bdej(?:a|e|en|ad)(?:me|nos)? en paz\b",
    r"\bno estoy interesad[oa]\b",
    r"\b(?:retiro|revoco|cancelo|quito) (?:mi )?(?:consentimiento|permiso|autorizacion)\b",
    r"\b(?:nunca|yo no) (?:me )?(?:inscribi|suscribi|registre|pedi|di mi numero|acepte)",
    r"\b(?:vete|vayanse|vayase|vallanse) (?:a la (?:mierda|chingada|verga)|al carajo)\b",
    r"\bchinga(?: a)? (?:tu|su) madre\b",
    r"\b(?:que te|que se) jodan\b",
)
