"""The ``gazetteer`` annotator: people, places and organisations found with a
lexicon shipped as data (``transforms/data/gazetteer.json``), no downloads.

* Text is split into camel-tools' ``simple_word_tokenize`` tokens, with
  their character offsets (``transforms.text.token_lines``).
* Tokens are compared on their matching keys (diacritics, alef, yeh and teh
  marbuta folded), longest alias first, through the proclitics و ف ب ل ك
  and لل (``وبكين``, ``لفلاديمير``, ``بالصين``, ``للصين``).
* Names missing from the lexicon are caught by context: a title before a
  person (``الرئيس``, ``وزير الخارجية``), a cue word before an organisation
  (``وكالة``, ``حزب``) or a place (``مدينة``, ``العاصمة``). Later mentions of
  such a name in the same article (a surname alone) get the same entity.
* Nationality adjectives (``الروسي``, ``الصينية``) are never entities, even
  where one is spelled like a country (``الحكومة السعودية``).

Mentions never include a proclitic, except the لل forms, which have no
clean split (``للصين`` stays whole), as in the dev set's convention.
"""

import functools
import pathlib
import re
from dataclasses import dataclass

import numpy as np

from camel_tools.utils.dediac import dediac_ar

from transforms.files import load_extended_json
from transforms.text import matching_key, tokens_and_line_ends, tokens_with_offsets, word_key

DEFAULT_GAZETTEER = pathlib.Path(__file__).parent / "data" / "gazetteer.json"
ANNOTATOR = "gazetteer"
PERSON, PLACE, ORGANIZATION = "PER", "LOC", "ORG"

# Proclitic letters a name may carry, longest first; "ل" before "ال" is
# spelled "لل" and is handled apart.
_PROCLITICS = ("وب", "ول", "وك", "فب", "فل", "فك", "و", "ف", "ب", "ل", "ك")
_MAX_NAME_TOKENS = 4
_ARABIC_OR_LATIN_LETTER = re.compile(r"[\u0621-\u064aa-zA-Z]")
_TANWEEN = ("\u064b", "\u064c", "\u064d")


@dataclass(frozen=True)
class Entity:
    entity_id: str
    label: str
    canonical: str


@dataclass(frozen=True)
class Mention:
    start_char: int
    end_char: int
    label: str
    canonical: str
    entity_id: str


class _Memo(dict):
    """``compute(item)`` for each distinct item, computed once (a corpus
    repeats its words); emptied when it holds ``limit`` items. Look many up
    at once with ``list(map(memo.__getitem__, items))``."""

    def __init__(self, compute, limit=500_000):
        super().__init__()
        self.compute = compute
        self.limit = limit

    def __missing__(self, item):
        if len(self) >= self.limit:
            self.clear()
        value = self[item] = self.compute(item)
        return value


def _token_key(token):
    return word_key(token) if _ARABIC_OR_LATIN_LETTER.search(token) else ""


def lookup_forms(key):
    """``[(stripped_letters, form)]``: the key as written, then without each
    proclitic it may carry (``وبكين`` -> ``بكين``, ``للصين`` -> ``الصين``).
    ``stripped_letters`` is how many letters the mention leaves out (a لل
    form keeps its لل: ``وللصين`` -> ``للصين``)."""
    return list(_proclitic_forms(key))


@functools.lru_cache(maxsize=200_000)
def _proclitic_forms(key):
    """``lookup_forms``, memoised (a corpus repeats its words)."""
    forms = [(0, key)]
    for prefix in _PROCLITICS if key else ():
        if key.startswith(prefix) and len(key) - len(prefix) >= 2:
            rest = key[len(prefix):]
            forms.append((len(prefix), rest))
            if prefix.endswith("ل") and rest.startswith("ل") and not rest.startswith("ال"):
                forms.append((len(prefix) - 1, "ا" + rest))  # the لل of "وللصين" stays
    return tuple(forms)


def _phrase_index(phrases):
    """``_by_first_key`` of phrases (titles, cues)."""
    return _by_first_key({keys: True for keys in (tuple(matching_key(phrase).split()) for phrase in phrases) if keys})


def load_spec(extra_path=None):
    """The shipped lexicon, plus a user's file (same keys; lists added)."""
    return load_extended_json(DEFAULT_GAZETTEER, extra_path)


def _by_first_key(names):
    """``{key_tuple: value}`` indexed by first key: ``{first: [(length,
    {rest: value})]}``, the rest of each name grouped by its length, longest
    first, so that finding the longest name costs one lookup per length,
    however many names share a first word (``وزير ...``)."""
    index = {}
    for keys, value in names.items():
        index.setdefault(keys[0], {}).setdefault(len(keys) - 1, {})[keys[1:]] = value
    return {first: sorted(by_length.items(), reverse=True) for first, by_length in index.items()}


def _longest_name(index, form, keys, after, longer_than=-1):
    """``(length, value)`` of the longest name of ``index`` that is ``form``
    followed by ``keys[after:after + length]``, with ``length`` greater than
    ``longer_than``; None when there is none."""
    for length, by_rest in index.get(form, ()):
        if length <= longer_than:
            return None
        value = by_rest.get(tuple(keys[after:after + length]))
        if value is not None:
            return length, value
    return None


class Gazetteer:
    """The compiled lexicon and context words; ``find`` annotates a text."""

    def __init__(self, spec):
        aliases = {}
        for entry in spec["entities"]:
            entity = Entity(entry["id"], entry["label"], entry["canonical"])
            for name in [entry["canonical"], *entry.get("aliases", [])]:
                keys = tuple(matching_key(name).split())
                if keys:
                    # a later entry (a user's file) wins over the shipped one
                    aliases[keys] = entity
        self.aliases = _by_first_key(aliases)
        self.adjectives = frozenset(matching_key(a) for a in spec["nationality_adjectives"])
        self.titles = _phrase_index(spec["person_titles"])
        self.organization_cues = frozenset(matching_key(c) for c in spec["organization_cues"])
        self.place_cues = _phrase_index(spec["place_cues"])
        self.facility_cues = _phrase_index(spec["facility_cues"])
        self.definite_organization_cues = frozenset(matching_key(c) for c in spec["definite_organization_cues"])
        # "الشركة السعودية" is any Saudi company, "البورصة المصرية" one exchange
        self.generic_definite_cues = frozenset(matching_key(c) for c in spec.get("generic_definite_cues", []))
        self.weak_organization_cues = frozenset(matching_key(c) for c in spec.get("weak_organization_cues", []))
        self.descriptors = frozenset(matching_key(c) for c in spec.get("descriptor_words", []))
        self.place_heads = frozenset(matching_key(h) for h in spec["place_name_heads"])
        self.connectors = frozenset(matching_key(c) for c in spec["name_connectors"])
        # the second half of a compound name: "جمال الدين", "نصر الله"
        self.compound_ends = frozenset(matching_key(c) for c in spec.get("compound_name_ends", []))
        # first names that are also ordinary words ("كريم", "جمال") start a name
        # only where the next word is evidence of one; inside a name they count
        self.ambiguous_first_names = frozenset(matching_key(n) for n in spec.get("ambiguous_first_names", []))
        all_first_names = [*spec["first_names"], *spec.get("ambiguous_first_names", [])]
        self.first_names = frozenset(map(matching_key, all_first_names)) | {"عبد"}
        # "علي" is a name, "على" a preposition; "مصطفى" is a name either way
        # unless the ى spelling is listed too ("ليلى" beside "ليلي")
        in_alef_maqsura = {matching_key(n) for n in all_first_names if dediac_ar(n).endswith("ى")}
        self.first_names_in_yeh = frozenset(
            matching_key(n) for n in all_first_names if dediac_ar(n).endswith("ي")) - in_alef_maqsura
        self.family_names = frozenset(matching_key(n) for n in spec.get("family_names", []))
        self.not_names = frozenset(w for phrase in spec["not_names"] for w in matching_key(phrase).split())
        self.stop_words = frozenset(matching_key(w) for w in spec.get("stop_words", []))
        self.common_words = frozenset(map(word_key, spec.get("common_words", [])))
        self.token_keys = _Memo(_token_key)
        self.start_forms = _Memo(self._start_forms)

    @classmethod
    def load(cls, extra_path=None):
        return cls(load_spec(extra_path))

    @classmethod
    @functools.lru_cache(maxsize=4)
    def shared(cls, extra_path=None):
        """One compiled lexicon per worker process, with its caches warm,
        however many DoFn instances the runner makes."""
        return cls.load(extra_path)

    def forms(self, key):
        """The ``lookup_forms`` of a token key that start an alias, a title or
        a cue; most tokens have none."""
        return self.start_forms[key]

    def _start_forms(self, key):
        return tuple(
            (stripped, form) for stripped, form in _proclitic_forms(key)
            if form in self.aliases or form in self.titles or form in self.place_cues
            or form in self.organization_cues or form in self.facility_cues or form in self.first_names
            or form in self.definite_organization_cues or form in self.weak_organization_cues
        )

    def resolve_span(self, name):
        """``(entity, stripped_chars)``: the lexicon entity a whole span
        stands for, through a proclitic it may carry (``وبكين``), and how many
        leading characters that proclitic takes; ``(None, 0)`` when none.
        How model-found mentions get canonical names and ids."""
        tokens = [token for token in tokens_with_offsets(name) if self.token_keys[token[0]]]
        keys = tuple(self.token_keys[token] for token, _, _ in tokens)
        if not keys:
            return None, 0
        for stripped, form in _proclitic_forms(keys[0]):
            entity = dict(self.aliases.get(form, ())).get(len(keys) - 1, {}).get(keys[1:])
            if entity is not None:
                return entity, tokens[0][1] + _written_length(tokens[0][0], stripped)
        return None, 0

    def find(self, text):
        """Every mention in ``text``, in order, as ``Mention``s. Names never
        run across a line break; names learned on one line are found on all.

        The whole text is keyed at once, and the rules run only where a
        token may start a name (a few in a hundred)."""
        tokens, line_ends = tokens_and_line_ends(text)
        if "-" in text:
            tokens, line_ends = _without_inner_hyphens(tokens, line_ends)
        keys = list(map(self.token_keys.__getitem__, [token for token, _, _ in tokens]))
        starts = [position for position, forms in enumerate(map(self.start_forms.__getitem__, keys)) if forms]
        mentions, learned = [], {}
        for first, end, line_starts in _lines_holding(starts, line_ends):
            self._find_in_line(text, tokens[first:end], keys[first:end], line_starts, mentions, learned)
        if learned:
            mentions = self._add_learned(mentions, learned, tokens, keys, line_ends)
        return mentions

    def _find_in_line(self, text, tokens, keys, starts, mentions, learned):
        """The mentions of one line, trying the rules at ``starts``."""
        free = 0  # where the last mention ended
        for position in starts:
            if position < free:
                continue
            found = self._lexicon_match(tokens, keys, position) or self._context_match(tokens, keys, position)
            if not found:
                continue
            found_here, free = found
            for mention in found_here if isinstance(found_here, tuple) else (found_here,):
                if mention is not None:
                    mentions.append(mention)
                    if mention.entity_id is None:
                        self._learn(learned, text, tokens, keys, mention)

    # -- the lexicon ---------------------------------------------------------

    def _lexicon_match(self, tokens, keys, position):
        """``(mention, next_position)`` of the longest alias starting here, or
        None. An adjective spelled like a country after a definite noun is
        skipped (``(None, next_position)``)."""
        best = None
        for stripped, form in self.forms(keys[position]):
            found = _longest_name(self.aliases, form, keys, position + 1, best[0] if best else -1)
            if found is not None:
                best = (found[0], stripped, found[1])
        if best is None:
            return None
        rest_length, stripped, entity = best
        end = position + 1 + rest_length
        if rest_length == 0 and stripped == 0 and keys[position] in self.adjectives and self._after_definite_noun(keys, tokens, position):
            return None, end
        return self._mention(tokens, position, end, stripped, entity.label, entity.canonical, entity.entity_id), end

    @staticmethod
    def _after_definite_noun(keys, tokens, position):
        previous = position - 1
        return (previous >= 0 and tokens[previous][2] + 1 >= tokens[position][1]
                and any(form.startswith("ال") for _, form in _proclitic_forms(keys[previous])))

    @staticmethod
    def _mention(tokens, first, end, stripped, label, canonical, entity_id):
        token, start, _ = tokens[first]
        start += _written_length(token, stripped)
        last_end = tokens[end - 1][2]
        return Mention(start, last_end, label, canonical, entity_id)

    # -- context rules ---------------------------------------------------------

    def _context_match(self, tokens, keys, position):
        """A name the lexicon lacks, recognised by the words before it:
        ``(mention_or_None, next_position)``, or None when no cue is here."""
        for stripped, form in self.forms(keys[position]):
            end = self._phrase_end(self.titles, form, keys, position)
            if end is not None:
                body = self._organization_in_title(tokens, keys, position + 1)
                if body is None:
                    return self._person_after(tokens, keys, end)
                organization, body_end = body  # "رئيس مجلس النواب نبيه بري": a body and a person
                person, next_position = self._person_after(tokens, keys, max(end, body_end))
                return (organization, person), next_position
            end = self._phrase_end(self.place_cues, form, keys, position)
            if end is not None:
                return self._place_after(tokens, keys, end)
            end = self._phrase_end(self.facility_cues, form, keys, position)
            if end is not None:
                return self._facility_from(tokens, keys, position, end, stripped)
            if form in self.organization_cues:
                return self._organization_from(tokens, keys, position, stripped, descriptor=form in self.descriptors)
            if form in self.definite_organization_cues and position + 1 < len(keys) and keys[position + 1].startswith("ال"):
                return self._organization_from(tokens, keys, position, stripped, definite=True)
            if form in self.weak_organization_cues:
                return self._organization_from(tokens, keys, position, stripped, weak=True)
            if form in self.first_names and not self._preposition_like(tokens[position][0], form) \
                    and not (stripped and self._whole_word(keys[position], stripped)) \
                    and (form not in self.ambiguous_first_names or self._name_word_follows(keys, position + 1)):
                return self._person_after(tokens, keys, position, stripped, after_title=False)
        return None

    def _organization_in_title(self, tokens, keys, position):
        """``(mention, end)`` of the body a title names right after its head
        ("رئيس [مجلس النواب]", "محافظ [البنك المركزي اليمني]"), or None."""
        if position >= len(keys):
            return None
        known = self._lexicon_match(tokens, keys, position)
        if known is not None and known[0] is not None:
            return known if known[0].label == ORGANIZATION else None
        key = keys[position]
        definite = key in self.definite_organization_cues and position + 1 < len(keys) and keys[position + 1].startswith("ال")
        if key in self.organization_cues and key not in self.descriptors or definite:
            mention, end = self._organization_from(tokens, keys, position, 0, definite=key not in self.organization_cues)
            return None if mention is None else (mention, end)
        return None

    def _name_word_follows(self, keys, position):
        """After a first name that is also a word: another first name
        (``كريم فتحي``), a nisba (``سمير الطرابلسي``) or a word too rare to
        be an ordinary one (``جمال سجاتي``), not ``أمل جديد``."""
        if position >= len(keys):
            return False
        key = keys[position]
        if key in self.first_names or key in self.family_names or key.startswith("ال") and key.endswith("ي") and len(key) > 4:
            return True
        return self._is_plain_word(key) and not key.startswith("و") and key not in self.common_words

    def _preposition_like(self, token, key):
        """``على`` (a preposition) folds like ``علي`` (a name): the written final
        letter tells them apart for a first name spelled with ي."""
        return key in self.first_names_in_yeh and dediac_ar(token).rstrip("\u0640").endswith("ى")

    def _whole_word(self, key, stripped):
        """A word that only looks like a proclitic before a first name: a
        first name itself (``بسام``, not ب + ``سام``) or a common word
        (``كريم``, not ك + ``ريم``)."""
        return key in self.first_names or key in self.common_words and key[:stripped] != "و"

    @staticmethod
    def _phrase_end(index, form, keys, position):
        found = _longest_name(index, form, keys, position + 1)
        return None if found is None else position + 1 + found[0]

    def _is_plain_word(self, key):
        """A word that may be part of a name: not a function word, a title,
        a cue, an adjective or a word that follows titles."""
        return bool(key) and not (
            key in self.stop_words or key in self.not_names or key in self.adjectives or key in self.titles
            or key in self.organization_cues or key in self.place_cues or key in self.facility_cues
        )

    def _skip_descriptors(self, keys, position):
        """Past the nationality adjectives, "السابق"-like words and a second
        title ("الكاتب والصحافي") after a cue."""
        while position < len(keys) and (
            keys[position] in self.adjectives or (keys[position] in self.not_names and keys[position].startswith("ال"))
            or keys[position].startswith("وال") and keys[position][1:] in self.titles
        ):
            position += 1
        return position

    def _known_here(self, tokens, keys, position):
        match = self._lexicon_match(tokens, keys, position)
        return match is not None and match[0] is not None

    def _person_after(self, tokens, keys, position, stripped=0, after_title=True):
        """A person's name after a title (``الرئيس الفرنسي`` ...) or starting
        with a known first name: two words, more when joined by بن/عبد/أبو,
        ending in a family name (``الدسوقي``) or ending cleanly before
        punctuation or a function word; one word is too often not a name."""
        if after_title:
            position = self._skip_descriptors(keys, position)
        if position >= len(keys) or self._known_here(tokens, keys, position):
            return None, position + (not after_title)
        end, connectors = position, 0
        while end < len(keys) and end - position - connectors < _MAX_NAME_TOKENS:
            key = self.forms(keys[end])[0][1] if end == position and stripped else keys[end]
            joined = end > position and (keys[end - 1] in self.connectors or key in self.compound_ends)
            # a family name: "الدسوقي", or any definite word that ends the name ("مصطفى التراب إن")
            family = end > position and key.startswith("ال") and self._is_plain_word(key) and (
                (key.endswith("ي") and len(key) > 4) or self._ends_name(keys, end + 1))
            written = tokens[end][0]
            known_first = key in self.first_names and not self._preposition_like(written, key)
            # the article is spelled "ال": "إلكا" folds like it but is a name
            definite = dediac_ar(written).startswith(("ال", "لل"))
            plain = self._is_plain_word(key) and not definite or known_first
            if end == position and not known_first and dediac_ar(written).endswith("ة"):
                break  # a feminine noun ("ضرورة"), not a first name
            if self._conjunction(key) and not (joined or known_first or key in self.connectors):
                break  # a conjunction: the name has ended
            if end > position and not known_first and not definite and _verb_or_possessive(written):
                break
            after_connector = joined and key.startswith("ال") and self._is_plain_word(key)
            # a family name that is also a word or a title ("مازن القاضي،", "حسن الخطيب ووزير")
            surname = end == position + 1 and (not after_title or keys[position] in self.first_names) \
                and key.startswith("ال") \
                and key not in self.stop_words and self._name_ends_after(tokens, keys, end + 1)
            known = self._lexicon_match(tokens, keys, end) if end > position else None
            if known is not None and known[0] is not None and known[0].label == PERSON \
                    and matching_key(known[0].canonical).split()[0] != key:
                # the chain ends in a known person's family name: that person if the
                # first names agree ("ياسر بن عثمان الرميان"), else another one
                # ("إبراهيم نصر الله" is not "حسن نصر الله")
                same = matching_key(known[0].canonical).split()[0] == (self.forms(keys[position])[0][1] if stripped else keys[position])
                return self._mention(tokens, position, known[1], stripped, PERSON, *(
                    (known[0].canonical, known[0].entity_id) if same else (None, None))), known[1]
            if not (plain or family or after_connector or surname or key in self.connectors) \
                    or self._known_here(tokens, keys, end):
                break
            patronymic = end - position == 2 and keys[end - 1] in self.first_names
            if end - position >= 2 and not (joined or family or patronymic or key in self.connectors
                                            or self._ends_name(keys, end + 1)):
                break
            if end - position >= 2 and key.startswith("ال") and not (joined or key in self.connectors) and (
                    not family or key in self.common_words and not key.endswith("ي")):
                break  # "فيصل البدري النتيجة": a third definite word is a nisba or a rare name
            if end > position and not (joined or known_first) and key.startswith(("بال", "كال", "فال")) \
                    and key[1:] in self.common_words:
                break  # "فتحي بالوفد", not "إلكا فالتونين"
            if end > position and written[-1:] in _TANWEEN:
                break  # "خامساً": an adverb, never a name
            if (end - position >= 2 or after_title) and not (joined or known_first or key in self.connectors) \
                    and self._common_word_shape(key, first=end == position):
                break  # "ناجي عيسى لضبط", "شارل لوكلير خامسا", "الفريق يسير بثقة": not a name
            # "أحمد بن سعيد آل مكتوم", "محمد نور الدين": chains are long
            connectors += key in self.connectors or key in self.compound_ends
            end += 1
        while end > position and keys[end - 1] in self.connectors:
            end -= 1
        if end - position < 2:
            # no name: look again from the word after the title (or the first name)
            return None, position + (not after_title)
        return self._mention(tokens, position, end, stripped, PERSON, None, None), end

    def _common_word_shape(self, key, first=False):
        """A common word with a proclitic (``لضبط``, ``بالكامل``), an
        imperfect verb or verbal noun in ت (``تدرس``, ``تحويل``) or an adverb
        in tanween alef (``خامسا``): names are common words too, but not in
        these shapes."""
        if key[:2] in ("سي", "ست", "سن") and key[1:] in self.common_words:
            return True  # a verb in the future ("سيلتقي")
        if first:  # right after a title only a verb: "توت", "تامر", "بيرام" may start a name
            return key.startswith("ي") and key in self.common_words and key not in self.first_names
        if key[:1] in ("ب", "ل", "ك") and len(key) > 3 and key[1:] in self.common_words:
            return True
        return key in self.common_words and key not in self.first_names and (
            key.startswith(("ت", "ي")) or key.endswith("ا") and len(key) > 3)

    def _name_ends_after(self, tokens, keys, position):
        """Punctuation, a function word, a conjunction or a verb follows."""
        return self._ends_name(keys, position) or keys[position].startswith("و") \
            or _verb_or_possessive(tokens[position][0])

    def _ends_name(self, keys, position):
        return position >= len(keys) or not keys[position] or keys[position] in self.stop_words

    def _place_after(self, tokens, keys, position):
        """A place name after ``مدينة``, ``العاصمة الأردنية`` ...: one word; two
        after a compound head (``أبو حمص``, ``عين التينة``) or when the second
        is a definite word that is not a describing adjective (``العين
        البيضاء``, not ``كفركلا الحدودية``)."""
        described = self._skip_descriptors(keys, position)
        if described > position:
            return None, described  # "العاصمة الصينية": a known name follows, or none does
        if position >= len(keys) or self._known_here(tokens, keys, position) or not self._is_plain_word(keys[position]):
            return None, position
        if dediac_ar(tokens[position][0]).endswith("ية"):
            return None, position  # "مدينة عالمية": an adjective, not a name
        end = position + 1
        if end < len(keys) and not self._known_here(tokens, keys, end) and self._is_plain_word(keys[end]):
            if keys[position] in self.place_heads or (keys[end].startswith("ال") and not keys[end].endswith(("يه", "يون", "يين"))) \
                    or self._rare_word(tokens, keys, end):
                end += 1
        return self._mention(tokens, position, end, 0, PLACE, None, None), end

    def _conjunction(self, key):
        """``و`` before a word ("وبوتين", "والوفد"), not the first letter of
        a name ("ويليامز", "وانيونيي"): what follows the و is a word or a
        name the lexicon knows, or the whole is a common word."""
        if not key.startswith("و"):
            return False
        rest = key[1:]
        return key in self.common_words or rest in self.common_words or rest in self.first_names \
            or rest in self.family_names or rest.startswith("ال") or bool(self.forms(rest))

    def _rare_word(self, tokens, keys, position):
        """An indefinite word too rare to be an ordinary one: the second half
        of a foreign name ("ديري داوا", "نوفي ساد")."""
        key = keys[position]
        return not key.startswith(("ال", "و")) and key not in self.common_words \
            and not self._common_word_shape(key) and not _verb_or_possessive(tokens[position][0])

    def _facility_from(self, tokens, keys, position, cue_end, stripped):
        """A facility or natural feature keeps its cue word: ``مطار ...``,
        ``سد تشرين``, ``ملعب الأمير مولاي عبد الله``; known names inside it
        (``مطار الخرطوم الدولي``) belong to it."""
        end = self._name_run(tokens, keys, cue_end, organization=False)
        if end == cue_end or self._generic_phrase(tokens, keys, cue_end, end):
            return None, cue_end
        return self._mention(tokens, position, end, stripped, PLACE, None, None), end

    def _organization_from(self, tokens, keys, position, stripped, definite=False, weak=False, descriptor=False):
        """Cue and name together (``حزب العمال``, ``بنك الكويت المركزي``):
        known places inside belong to the name, a known person or
        organisation ends it. A definite cue (``الشركة``) needs a definite
        adjective after it and a longer name, or a nationality adjective
        (``البورصة المصرية``, not ``الشركة السعودية``); a cue that is also an ordinary noun
        (``مركز``, ``حركة``) needs two words after it (``مركز جونسون
        للفضاء``, not ``مركز الثقل``). After a descriptor (``صحيفة``,
        ``مجلة``) the name alone is the mention, without a nationality."""
        end = self._name_run(tokens, keys, position + 1, organization=True)
        if end == position + 1 or self._generic_phrase(tokens, keys, position + 1, end):
            return None, position + 1
        if definite and not (end - position >= 3 or keys[position + 1] in self.adjectives
                             and keys[position] not in self.generic_definite_cues):
            return None, position + 1
        if weak and (end - position < 3 or self._one_known_name(tokens, keys, position + 1, end)):
            return None, position + 1  # "مركز أبو حمص" is a district, "حكومة بنيامين نتنياهو" his government
        if descriptor:  # "مجلة لوبوان الفرنسية": the name is "لوبوان"
            name_end = end - 1 if end - position > 2 and keys[end - 1] in self.adjectives else end
            return self._mention(tokens, position + 1, name_end, 0, ORGANIZATION, None, None), end
        return self._mention(tokens, position, end, stripped, ORGANIZATION, None, None), end

    def _one_known_name(self, tokens, keys, start, end):
        """A known place or person alone from ``start`` to ``end``."""
        match = self._lexicon_match(tokens, keys, start)
        return match is not None and match[0] is not None and match[0].label in (PLACE, PERSON) and match[1] == end

    def _generic_phrase(self, tokens, keys, start, end):
        """A cue followed by an ordinary indefinite word, not the start of a
        genitive name: "شركة شحن", "جمعية نسائية", "سد فجوة" are no names,
        "شركة مياه الشرب", "جبهة تحرير أزواد" and "محكمة وهران" are."""
        first = keys[start]
        return not first.startswith("ال") and first in self.common_words and first not in self.first_names \
            and not self._known_here(tokens, keys, start) \
            and not (start + 1 < end and (keys[start + 1].startswith(("ال", "لل")) or self._known_here(tokens, keys, start + 1)))

    def _name_run(self, tokens, keys, position, organization):
        """Where a multiword name that starts at ``position`` ends: definite
        words and known places carry it on, and for an organisation also
        ``ل``-genitives (``للطيران``) and ``و`` before a definite word
        (``والثروة المعدنية``); a known person right after the cue names it
        (``ساحة مولاي الحسن``); a run of plain words stops after two; stop
        words, punctuation, other conjunctions and cues end it."""
        end, plain_run, after_place, after_title, after_person = position, 0, False, False, False
        longest = _MAX_NAME_TOKENS + (2 if organization else 0)
        while end < len(keys) and end - position < longest:
            key = keys[end]
            match = self._lexicon_match(tokens, keys, end) if self.forms(key) else None
            if match is not None and match[0] is not None:
                if match[0].label == PERSON and end == position:
                    # named after a person: "ساحة مولاي الحسن", "مركز محمد بن راشد للفضاء"
                    end, plain_run, after_place, after_title, after_person = match[1], 0, False, False, True
                    continue
                if match[0].label != PLACE:
                    break
                if after_person and match[0].start_char > tokens[end][1] and tokens[end][0][:1] in "بكوف":
                    break  # "ساحة مولاي الحسن بالصويرة": the place it is in, not part of its name
                end, plain_run, after_place, after_title = match[1], 0, True, False
                continue
            if not key or key in self.stop_words or key in self.organization_cues or (organization and key in self.titles):
                break
            if organization and key in self.definite_organization_cues:
                break  # "مؤسسة الشركة", "بعثة اللجنة": another body's cue, no name
            if _possessive(tokens[end][0]):
                break  # "وزارة دفاعها": a name has no possessive pronoun
            if organization and end > position and key in self.first_names and keys[end - 1].startswith("ال") \
                    and keys[end - 1] not in self.titles:
                break  # "رئيس مجلس مفوضي السلطة فارس البريزات": a person follows
            if end > position and key[:1] in ("ب", "ك") and len(key) > 3 and key[1:] in self.common_words:
                break  # "بنك زينيث بأكثر"; a ل-genitive may go on ("بنك قطر للتنمية")
            if after_place and key[:1] == "ل" and key[1:2] != "ل" and key[1:] in self.common_words:
                break  # "مديرية أمن بنغازي لتأمين": a purpose, not a genitive
            if not organization and (key in self.titles or key in self.connectors):
                end, plain_run, after_title = end + 1, 0, True  # "ملعب الأمير مولاي عبد الله"
                continue
            if end > position and key.startswith(("و", "ف")):
                # "والثروة المعدنية" carries an organisation's name on; "ومجلس ..." or
                # "والديمقراطيون" starts another name
                conjoined = key.startswith("وال") or (end + 1 < len(keys) and keys[end + 1].startswith("ال"))
                another = key[1:] in self.organization_cues or key.endswith(("ون", "ين"))
                if not (organization and conjoined) or another:
                    break
                plain_run = 0
            elif key.startswith("ال") or (organization and key.startswith("ل") and end > position):
                if key in self.not_names and end > position:
                    break  # "جبل عكمة القريب", "مركز جونسون للفضاء التابع"
                if end > position and keys[end - 1] in self.adjectives and not key.startswith("ل"):
                    break  # a nationality adjective ends a name, unless a genitive follows
                if key in self.adjectives and plain_run and keys[end - 1] not in self.common_words:
                    break  # "جامعة ييل الأمريكية": a proper name needs no nationality
                plain_run, after_place, after_title = 0, False, False
            elif self._is_plain_word(key) and (
                (end == position or after_title) and plain_run == 0
                or key not in self.common_words and (after_place and plain_run == 0
                                                     or plain_run == 1 and self._ends_name(keys, end + 1))
            ):
                plain_run += 1
            else:
                break
            end += 1
        return end

    # -- names learned in the article ------------------------------------------

    def _learn(self, learned, text, tokens, keys, mention):
        """Remember a context-found name, and a person's surname alone."""
        written = text[mention.start_char:mention.end_char]
        name_keys = tuple(word_key(written).split())
        entity = (mention.label, dediac_ar(written))
        learned.setdefault(name_keys, entity)
        surname = name_keys[-1] if name_keys else ""
        family_word = not surname.startswith("ال") or surname.endswith("ي")  # "السيسي", not "الدولة"
        if mention.label == PERSON and len(name_keys) >= 2 and len(surname) >= 3 and self._is_plain_word(surname) \
                and surname not in self.first_names and family_word:
            learned.setdefault(name_keys[-1:], entity)

    def _add_learned(self, mentions, learned, tokens, keys, line_ends):
        """Mentions plus the other occurrences of the names learned in the
        article."""
        covered = set()
        for mention in mentions:
            covered.update(range(mention.start_char, mention.end_char))
        by_first = _by_first_key(learned)
        spelling = _proclitic_spellings(by_first).intersection(keys)
        starts = [position for position, key in enumerate(keys) if key in spelling]
        added = []
        for first, end, line_starts in _lines_holding(starts, line_ends):
            line_tokens, line_keys, free = tokens[first:end], keys[first:end], 0
            for position in line_starts:
                if position < free or line_tokens[position][2] - 1 in covered:
                    continue
                match = self._learned_match(by_first, line_keys, position)
                if match:
                    end, stripped, (label, canonical) = match
                    mention = self._mention(line_tokens, position, end, stripped, label, canonical, None)
                    if covered.isdisjoint(range(mention.start_char, mention.end_char)):  # may run into one found
                        added.append(mention)
                        free = end
        return sorted(mentions + added, key=lambda m: (m.start_char, m.end_char))

    @staticmethod
    def _learned_match(by_first, keys, position):
        for stripped, form in _proclitic_forms(keys[position]):
            found = _longest_name(by_first, form, keys, position + 1)
            if found is not None:
                return position + 1 + found[0], stripped, found[1]
        return None


def _proclitic_spellings(forms):
    """Every key whose ``_proclitic_forms`` may include one of ``forms``:
    each form alone, after each proclitic, and an ``ال`` form after the ل
    of ``لل`` (``الصين`` in ``وللصين``)."""
    spellings = set(forms)
    for form in forms:
        spellings.update(prefix + form for prefix in _PROCLITICS)
        if form.startswith("ال"):
            spellings.update(prefix + form[1:] for prefix in _PROCLITICS if prefix.endswith("ل"))
    return spellings


def _without_inner_hyphens(tokens, line_ends):
    """Tokens and line ends without the hyphens inside a word pair
    (``جونغ-أون``, ``جان-فرانسوا``): names run across them."""
    inner = {index for index in range(1, len(tokens) - 1)
             if tokens[index][0] == "-" and tokens[index - 1][2] == tokens[index][1] == tokens[index + 1][1] - 1}
    if not inner:
        return tokens, line_ends
    removed_before = np.cumsum([index in inner for index in range(len(tokens) + 1)])
    kept = [token for index, token in enumerate(tokens) if index not in inner]
    return kept, [end - int(removed_before[end - 1]) if end else 0 for end in line_ends]


def _lines_holding(positions, line_ends):
    """``[(first, end, line_positions)]``: the token range of each line that
    holds any of the (sorted) token ``positions``, and those positions
    counted from the line's first token."""
    lines, line, first = [], 0, 0
    for position in positions:
        while position >= line_ends[line]:
            first, line = line_ends[line], line + 1
        if lines and lines[-1][0] == first:
            lines[-1][2].append(position - first)
        else:
            lines.append((first, line_ends[line], [position - first]))
    return lines


def _verb_or_possessive(token):
    """A word that cannot continue a person's name: an imperfect verb
    ("يرفع") or a noun with a possessive pronoun ("رصيده", "دفاعها")."""
    bare = dediac_ar(token)
    return len(bare) > 3 and (bare.startswith("ي") or bare.endswith(("ه", "ها", "هم", "هما")))


def _possessive(token):
    """An indefinite noun with a plural or feminine possessive pronoun
    ("دفاعها", "قادتهم"), which no organisation's or place's name has."""
    bare = dediac_ar(token)
    return len(bare) > 4 and not bare.startswith("ال") and bare.endswith(("ها", "هم", "هما"))


def _written_length(token, letters):
    """How many characters of ``token`` spell its first ``letters`` key
    letters (diacritics and tatweel after them included)."""
    if not letters:
        return 0
    seen = 0
    for index, char in enumerate(token):
        if word_key(char):
            if seen == letters:
                return index
            seen += 1
    return len(token)


def annotate(gazetteer, text):
    """``[{mention, label, start_char, end_char, canonical, entity_id}]`` for
    a body text: canonical is the lexicon's name, or the first spelling
    found in the article for a name the lexicon lacks."""
    return [mention_row(text, found.start_char, found.end_char, found.label, found.canonical, found.entity_id)
            for found in gazetteer.find(text)]


def mention_row(text, start, end, label, canonical, entity_id):
    """One mention as both annotators give it: a name the lexicon lacks is
    its own spelling, without diacritics."""
    mention = text[start:end]
    return {"mention": mention, "label": label, "start_char": start, "end_char": end,
            "canonical": canonical or dediac_ar(mention), "entity_id": entity_id}
