"""Word tables and deterministic text rewriting for perturbations.

No model is involved: every choice is drawn from a seeded `random.Random`, so one seed always
gives the same names, paraphrases, hints and error wording.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Collection, Mapping

# ---------------------------------------------------------------- names

_NAME_SYNONYMS: dict[str, tuple[str, ...]] = {
    "get": ("fetch", "retrieve", "obtain", "lookup", "pull"),
    "list": ("enumerate", "browse", "catalog", "scan"),
    "search": ("query", "seek", "lookup", "scan"),
    "find": ("locate", "seek", "query"),
    "create": ("make", "new", "register", "spawn"),
    "add": ("plus", "combine", "append", "sum"),
    "delete": ("remove", "drop", "purge", "erase"),
    "remove": ("drop", "discard", "purge", "erase"),
    "update": ("modify", "patch", "amend"),
    "set": ("assign", "put", "apply"),
    "send": ("dispatch", "transmit", "deliver"),
    "read": ("load", "view", "open"),
    "write": ("store", "save", "persist"),
    "run": ("exec", "invoke", "launch"),
    "check": ("verify", "inspect", "probe"),
    "greet": ("salute", "welcome", "hail"),
    "weather": ("climate", "conditions", "meteo"),
    "forecast": ("outlook", "projection", "prognosis"),
    "user": ("account", "member", "principal"),
    "file": ("document", "blob", "asset"),
    "files": ("documents", "blobs", "assets"),
    "item": ("entry", "element", "record"),
    "items": ("entries", "elements", "records"),
    "message": ("note", "memo", "post"),
    "event": ("occurrence", "entry", "slot"),
    "city": ("locale", "place", "town"),
    "location": ("place", "spot", "position"),
    "name": ("label", "handle", "ident"),
    "query": ("term", "expr", "needle"),
    "limit": ("cap", "top", "size"),
    "days": ("horizon", "span", "period"),
    "units": ("system", "measure", "scale"),
    "id": ("ref", "key", "handle"),
    "amount": ("value", "quantity", "sum"),
    "balance": ("funds", "holdings", "position"),
    "price": ("cost", "rate", "charge"),
    "date": ("day", "when"),
    "start": ("begin", "since"),
    "end": ("finish", "until"),
    "text": ("body", "content", "payload"),
    "path": ("location", "route"),
    "status": ("state", "phase"),
    "temperature": ("temp", "reading"),
    "info": ("details", "summary"),
    "a": ("x", "lhs", "first", "left"),
    "b": ("y", "rhs", "second", "right"),
    "x": ("a", "u", "horizontal"),
    "y": ("b", "v", "vertical"),
    "n": ("count", "num", "k"),
}

_FALLBACK_NAMES = ("value", "input", "operand", "target", "subject", "entry", "arg", "param")
_NAME_PREFIXES = ("api", "svc", "op", "do", "x")
_NAME_STYLES = ("snake", "camel", "pascal", "kebab")
_TOKEN_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_VOWELS = frozenset("aeiou")


def split_name(name: str) -> list[str]:
    """The lower-case word tokens of an identifier (`get_userName-v2` -> get, user, name, v, 2)."""
    return [token.lower() for token in _TOKEN_RE.findall(name)] or [name.lower()]


def _abbreviate(token: str) -> str:
    if len(token) <= 3:
        return token
    consonants = [ch for ch in token[1:] if ch not in _VOWELS]
    return (token[0] + "".join(consonants))[:4]


def _join(tokens: list[str], style: str) -> str:
    words = [word for token in tokens for word in token.split("_")]
    if style == "camel":
        return words[0] + "".join(word.capitalize() for word in words[1:])
    if style == "pascal":
        return "".join(word.capitalize() for word in words)
    if style == "kebab":
        return "-".join(words)
    return "_".join(words)


def fresh_name(rng: random.Random, original: str, taken: Collection[str], *, tool: bool) -> str:
    """A new identifier for `original`: synonyms for known words, abbreviations for others,
    another case style and (for tools, sometimes) a prefix. Never `original` nor in `taken`."""
    styles = _NAME_STYLES if tool else ("snake", "camel")
    tokens = split_name(original)
    for _ in range(20):
        words: list[str] = []
        for token in tokens:
            synonyms = _NAME_SYNONYMS.get(token)
            if synonyms:
                words.append(rng.choice(synonyms))
            else:
                words.append(rng.choice((token, _abbreviate(token))))
        if tool and rng.random() < 0.3:
            words.insert(0, rng.choice(_NAME_PREFIXES))
        candidate = _join(words, rng.choice(styles))
        if candidate != original and candidate not in taken and candidate[0].isalpha():
            return candidate
    pool = [name for name in _FALLBACK_NAMES if name not in taken and name != original]
    if pool:
        return rng.choice(pool)
    number = 2
    while f"arg{number}" in taken or f"arg{number}" == original:
        number += 1
    return f"arg{number}"


# ---------------------------------------------------------------- paraphrase

_TEXT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "get": ("fetch", "retrieve", "obtain"),
    "gets": ("fetches", "retrieves", "obtains"),
    "return": ("give back", "yield", "produce"),
    "returns": ("gives back", "yields", "produces"),
    "list": ("enumerate", "show"),
    "lists": ("enumerates", "shows"),
    "create": ("make", "set up"),
    "creates": ("makes", "sets up"),
    "delete": ("remove", "erase"),
    "deletes": ("removes", "erases"),
    "update": ("modify", "change"),
    "updates": ("modifies", "changes"),
    "search": ("look up", "query"),
    "searches": ("looks up", "queries"),
    "find": ("locate", "look up"),
    "finds": ("locates", "looks up"),
    "send": ("transmit", "dispatch"),
    "sends": ("transmits", "dispatches"),
    "add": ("sum", "combine"),
    "adds": ("sums", "combines"),
    "say": ("utter", "express"),
    "says": ("utters", "expresses"),
    "show": ("display", "present"),
    "shows": ("displays", "presents"),
    "check": ("verify", "inspect"),
    "checks": ("verifies", "inspects"),
    "use": ("employ", "utilize"),
    "numbers": ("values", "figures"),
    "number": ("count", "figure"),
    "city": ("town", "locale"),
    "name": ("label", "designation"),
    "weather": ("conditions", "climate"),
    "forecast": ("outlook", "prediction"),
    "optional": ("not required", "may be omitted"),
    "required": ("mandatory", "needed"),
    "default": ("fallback", "preset"),
    "maximum": ("upper bound", "largest allowed"),
    "minimum": ("lower bound", "smallest allowed"),
    "specified": ("given", "provided"),
    "given": ("provided", "supplied"),
    "user": ("account holder", "person"),
    "file": ("document",),
    "files": ("documents",),
    "item": ("entry",),
    "items": ("entries",),
    "result": ("outcome", "output"),
    "results": ("matches", "outcomes"),
    "current": ("present", "latest"),
    "information": ("details", "data"),
    "details": ("particulars", "information"),
    "temperature": ("temp", "heat reading"),
    "units": ("measurement system", "unit system"),
    "two": ("a pair of", "both"),
    "first": ("initial", "leading"),
    "second": ("next", "other"),
}

_WRAPPERS = (
    "{text}",
    "{text}",
    "In short: {text}",
    "Purpose: {text}",
    "{text} (See the parameters for details.)",
    "Overview - {text}",
)
_WORD_RE = re.compile(r"(?<![\w.])[A-Za-z]+(?![\w.])")
_ARTICLE_RE = re.compile(r"(The|A|An) ")
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def _match_case(original: str, replacement: str) -> str:
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[0].isupper():
        return replacement[0].upper() + replacement[1:]
    return replacement


def paraphrase(rng: random.Random, text: str, *, wrap: bool = True) -> str:
    """A deterministic paraphrase: synonyms for common words, sometimes the sentences of a
    short text in another order, and (with `wrap`) a wrapper phrase. Always differs from
    `text` unless it is blank."""
    if not text.strip():
        return text

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        synonyms = _TEXT_SYNONYMS.get(word.lower())
        if not synonyms or rng.random() < 0.2:
            return word
        return _match_case(word, rng.choice(synonyms))

    result = _WORD_RE.sub(swap, text.strip())
    sentences = _SENTENCE_RE.split(result)
    if 1 < len(sentences) <= 4 and "\n" not in result and rng.random() < 0.5:
        result = " ".join(sentences[1:] + sentences[:1])
    if wrap:
        result = rng.choice(_WRAPPERS).format(text=result)
    if result == text:
        article = _ARTICLE_RE.match(result)
        if article:
            result = f"Specifies {article.group(1).lower()}{result[article.end(1) :]}"
        else:
            result = f"In short: {result}"
    return result


# ---------------------------------------------------------------- misleading hints

TOOL_CLAIMS = (
    "Results are cached for 24 hours, so repeated calls return the same data.",
    "All numeric values are in imperial units.",
    "Times are given in UTC+02:00.",
    "Returns at most 5 results per call.",
    "Text matching is case-sensitive.",
    "Counts and positions start at 1.",
)
_UNITS = ("milliseconds", "kilometres", "cents", "percent (0-100)", "thousands")
_STRING_CLAIMS = (
    "Use upper case.",
    "Accepts a comma-separated list.",
    "Must be URL-encoded.",
)
_OPPOSITES = {
    "metric": "imperial",
    "imperial": "metric",
    "celsius": "fahrenheit",
    "fahrenheit": "celsius",
    "asc": "desc",
    "desc": "asc",
    "json": "text",
    "text": "json",
    "en": "fr",
}


def wrong_default(rng: random.Random, default: object) -> object:
    """A plausible default that differs from the real one."""
    if isinstance(default, bool):
        return not default
    if isinstance(default, int):
        return default + rng.choice((1, 4, 9)) if default else rng.choice((10, 25, 100))
    if isinstance(default, float):
        return default * rng.choice((10.0, 100.0, 0.1)) if default else 1.0
    if isinstance(default, str):
        if default.lower() in _OPPOSITES:
            return _OPPOSITES[default.lower()]
        return default.upper() if default.upper() != default else "auto"
    return "auto"


def param_claim(rng: random.Random, schema: Mapping[str, object], *, required: bool) -> str:
    """A plausible but false hint about one parameter, from what its schema says."""
    kind = schema.get("type")
    if "default" in schema:
        wrong = wrong_default(rng, schema["default"])
        rendered = wrong if isinstance(wrong, str) else repr(wrong).lower()
        return (
            f'Defaults to "{rendered}".' if isinstance(wrong, str) else f"Defaults to {rendered}."
        )
    if required and rng.random() < 0.4:
        return "Optional; the server picks a sensible value when omitted."
    if kind in ("integer", "number"):
        return f"Expressed in {rng.choice(_UNITS)}."
    if kind == "boolean":
        return "Defaults to true."
    if kind == "array":
        return "At most 3 elements are accepted."
    return rng.choice(_STRING_CLAIMS)


# ---------------------------------------------------------------- error wording

ERROR_TEMPLATES = (
    "E{code}: {message}",
    "error[{code}]: {message}",
    "Request failed ({code}) - {message}",
    "{message} [code {code}]",
    "FAILURE {code} :: {message}",
)
_ERROR_PHRASES: dict[str, tuple[str, ...]] = {
    "Error executing tool": ("Failure while running", "Problem invoking", "Could not complete"),
    "validation errors": ("input problems", "schema violations"),
    "validation error": ("input problem", "schema violation"),
    "Field required": ("missing value", "required but not given"),
    "Input should be": ("Expected", "Value needs to be"),
    "not found": ("does not exist", "is unavailable"),
    "Unknown": ("Unrecognised", "Unexpected"),
    "unknown": ("unrecognised", "unexpected"),
    "Invalid": ("Malformed", "Unacceptable"),
    "invalid": ("malformed", "unacceptable"),
    "must be": ("has to be", "needs to be"),
    "cannot": ("can not", "is unable to"),
    "Missing": ("Absent", "Not supplied:"),
    "missing": ("absent", "not supplied"),
}
_PYDANTIC_NOISE = re.compile(r"\n? *For further information visit \S+| *\[type=[^\]\n]*\]")


def error_phrases(rng: random.Random) -> dict[str, str]:
    """One replacement for each phrase that error texts commonly contain."""
    return {phrase: rng.choice(options) for phrase, options in _ERROR_PHRASES.items()}


def word_replacer(mapping: Mapping[str, str], *, min_length: int = 1) -> Callable[[str], str]:
    """A function that replaces whole-word occurrences of the mapping's keys, longest first,
    in one pass (so a replacement is never replaced again)."""
    keys = sorted((key for key in mapping if len(key) >= min_length), key=len, reverse=True)
    if not keys:
        return lambda text: text
    pattern = re.compile(
        r"(?<![A-Za-z0-9_])(?:" + "|".join(re.escape(key) for key in keys) + r")(?![A-Za-z0-9_])"
    )
    return lambda text: pattern.sub(lambda match: mapping[match.group(0)], text)


def reword_error(message: str, phrases: Mapping[str, str], template: str, code: int) -> str:
    """`message` in another wording: known phrases replaced, links to help pages dropped, and
    the whole set in the variant's error template."""
    text = _PYDANTIC_NOISE.sub("", message).strip()
    text = word_replacer(phrases)(text)
    return template.format(code=code, message=text)
