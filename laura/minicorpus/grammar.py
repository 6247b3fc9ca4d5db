"""A bilingual (English / Mandarin) *parallel* sentence grammar for the mini corpus.

Every generated :class:`Pair` has an English and a Chinese version that say the same thing, so the
same sentences serve ASR (either side) and speech translation (en->zh, zh->en) with exact
references. Generation is deterministic given a ``random.Random``.

Normalisation (what ASR targets look like):
- English: lower-case words separated by single spaces, no punctuation, numbers spelled out;
  no contractions ("do not", "let us", "cannot").
- Chinese: hanzi only (numbers in hanzi too), no spaces, no punctuation.

The words are in :mod:`.words` (a few hundred per language); this module holds the phrase
builders (noun, verb and time phrases with agreement), the templates (one per kind of sentence,
weighted in :data:`TEMPLATES`) and the generation. The templates combine the words into
millions of distinct sentences, so held-out sentences are new combinations of known words.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from laura.minicorpus.words import (
    ACTIVITIES,
    CITIES,
    COLOURS,
    COMPARATIVES,
    DAYPARTS,
    DEGREES,
    EN_ONES,
    FREQUENCY_ADVERBS,
    FUTURE_TIMES,
    HABIT_TIMES,
    HOME,
    LANDMARKS,
    LANDMARKS_FOR_RELATION,
    MASS_BY_TAG,
    MONTHS,
    NOUN_BY_TAG,
    PAST_TIMES,
    PEOPLE,
    PLACES,
    POSSESSIVES,
    PRONOUNS,
    PROPERTIES,
    QUALITIES,
    RELATIONS,
    RELATIVES,
    SCHEDULE_EVENTS,
    SCHEDULE_VERBS,
    STATES,
    TRANSITIVE,
    TRANSPORT,
    WEATHER_ADJECTIVES,
    WEEKDAYS,
    ZH_DIGITS,
    Mass,
    Noun,
    Verb,
    en_number,
    zh_number,
)

__all__ = [
    "Pair",
    "TEMPLATES",
    "generate_pair",
    "unique_pairs",
    "is_normalised",
    "vocabulary",
]

MIN_WORDS = 4
MAX_WORDS = 15
MAX_ZH_CHARS = 28  # keeps the slowest Mandarin voices under ~10 s


@dataclass(frozen=True)
class Pair:
    """One parallel sentence: normalised English and Chinese text, and the template that made it."""

    en: str
    zh: str
    template: str


# ---------------------------------------------------------------------------------------------
# phrase builders; each returns (english, chinese)
EZ = tuple[str, str]


def _pick(rng: random.Random, seq: Sequence):  # noqa: ANN202 - tiny helper
    return seq[rng.randrange(len(seq))]


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _adjectives(rng: random.Random, noun: Noun, p: float = 0.5) -> tuple[str, str, str]:
    """Optional (quality, colour) adjectives: english prefix, chinese prefix, chinese prefix
    w/o 的."""
    en, zh = [], ""
    if rng.random() < p:
        quals = [q for q in QUALITIES if q[3] & noun.tags]
        q = _pick(rng, quals) if quals and rng.random() < 0.6 else None
        col = _pick(rng, COLOURS) if rng.random() < 0.6 or q is None else None
        if q is not None and q[2] and col is not None:
            col = None  # "漂亮的红色的裙子" is clumsy: one 的-adjective at most
        if q is not None:
            en.append(q[0])
        if col is not None:
            en.append(col[0])
            zh += col[1]
        if q is not None:
            zh += q[1]
    return " ".join(en), zh, zh


def count_np(rng: random.Random, noun: Noun, n: int | None = None, p_adj: float = 0.5) -> EZ:
    """ "three red apples" / 三个红色的苹果."""
    if n is None:
        r = rng.random()
        n = 1 if r < 0.45 else rng.randint(2, 10) if r < 0.9 else rng.randint(11, 30)
    adj_en, adj_zh, _ = _adjectives(rng, noun, p_adj)
    if n == 1:
        head = _join(adj_en, noun.sg)
        en = _article(head) + " " + head
    else:
        en = _join(en_number(n), adj_en, noun.pl)
    return en, zh_number(n, counting=True) + noun.cl + adj_zh + noun.zh


def definite_np(
    rng: random.Random, noun: Noun, plural: bool | None = None, p_adj: float = 0.5
) -> EZ:
    """ "the red cup" / "my new bike" / "these apples" with the Chinese equivalent."""
    if plural is None:
        plural = rng.random() < 0.3
    adj_en, adj_zh, _ = _adjectives(rng, noun, p_adj)
    en_noun = _join(adj_en, noun.pl if plural else noun.sg)
    r = rng.random()
    if r < 0.45:
        return "the " + en_noun, adj_zh + noun.zh
    if r < 0.75:
        en_det, zh_det = _pick(rng, POSSESSIVES)
        return en_det + " " + en_noun, zh_det + adj_zh + noun.zh
    if plural:
        en_det, zh_det = _pick(rng, [("these", "这些"), ("those", "那些")])
        return en_det + " " + en_noun, zh_det + adj_zh + noun.zh
    en_det, zh_det = _pick(rng, [("this", "这"), ("that", "那")])
    return en_det + " " + en_noun, zh_det + noun.cl + adj_zh + noun.zh


def mass_np(rng: random.Random, m: Mass, n: int | None = None) -> EZ:
    """ "two cups of tea" / 两杯茶."""
    if n is None:
        n = 1 if rng.random() < 0.6 else rng.randint(2, 6)
    unit = m.unit if n == 1 else m.units
    en = ("a" if n == 1 else en_number(n)) + f" {unit} of {m.en}"
    return en, zh_number(n, counting=True) + m.cl + m.zh


def bare_np(rng: random.Random, kind: str) -> EZ:
    """Generic plural / mass reading for negatives and likes: "apples" / 苹果."""
    if kind.startswith("m:"):
        m = _pick(rng, MASS_BY_TAG[kind[2:]])
        return m.en, m.zh
    n = _pick(rng, NOUN_BY_TAG[kind])
    return n.pl, n.zh


def person_np(
    rng: random.Random, as_object: bool = False, plural_ok: bool = True
) -> tuple[str, str, str]:
    """A person: (english, chinese, agreement class)."""
    r = rng.random()
    if r < 0.3:
        p = _pick(rng, PRONOUNS)
        if not plural_ok and p.person == "pl":
            p = PRONOUNS[2]
        return (p.obj if as_object else p.en), p.zh, p.person
    if r < 0.7:
        en_det, zh_det = _pick(rng, POSSESSIVES)
        rel_en, rel_zh = _pick(rng, RELATIVES)
        return f"{en_det} {rel_en}", zh_det + rel_zh, "3s"
    people = [p for p in PEOPLE if plural_ok or p[2] == "s"]
    en, zh, num = _pick(rng, people)
    return en, zh, "3s" if num == "s" else "pl"


def object_np(rng: random.Random, kind: str, negative: bool = False) -> EZ:
    """An object phrase of one kind (a noun tag, "m:<mass tag>", "person" or "place")."""
    if kind == "person":
        en, zh, _ = person_np(rng, as_object=True)
        return en, zh
    if kind == "place":
        p = _pick(rng, PLACES)
        return p.dest, p.zh
    if kind.startswith("m:"):
        if negative:
            return bare_np(rng, kind)
        return mass_np(rng, _pick(rng, MASS_BY_TAG[kind[2:]]))
    noun = _pick(rng, NOUN_BY_TAG[kind])
    if negative:
        if rng.random() < 0.5:
            return noun.pl, noun.zh
        return definite_np(rng, noun)
    if kind in ("open", "fix", "wash") or rng.random() < 0.4:
        return definite_np(rng, noun)
    return count_np(rng, noun)


def _be(person: str, tense: str) -> str:
    if tense == "past":
        return "was" if person in ("1s", "3s") else "were"
    return {"1s": "am", "3s": "is"}.get(person, "are")


def verb_phrase(verb: Verb, person: str, tense: str, neg: bool, obj_en: str = "") -> str:
    """English verb phrase with agreement for tense in hab|past|fut|prog and negation."""
    base, s3, past, ing = verb.forms
    rest = verb.rest.replace("{o}", obj_en)
    if tense == "hab":
        if neg:
            head = ("does not " if person == "3s" else "do not ") + base
        else:
            head = s3 if person == "3s" else base
    elif tense == "past":
        head = "did not " + base if neg else past
    elif tense == "fut":
        head = ("will not " if neg else "will ") + base
    else:  # progressive
        head = _be(person, "prog") + (" not " if neg else " ") + ing
    return _join(head, rest)


def verb_zh(verb: Verb, tense: str, neg: bool, obj_zh: str = "") -> str:
    """Chinese verb phrase (without the tense adverbs that come before the place)."""
    le = "了" if (tense == "past" and not neg) else ""
    return verb.zh.replace("{o}", obj_zh).replace("{le}", le)


def time_phrase(rng: random.Random, tense: str) -> EZ:
    """A time adverbial that agrees with the tense."""
    if tense == "past":
        r = rng.random()
        if r < 0.15:
            n = rng.randint(2, 9)
            return f"{en_number(n)} days ago", zh_number(n, counting=True) + "天前"
        if r < 0.3:
            d_en, d_zh = _pick(rng, WEEKDAYS)
            return "last " + d_en, "上个" + d_zh
        if r < 0.42:
            return _dated_clock(rng, tense)
        return tuple(_pick(rng, PAST_TIMES))  # type: ignore[return-value]
    if tense == "fut":
        r = rng.random()
        if r < 0.15:
            d_en, d_zh = _pick(rng, WEEKDAYS)
            return "next " + d_en, "下个" + d_zh
        if r < 0.25:
            n = rng.randint(2, 9)
            return f"in {en_number(n)} days", zh_number(n, counting=True) + "天以后"
        if r < 0.37:
            return _dated_clock(rng, tense)
        return tuple(_pick(rng, FUTURE_TIMES))  # type: ignore[return-value]
    if tense == "hab":
        if rng.random() < 0.15:
            d_en, d_zh = _pick(rng, WEEKDAYS)
            return f"every {d_en}", "每个" + d_zh
        return tuple(_pick(rng, HABIT_TIMES))  # type: ignore[return-value]
    return "now", "现在"


def clock_phrase(rng: random.Random, with_daypart: bool = True) -> EZ:
    """ "half past seven in the morning" / 早上七点半 (without the leading "at")."""
    part_en, part_zh, (lo, hi) = _pick(rng, DAYPARTS)
    h = rng.randint(lo, hi)
    en_h, zh_h = en_number(h), zh_number(h, counting=True) + "点"
    r = rng.random()
    if r < 0.5:
        en, zh = en_h, zh_h
    elif r < 0.75:
        en, zh = "half past " + en_h, zh_h + "半"
    elif r < 0.85:
        en, zh = "a quarter past " + en_h, zh_h + "一刻"
    else:
        m = rng.choice([5, 10, 20, 25, 35, 40, 45, 50, 55])
        en, zh = f"{en_h} {en_number(m)}", zh_h + zh_number(m) + "分"
    if with_daypart:
        return f"{en} {part_en}", part_zh + zh
    return en, zh


def _dated_clock(rng: random.Random, tense: str) -> EZ:
    day_en, day_zh = _pick(
        rng,
        [("yesterday", "昨天")] if tense == "past" else [("tomorrow", "明天"), ("today", "今天")],
    )
    c_en, c_zh = clock_phrase(rng)
    return f"{day_en} at {c_en}", day_zh + c_zh


# ---------------------------------------------------------------------------------------------
# templates: each takes rng and returns (english, chinese) or None to retry
def _tense(rng: random.Random) -> str:
    return rng.choices(["hab", "past", "fut", "prog"], weights=[3, 4, 3, 1.5])[0]


def _subject(rng: random.Random) -> tuple[str, str, str]:
    return person_np(rng)


def t_svo(rng: random.Random) -> EZ | None:
    """Subject verb object place time, in four tenses, sometimes negated."""
    tense = _tense(rng)
    neg = tense != "prog" and rng.random() < 0.2
    s_en, s_zh, person = _subject(rng)
    if rng.random() < 0.4:
        verb = _pick(rng, ACTIVITIES)
        o_en = o_zh = ""
    else:
        verb = _pick(rng, TRANSITIVE)
        kind = _pick(rng, verb.objs)
        o_en, o_zh = object_np(rng, kind, negative=neg)
        if o_zh == s_zh or (s_en in ("i", "we") and o_en.startswith(("my ", "our ", "me", "us"))):
            return None  # "i called me"
    place = _pick(rng, PLACES + [HOME]) if rng.random() < 0.35 else None
    if tense == "prog":
        t_en, t_zh = ("now", "现在") if rng.random() < 0.6 else ("", "")
        freq = None
    else:
        t_en, t_zh = time_phrase(rng, tense) if rng.random() < 0.8 else ("", "")
        # "often ... every day" is odd: adverbs of frequency only with a part of the day or no time
        every = t_en.startswith("every")
        freq = (
            _pick(rng, FREQUENCY_ADVERBS)
            if tense == "hab" and not neg and not every and rng.random() < 0.35
            else None
        )
    vp = verb_phrase(verb, person, tense, neg, o_en)
    if freq is not None:
        vp = freq[0] + " " + vp
    en = _join(s_en, vp, place.loc if place else "", t_en)
    vz = verb_zh(verb, tense, neg, o_zh)
    loc_zh = ("在" + place.zh_in) if place else ""
    if tense == "hab":
        pre = (freq[1] if freq else "") + ("不" if neg else "")
    elif tense == "past":
        pre = "没有" if neg else ""
    elif tense == "fut":
        pre = "不会" if neg else "会"
    else:  # 正在 + 厨房里 -> 正在厨房里
        pre = "正" if place else "正在"
    zh = s_zh + t_zh + pre + loc_zh + vz
    return en, zh


def t_motion(rng: random.Random) -> EZ | None:
    """Going somewhere, sometimes by some transport."""
    tense = rng.choices(["hab", "past", "fut"], weights=[2, 4, 4])[0]
    neg = rng.random() < 0.15
    s_en, s_zh, person = _subject(rng)
    if rng.random() < 0.5:
        d_en, d_zh = _pick(rng, CITIES)
    else:
        p = _pick(rng, PLACES)
        d_en, d_zh = p.dest, p.zh
    go = Verb(("go", "goes", "went", "going"), "to " + d_en, "去{le}" + d_zh)
    tr = _pick(rng, TRANSPORT) if rng.random() < 0.5 else ("", "")
    t_en, t_zh = time_phrase(rng, tense) if rng.random() < 0.8 else ("", "")
    en = _join(s_en, verb_phrase(go, person, tense, neg), tr[0], t_en)
    pre = {
        "hab": "不" if neg else "",
        "past": "没有" if neg else "",
        "fut": "不会" if neg else "会",
    }[tense]
    return en, s_zh + t_zh + pre + tr[1] + verb_zh(go, tense, neg)


def t_exist(rng: random.Random) -> EZ | None:
    """ "there are three cats in the garden" / 花园里有三只猫."""
    place = _pick(rng, PLACES + [HOME])
    kind = rng.choice(["animal", "object", "food", "vehicle", "clothes"])
    noun = _pick(rng, NOUN_BY_TAG[kind])
    r = rng.random()
    if r < 0.15:
        return f"there are no {noun.pl} {place.loc}", place.zh_in + "没有" + noun.zh
    if r < 0.3:
        return (
            f"how many {noun.pl} are there {place.loc}",
            place.zh_in + "有多少" + noun.cl + noun.zh,
        )
    np_en, np_zh = count_np(rng, noun)
    be = "is" if np_en.startswith(("a ", "an ")) else "are"
    return f"there {be} {np_en} {place.loc}", place.zh_in + "有" + np_zh


def _thing_subject(rng: random.Random, kinds: Sequence[str]) -> tuple[str, str, str, Noun]:
    noun = _pick(rng, NOUN_BY_TAG[rng.choice(list(kinds))])
    plural = rng.random() < 0.3
    en, zh = definite_np(rng, noun, plural=plural)
    return en, zh, "pl" if plural else "3s", noun


def t_location(rng: random.Random) -> EZ | None:
    """ "my keys are under the bed" / 我的钥匙在床下面; also "where is ..."."""
    en, zh, person, _ = _thing_subject(rng, ["object", "animal", "clothes", "pet"])
    if rng.random() < 0.2:
        return f"where {_be(person, 'hab')} {en}", zh + "在哪里"
    rel_en, rel_zh = _pick(rng, RELATIONS)
    lm_en, lm_zh = _pick(rng, LANDMARKS)
    if rel_en in LANDMARKS_FOR_RELATION and lm_en not in LANDMARKS_FOR_RELATION[rel_en]:
        return None
    tense = "past" if rng.random() < 0.25 else "hab"
    be = _be(person, tense)
    t_en, t_zh = (
        (("yesterday", "昨天") if tense == "past" else ("now", "现在"))
        if rng.random() < 0.3
        else ("", "")
    )
    neg = rng.random() < 0.15
    return _join(en, be, "not" if neg else "", rel_en, "the", lm_en, t_en), zh + t_zh + (
        "不" if neg else ""
    ) + "在" + lm_zh + rel_zh


def t_state(rng: random.Random) -> EZ | None:
    """ "the teacher was very tired yesterday" / 老师昨天很累."""
    s_en, s_zh, person = _subject(rng)
    adj_en, adj_zh = _pick(rng, STATES)
    d_en, d_zh = _pick(rng, DEGREES)
    tense = rng.choice(["hab", "past", "fut"])
    t_en, t_zh = {
        "hab": _pick(
            rng, [("today", "今天"), ("now", "现在"), ("this morning", "今天早上"), ("", "")]
        ),
        "past": _pick(rng, PAST_TIMES),
        "fut": _pick(rng, FUTURE_TIMES),
    }[tense]
    if tense == "fut":
        if d_en == "not":
            return _join(s_en, "will not be", adj_en, t_en), s_zh + t_zh + "不会" + adj_zh
        return _join(s_en, "will be", d_en, adj_en, t_en), s_zh + t_zh + "会" + d_zh + adj_zh
    return _join(s_en, _be(person, tense), d_en, adj_en, t_en), s_zh + t_zh + d_zh + adj_zh


def t_property(rng: random.Random) -> EZ | None:
    """ "this apple is very sweet" / 这个苹果很甜."""
    en, zh, person, noun = _thing_subject(
        rng, ["food", "animal", "object", "clothes", "vehicle", "read"]
    )
    props = [p for p in PROPERTIES if p[2] & noun.tags]
    p_en, p_zh, _ = _pick(rng, props)
    d_en, d_zh = _pick(rng, DEGREES)
    return _join(en, _be(person, "hab"), d_en, p_en), zh + d_zh + p_zh


def t_compare(rng: random.Random) -> EZ | None:
    """ "my father is much taller than my uncle" / 我的爸爸比我的叔叔高得多."""
    c_en, c_zh, kind = _pick(rng, COMPARATIVES)
    if kind == "person":
        a_en, a_zh, person = person_np(rng)
        b_en, b_zh, _ = person_np(rng, as_object=True)
    elif kind == "city":
        (a_en, a_zh), (b_en, b_zh) = rng.sample(CITIES, 2)
        person = "3s"
    else:
        na, nb = rng.sample(NOUN_BY_TAG[kind], 2)
        a_en, a_zh = definite_np(rng, na, plural=False, p_adj=0.2)
        b_en, b_zh = definite_np(rng, nb, plural=False, p_adj=0.2)
        person = "3s"
    if a_zh == b_zh:
        return None
    r = rng.random()
    if r < 0.2:
        return (
            f"{a_en} {_be(person, 'hab')} much {c_en} than {b_en}",
            a_zh + "比" + b_zh + c_zh + "得多",
        )
    if r < 0.35:
        return (
            f"{a_en} {_be(person, 'hab')} a little {c_en} than {b_en}",
            a_zh + "比" + b_zh + c_zh + "一点",
        )
    return f"{a_en} {_be(person, 'hab')} {c_en} than {b_en}", a_zh + "比" + b_zh + c_zh


def t_question(rng: random.Random) -> EZ | None:
    """Yes/no and wh- questions (no question mark: text is unpunctuated)."""
    r = rng.random()
    s_en, s_zh, person = _subject(rng)
    if r < 0.2:
        kind = rng.choice(["animal", "food", "object", "clothes", "m:drink", "m:dish"])
        o_en, o_zh = bare_np(rng, kind)
        do = "does" if person == "3s" else "do"
        return f"{do} {s_en} like {o_en}", s_zh + "喜欢" + o_zh + "吗"
    verb = _pick(rng, TRANSITIVE)
    o_en, o_zh = object_np(rng, _pick(rng, verb.objs))
    if o_zh == s_zh:
        return None
    base = verb.forms[0] + " " + verb.rest.replace("{o}", o_en)
    if r < 0.4:
        t_en, t_zh = _pick(rng, PAST_TIMES)
        return f"did {s_en} {base} {t_en}", s_zh + t_zh + verb_zh(verb, "past", False, o_zh) + "吗"
    if r < 0.55:
        t_en, t_zh = _pick(rng, FUTURE_TIMES)
        return f"will {s_en} {base} {t_en}", s_zh + t_zh + "会" + verb_zh(
            verb, "fut", False, o_zh
        ) + "吗"
    if r < 0.7:
        return f"can you {base}", "你能" + verb_zh(verb, "fut", False, o_zh) + "吗"
    if r < 0.8:
        return f"who {verb.forms[2]} {verb.rest.replace('{o}', o_en)}".strip(), "谁" + verb_zh(
            verb, "past", False, o_zh
        )
    if r < 0.9:
        be = _be(person, "prog")
        return f"what {be} {s_en} doing now", s_zh + "现在在做什么"
    do = "does" if person == "3s" else "do"
    return f"where {do} {s_en} usually {base}", s_zh + "通常在哪里" + verb_zh(
        verb, "hab", False, o_zh
    )


def t_like(rng: random.Random) -> EZ | None:
    """like / want / need / have / can."""
    s_en, s_zh, person = _subject(rng)
    third = person == "3s"
    r = rng.random()
    if r < 0.35:
        neg = rng.random() < 0.25
        if rng.random() < 0.5:
            act = _pick(rng, ACTIVITIES)
            o_en = _join(act.forms[3], act.rest)
            o_zh = verb_zh(act, "hab", False)
        else:
            o_en, o_zh = bare_np(
                rng, rng.choice(["animal", "fruit", "food", "clothes", "m:drink", "m:dish"])
            )
        much = not neg and rng.random() < 0.3
        head = (
            ("does not like" if third else "do not like") if neg else ("likes" if third else "like")
        )
        return _join(s_en, head, o_en, "very much" if much else ""), s_zh + (
            "不" if neg else ""
        ) + ("非常" if much else "") + "喜欢" + o_zh
    if r < 0.55:
        act = _pick(rng, ACTIVITIES)
        t_en, t_zh = _pick(rng, FUTURE_TIMES) if rng.random() < 0.5 else ("", "")
        want = ("wants" if third else "want") if rng.random() < 0.7 else "wanted"
        return _join(s_en, want, "to", act.forms[0], act.rest, t_en), s_zh + t_zh + "想" + verb_zh(
            act, "hab", False
        )
    if r < 0.7:
        kind = rng.choice(["food", "object", "clothes", "m:drink", "m:clothes", "pet", "vehicle"])
        o_en, o_zh = object_np(rng, kind)
        if rng.random() < 0.5:
            return _join(s_en, "needs" if third else "need", o_en), s_zh + "需要" + o_zh
        return _join(s_en, "wants" if third else "want", o_en), s_zh + "想要" + o_zh
    if r < 0.85:
        kind = rng.choice(["pet", "object", "clothes", "vehicle", "animal"])
        noun = _pick(rng, NOUN_BY_TAG[kind])
        if rng.random() < 0.2:
            return _join(
                s_en, "does not have any" if third else "do not have any", noun.pl
            ), s_zh + "没有" + noun.zh
        o_en, o_zh = count_np(rng, noun)
        return _join(s_en, "has" if third else "have", o_en), s_zh + "有" + o_zh
    act = _pick(rng, ACTIVITIES)
    neg = rng.random() < 0.25
    return _join(s_en, "cannot" if neg else "can", act.forms[0], act.rest), s_zh + (
        "不会" if neg else "会"
    ) + verb_zh(act, "hab", False)


def t_weather(rng: random.Random) -> EZ | None:
    """ "it will snow in tokyo tomorrow" / 东京明天会下雪."""
    city_en, city_zh = _pick(rng, CITIES) if rng.random() < 0.7 else ("", "")
    in_city = f"in {city_en}" if city_en else ""
    tense = rng.choice(["hab", "past", "fut"])
    t_en, t_zh = {
        "hab": _pick(rng, [("today", "今天"), ("now", "现在"), ("this morning", "今天早上")]),
        "past": _pick(rng, PAST_TIMES),
        "fut": _pick(rng, FUTURE_TIMES),
    }[tense]
    r = rng.random()
    if r < 0.3:  # rain / snow events
        ev_en, ev_zh = _pick(rng, [("rain", "下雨"), ("snow", "下雪")])
        if tense == "hab":
            en = _join("it is", ev_en + "ing", in_city, t_en)
            return en, city_zh + t_zh + "在" + ev_zh
        if tense == "past":
            return _join("it", ev_en + "ed", in_city, t_en), city_zh + t_zh + ev_zh + "了"
        return _join("it will", ev_en, in_city, t_en), city_zh + t_zh + "会" + ev_zh
    if r < 0.45:  # sunny / cloudy
        w_en, w_zh = _pick(rng, [("sunny", "晴天"), ("cloudy", "阴天")])
        be = {"hab": "is", "past": "was", "fut": "will be"}[tense]
        return _join("it", be, w_en, in_city, t_en), city_zh + t_zh + (
            "会" if tense == "fut" else ""
        ) + "是" + w_zh
    if r < 0.65:  # temperature
        n = rng.randint(0, 39)
        minus = n < 10 and rng.random() < 0.4
        deg_en = ("minus " if minus else "") + en_number(n) + (" degree" if n == 1 else " degrees")
        deg_zh = ("零下" if minus else "") + zh_number(n) + "度"
        be = {"hab": "is", "past": "was", "fut": "will be"}[tense]
        en = _join("the temperature", in_city, be, deg_en, t_en)
        return en, city_zh + t_zh + "的气温" + ("会" if tense == "fut" else "") + "是" + deg_zh
    a_en, a_zh = _pick(rng, WEATHER_ADJECTIVES)
    d_en, d_zh = _pick(
        rng, [("very", "很"), ("a little", "有点"), ("not", "不"), ("extremely", "非常")]
    )
    if a_zh == "风大":  # 风很大, not 很风大
        d_zh, a_zh = "风" + d_zh, "大"
    be = {"hab": "is", "past": "was", "fut": "will be"}[tense]
    return _join("it", be, d_en, a_en, in_city, t_en), city_zh + t_zh + (
        "会" if tense == "fut" else ""
    ) + d_zh + a_zh


def t_schedule(rng: random.Random) -> EZ | None:
    """ "the train leaves at half past seven in the morning" / 火车早上七点半出发."""
    e_en, e_zh, verbs = _pick(rng, SCHEDULE_EVENTS)
    v = rng.choice(verbs.split())
    if rng.random() < 0.2:
        return f"what time does {e_en} {v[:-1]}", e_zh + "几点" + SCHEDULE_VERBS[v]
    c_en, c_zh = clock_phrase(rng)
    day = _pick(
        rng, [("", ""), ("", ""), ("tomorrow", "明天"), ("today", "今天"), ("every day", "每天")]
    )
    if day[0] == "tomorrow":
        en = _join(e_en, "will", v[:-1], "at", c_en, day[0])
        return en, e_zh + day[1] + c_zh + SCHEDULE_VERBS[v]
    return _join(e_en, v, "at", c_en, day[0]), e_zh + day[1] + c_zh + SCHEDULE_VERBS[v]


def t_numbers(rng: random.Random) -> EZ | None:
    """Ages, prices, phone and room numbers, arithmetic and dates: lots of number words."""
    r = rng.random()
    if r < 0.18:
        d_en, d_zh = _pick(rng, POSSESSIVES)
        rel_en, rel_zh = _pick(rng, RELATIVES)
        n = rng.randint(2, 95)
        if rng.random() < 0.2:
            return f"how old is {d_en} {rel_en}", d_zh + rel_zh + "多大了"
        return f"{d_en} {rel_en} is {en_number(n)} years old", d_zh + rel_zh + zh_number(
            n, counting=True
        ) + "岁"
    if r < 0.38:
        noun = _pick(rng, NOUN_BY_TAG[rng.choice(["object", "clothes", "food"])])
        n = (
            rng.randint(1, 99)
            if rng.random() < 0.7
            else rng.randint(1, 9) * 100 + rng.choice([0, 0, 10, 20, 50, 80])
        )
        price_en = en_number(n) + " yuan"
        price_zh = zh_number(n, counting=True) + "块钱"
        if rng.random() < 0.5:
            if rng.random() < 0.2:
                return f"how much is this {noun.sg}", "这" + noun.cl + noun.zh + "多少钱"
            return f"this {noun.sg} costs {price_en}", "这" + noun.cl + noun.zh + price_zh
        if rng.random() < 0.2:
            return f"how much are these {noun.pl}", "这些" + noun.zh + "多少钱"
        return f"these {noun.pl} cost {price_en}", "这些" + noun.zh + price_zh
    if r < 0.52:
        d_en, d_zh = _pick(rng, POSSESSIVES)
        what_en, what_zh, k = _pick(
            rng, [("phone number", "电话号码", (7, 8)), ("room number", "房间号", (3, 4))]
        )
        digits = [rng.randint(0, 9) for _ in range(rng.randint(*k))]
        return (
            f"{d_en} {what_en} is " + " ".join(EN_ONES[d] for d in digits),
            d_zh + what_zh + "是" + "".join(ZH_DIGITS[d] for d in digits),
        )
    if r < 0.72:
        op = rng.choice(["plus", "minus", "times", "divided by"])
        if op == "plus":
            a, b = rng.randint(0, 50), rng.randint(0, 49)
            c, op_zh = a + b, "加"
        elif op == "minus":
            a = rng.randint(1, 99)
            b = rng.randint(0, a)
            c, op_zh = a - b, "减"
        elif op == "times":
            a, b = rng.randint(1, 12), rng.randint(1, 8)
            c, op_zh = a * b, "乘以"
        else:
            b, c = rng.randint(1, 9), rng.randint(1, 11)
            a, op_zh = b * c, "除以"
        lhs_en, lhs_zh = f"{en_number(a)} {op} {en_number(b)}", zh_number(a) + op_zh + zh_number(b)
        if rng.random() < 0.25:
            return f"what is {lhs_en}", lhs_zh + "等于多少"
        return f"{lhs_en} is {en_number(c)}", lhs_zh + "等于" + zh_number(c)
    if r < 0.86:
        month = rng.randint(1, 12)
        m_en, m_zh = MONTHS[month - 1], zh_number(month) + "月"
        if rng.random() < 0.5:
            d_en, d_zh = _pick(rng, POSSESSIVES)
            return f"{d_en} birthday is in {m_en}", d_zh + "生日在" + m_zh
        e_en, e_zh, _ = _pick(rng, SCHEDULE_EVENTS[3:7])
        if rng.random() < 0.5:
            return f"{e_en} will be in {m_en}", e_zh + "会在" + m_zh
        w_en, w_zh = _pick(rng, WEEKDAYS)
        return f"{e_en} is on {w_en}", e_zh + "在" + w_zh
    day_en, day_zh = _pick(rng, WEEKDAYS)
    when = _pick(
        rng, [("today is", "今天是"), ("yesterday was", "昨天是"), ("tomorrow is", "明天是")]
    )
    if rng.random() < 0.5:
        c_en, c_zh = clock_phrase(rng)
        return f"{when[0]} {day_en} and it is {c_en}", when[1] + day_zh + "现在是" + c_zh
    return f"{when[0]} {day_en}", when[1] + day_zh


def t_because(rng: random.Random) -> EZ | None:
    """ "she drank a glass of water because she was thirsty" / 她喝了一杯水因为她很渴."""
    p = _pick(rng, PRONOUNS)
    adj_en, adj_zh = _pick(rng, STATES[:9])
    tense = rng.choice(["past", "hab"])
    if rng.random() < 0.5:
        verb = _pick(rng, ACTIVITIES)
        o_en = o_zh = ""
    else:
        verb = _pick(
            rng, [v for v in TRANSITIVE if "person" not in v.objs and "place" not in v.objs]
        )
        o_en, o_zh = object_np(rng, _pick(rng, verb.objs))
    neg = rng.random() < 0.2
    en = _join(
        p.en,
        verb_phrase(verb, p.person, tense, neg, o_en),
        "because",
        p.en,
        _be(p.person, tense),
        adj_en,
    )
    pre = ("没有" if tense == "past" else "不") if neg else ""
    zh = p.zh + pre + verb_zh(verb, tense, neg, o_zh) + "因为" + p.zh + "很" + adj_zh
    return en, zh


def t_conj(rng: random.Random) -> EZ | None:
    """Two clauses joined by "and" / "but" / "and then"."""
    tense = rng.choice(["hab", "past", "fut"])
    s1_en, s1_zh, p1 = _subject(rng)
    a1, a2 = rng.sample(ACTIVITIES, 2)
    if rng.random() < 0.5:  # same subject: "he cooked dinner and then watched television"
        conj_en, conj_zh = _pick(rng, [("and then", "然后"), ("and", "还")])
        v2 = verb_phrase(a2, p1, tense, False)
        if tense == "fut":
            v2 = v2[len("will ") :]
        pre = "会" if tense == "fut" else ""
        en = _join(s1_en, verb_phrase(a1, p1, tense, False), conj_en, v2)
        zh = s1_zh + pre + verb_zh(a1, tense, False) + conj_zh + pre + verb_zh(a2, tense, False)
        return en, zh
    s2_en, s2_zh, p2 = _subject(rng)
    if s1_zh == s2_zh:
        return None
    conj_en, conj_zh = _pick(rng, [("and", ""), ("but", "但是"), ("while", "而")])
    neg2 = conj_en == "but"
    pre1 = "会" if tense == "fut" else ""
    pre2 = {"hab": "不", "past": "没有", "fut": "不会"}[tense] if neg2 else pre1
    en = _join(
        s1_en, verb_phrase(a1, p1, tense, False), conj_en, s2_en, verb_phrase(a2, p2, tense, neg2)
    )
    zh = (
        s1_zh + pre1 + verb_zh(a1, tense, False) + conj_zh + s2_zh + pre2 + verb_zh(a2, tense, neg2)
    )
    return en, zh


def t_request(rng: random.Random) -> EZ | None:
    """ "please close the window" / 请关上窗户; "let us go to the park" / 我们去公园吧."""
    r = rng.random()
    if r < 0.25:
        p = _pick(rng, PLACES)
        if rng.random() < 0.5:
            act = _pick(rng, ACTIVITIES)
            return f"let us {act.forms[0]} {act.rest}".strip(), "我们" + verb_zh(
                act, "hab", False
            ) + "吧"
        return f"let us go to {p.dest}", "我们去" + p.zh + "吧"
    if r < 0.45:
        kind = rng.choice(["m:drink", "m:dish", "food", "object"])
        o_en, o_zh = object_np(rng, kind)
        who = _pick(rng, [("me", "我"), ("us", "我们"), ("him", "他"), ("her", "她")])
        return f"please give {who[0]} {o_en}", "请给" + who[1] + o_zh
    verb = _pick(rng, TRANSITIVE)
    o_en, o_zh = object_np(rng, _pick(rng, verb.objs))
    vp_en = verb.forms[0] + " " + verb.rest.replace("{o}", o_en)
    if rng.random() < 0.25:
        return f"please do not {vp_en}", "请不要" + verb_zh(verb, "hab", False, o_zh)
    return f"please {vp_en}", "请" + verb_zh(verb, "hab", False, o_zh)


# name -> (weight, template)
TEMPLATES: dict[str, tuple[float, Callable[[random.Random], EZ | None]]] = {
    "svo": (30, t_svo),
    "motion": (8, t_motion),
    "exist": (6, t_exist),
    "location": (6, t_location),
    "state": (5, t_state),
    "property": (5, t_property),
    "compare": (4, t_compare),
    "question": (9, t_question),
    "like": (9, t_like),
    "weather": (6, t_weather),
    "schedule": (4, t_schedule),
    "numbers": (8, t_numbers),
    "because": (3, t_because),
    "conj": (4, t_conj),
    "request": (4, t_request),
}
_NAMES = list(TEMPLATES)
_WEIGHTS = [TEMPLATES[n][0] for n in _NAMES]

_EN_RE = re.compile(r"^[a-z]+( [a-z]+)*$")
_ZH_RE = re.compile(r"^[\u4e00-\u9fff]+$")


def is_normalised(text: str, lang: str) -> bool:
    """True if ``text`` follows the corpus normalisation for ``lang`` ("en" or "zh")."""
    return bool((_EN_RE if lang == "en" else _ZH_RE).match(text))


def generate_pair(rng: random.Random) -> Pair:
    """Draw one parallel sentence (4-15 English words, at most 28 hanzi)."""
    while True:
        name = rng.choices(_NAMES, weights=_WEIGHTS)[0]
        out = TEMPLATES[name][1](rng)
        if out is None:
            continue
        en, zh = " ".join(out[0].split()), out[1]
        if not (MIN_WORDS <= len(en.split()) <= MAX_WORDS and len(zh) <= MAX_ZH_CHARS):
            continue
        # defensive: a template bug must not leak punctuation or latin letters into a transcript
        if not (is_normalised(en, "en") and is_normalised(zh, "zh")):
            raise ValueError(f"template {name} produced unnormalised text: {en!r} / {zh!r}")
        return Pair(en, zh, name)


def unique_pairs(rng: random.Random, n: int, exclude: Iterable[Pair] = ()) -> list[Pair]:
    """Draw ``n`` pairs whose English *and* Chinese texts are unseen (also not in ``exclude``)."""
    seen_en = {p.en for p in exclude}
    seen_zh = {p.zh for p in exclude}
    out: list[Pair] = []
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 50 * n + 1000:
            raise RuntimeError(f"grammar too small for {n} unique sentences")
        p = generate_pair(rng)
        if p.en in seen_en or p.zh in seen_zh:
            continue
        seen_en.add(p.en)
        seen_zh.add(p.zh)
        out.append(p)
    return out


def vocabulary(n: int = 20000, seed: int = 0) -> dict[str, set[str]]:
    """Empirical vocabulary: English words and Chinese characters used by ``n`` random sentences."""
    rng = random.Random(seed)
    en: set[str] = set()
    zh: set[str] = set()
    for _ in range(n):
        p = generate_pair(rng)
        en.update(p.en.split())
        zh.update(p.zh)
    return {"en": en, "zh": zh}
