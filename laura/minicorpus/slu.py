"""SLU: SLURP-like spoken English commands with an intent and slots.

Each intent (SLURP's ``scenario_action`` names: ``alarm_set``, ``weather_query``,
``iot_hue_lightson`` ...) has a few templates; a template is a command (``"set an alarm for
{time} {date}"``) or a question, and ``{type}`` fields are slots filled from value lists. Commands
get an optional polite frame ("please ...", "could you ...", "... for me") and anything may get
the wake word "olly" (SLURP's), so even slot-less intents have dozens of distinct transcripts.

Tables (``slu/{train,dev,test}``): ``text`` (transcript, normalised like the grammar: lower-case
words, numbers spelled out), ``utt2intent`` and ``utt2slots`` (``type=value ; type=value`` in
the order spoken, ``none`` without slots; every value occurs in the transcript), ``utt2lang``
(``en``). Transcripts of dev and test never occur in train, and part of test is spoken by
held-out voices.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from laura.minicorpus import grammar, words
from laura.minicorpus.core import (
    SPLIT_CODE,
    SPLITS,
    BuildContext,
    SluSize,
    assign_speakers,
    register_builder,
    split_summary,
)
from laura.minicorpus.synth import SynthJob
from laura.minicorpus.voices import sample_prosody

__all__ = ["INTENTS", "SLOT_VALUES", "Command", "generate_command", "unique_commands", "build_slu"]


def _words(s: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in s.split(",") if v.strip())


_HOURS = [words.en_number(h) for h in range(1, 13)]
_MINUTES = ["fifteen", "thirty", "forty five", "ten", "twenty", "fifty"]
_ORDINALS = _words(
    "first, second, third, fourth, fifth, sixth, seventh, eighth, ninth, tenth, eleventh, "
    "twelfth, fifteenth, twentieth, twenty first, twenty fifth"
)
_MONTHS = _words(
    "january, february, march, april, may, june, july, august, september, october, november, "
    "december"
)
_DAYS = _words("monday, tuesday, wednesday, thursday, friday, saturday, sunday")


def _time(rng: random.Random) -> str:
    h = rng.choice(_HOURS)
    r = rng.random()
    if r < 0.35:
        return f"{h} {rng.choice(('am', 'pm'))}"
    if r < 0.6:
        return f"{h} {rng.choice(_MINUTES)} {rng.choice(('am', 'pm'))}"
    if r < 0.75:
        return f"{rng.choice(('half past', 'quarter past', 'quarter to'))} {h}"
    if r < 0.9:
        return f"{h} o clock"
    return rng.choice(("noon", "midnight"))


def _date(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.3:
        return rng.choice(("today", "tomorrow", "the day after tomorrow", "this weekend"))
    if r < 0.7:
        return f"{rng.choice(('', 'next ', 'this '))}{rng.choice(_DAYS)}"
    return f"the {rng.choice(_ORDINALS)} of {rng.choice(_MONTHS)}"


# slot type -> values (a tuple) or a generator
SLOT_VALUES: dict[str, Any] = {
    "time": _time,
    "date": _date,
    "timeofday": _words("this morning, this afternoon, this evening, tonight"),
    "place_name": _words(
        "london, paris, tokyo, berlin, madrid, rome, boston, chicago, sydney, toronto, dublin, "
        "beijing, shanghai, moscow, cairo, seattle, denver, vienna, prague, lisbon, oslo, "
        "edinburgh, manchester, new york, los angeles, san francisco, hong kong, singapore, "
        "amsterdam, brussels, athens, mexico city"
    ),
    "venue": _words(
        "airport, train station, city centre, hospital, office, museum, stadium, library, "
        "university, hotel, cinema, bus station"
    ),
    "artist_name": _words(
        "adele, madonna, the beatles, queen, coldplay, taylor swift, elton john, bob marley, "
        "miles davis, frank sinatra, nina simone, the rolling stones, abba, mozart, beethoven, "
        "shakira, bruno mars, ed sheeran, johnny cash, dolly parton, louis armstrong, "
        "whitney houston, david bowie, pink floyd, michael jackson, aretha franklin"
    ),
    "music_genre": _words(
        "jazz, rock, classical, pop, blues, reggae, country, hip hop, techno, folk, soul, "
        "opera, metal, disco, piano, relaxing"
    ),
    "radio_name": _words(
        "radio one, radio two, jazz fm, classic fm, the news station, capital radio, "
        "the sports channel, heart radio"
    ),
    "house_place": _words(
        "kitchen, living room, bedroom, bathroom, hallway, office, garage, dining room, "
        "garden, basement, nursery"
    ),
    "color_type": _words(
        "red, blue, green, yellow, purple, orange, pink, white, warm white, cool blue"
    ),
    "change_amount": _words(
        "ten percent, twenty percent, thirty percent, fifty percent, a little, half"
    ),
    "device_type": _words(
        "fan, heater, kettle, television, plug, socket, air conditioner, dishwasher, "
        "washing machine, radiator"
    ),
    "coffee_type": _words(
        "espresso, latte, cappuccino, black coffee, americano, flat white, mocha"
    ),
    "event_name": _words(
        "meeting, dentist appointment, team call, yoga class, doctor appointment, "
        "birthday party, dinner, job interview, gym session, piano lesson, haircut, "
        "parent evening, football practice"
    ),
    "person": _words(
        "sarah, john, david, emma, lucy, peter, anna, michael, tom, maria, james, kate, "
        "my mother, my father, my boss, my sister, my brother"
    ),
    "food_type": _words(
        "pizza, sushi, curry, burgers, noodles, fried chicken, salad, tacos, dumplings, "
        "pasta, fish and chips, soup, sandwiches, pancakes"
    ),
    "business_name": _words(
        "pizza palace, the noodle bar, golden dragon, burger town, the curry house, "
        "sushi corner, the corner cafe, mario kitchen"
    ),
    "transport_type": _words("train, bus, tram, ferry, flight, coach"),
    "news_topic": _words(
        "sports, politics, technology, business, science, health, the election, the economy, "
        "football, the stock market, the weather, music"
    ),
    "media_type": _words("the bbc, cnn, the guardian, the times, reuters, sky news"),
    "weather_descriptor": _words("rain, snow, sunny, windy, cold, hot, foggy, warm"),
    "list_name": _words("shopping, grocery, to do, packing, christmas, birthday"),
    "currency_name": _words("dollars, euros, pounds, yen, rupees, francs"),
    "amount": lambda rng: words.en_number(rng.choice((5, 10, 20, 50, 100, 200, 500))),
    "joke_type": _words("animals, doctors, computers, cats, school, football"),
}

# intent -> templates; "!" marks a command (takes a polite frame), "?" a question
INTENTS: dict[str, tuple[str, ...]] = {
    "alarm_set": (
        "! set an alarm for {time}",
        "! set an alarm for {time} {date}",
        "! wake me up at {time}",
        "! wake me up at {time} {date}",
        "? can you wake me up {date} at {time}",
    ),
    "alarm_query": (
        "? what alarms do i have",
        "? what time is my alarm {date}",
        "! show me my alarms for {date}",
        "? is my alarm set for {time}",
        "? when does my alarm go off {date}",
    ),
    "alarm_remove": (
        "! cancel my alarm for {time}",
        "! delete the {time} alarm",
        "! remove all my alarms",
        "! turn off my alarm for {date}",
    ),
    "weather_query": (
        "? what is the weather like in {place_name} {date}",
        "? what is the weather like {date}",
        "? will it {weather_descriptor} {date}",
        "? is it going to be {weather_descriptor} in {place_name} {date}",
        "? what is the temperature in {place_name}",
        "? do i need an umbrella {date}",
    ),
    "play_music": (
        "! play some {music_genre}",
        "! play some {music_genre} music",
        "! play {artist_name}",
        "! play music by {artist_name}",
        "! play {artist_name} in the {house_place}",
        "! put on some {music_genre} in the {house_place}",
    ),
    "play_radio": (
        "! play {radio_name}",
        "! turn on the radio",
        "! tune in to {radio_name}",
        "! put on {radio_name} in the {house_place}",
    ),
    "calendar_set": (
        "! add a {event_name} to my calendar for {date}",
        "! add a {event_name} to my calendar {date} at {time}",
        "! remind me about the {event_name} {date}",
        "! schedule a {event_name} with {person} {date}",
        "! book a {event_name} for {time} {date}",
    ),
    "calendar_query": (
        "? what is on my calendar {date}",
        "? when is my {event_name}",
        "? do i have any meetings {date}",
        "? am i free {timeofday}",
        "? when is my {event_name} with {person}",
    ),
    "calendar_remove": (
        "! cancel my {event_name} {date}",
        "! delete the {event_name} from my calendar",
        "! remove all events {date}",
        "! clear my calendar for {date}",
    ),
    "iot_hue_lightson": (
        "! turn on the lights in the {house_place}",
        "! switch the {house_place} lights on",
        "! turn the lights on",
        "! switch on the light in the {house_place}",
    ),
    "iot_hue_lightsoff": (
        "! turn off the lights in the {house_place}",
        "! switch off the lights",
        "! switch the {house_place} lights off",
        "! turn the light off in the {house_place}",
    ),
    "iot_hue_lightchange": (
        "! change the lights to {color_type}",
        "! make the {house_place} lights {color_type}",
        "! set the light colour to {color_type}",
        "! change the {house_place} light to {color_type}",
    ),
    "iot_hue_lightdim": (
        "! dim the lights in the {house_place}",
        "! lower the lights by {change_amount}",
        "! make the lights darker",
        "! dim the {house_place} lights by {change_amount}",
    ),
    "iot_cleaning": (
        "! start the vacuum cleaner",
        "! vacuum the {house_place}",
        "! clean the {house_place} floor",
        "! send the robot to clean the {house_place}",
    ),
    "iot_coffee": (
        "! make me a {coffee_type}",
        "? can i have a {coffee_type}",
        "! start the coffee machine",
        "! brew a {coffee_type} at {time}",
    ),
    "iot_wemo_on": (
        "! turn on the {device_type}",
        "! switch on the {device_type} in the {house_place}",
        "! switch the {device_type} on",
    ),
    "iot_wemo_off": (
        "! turn off the {device_type}",
        "! switch off the {device_type} in the {house_place}",
        "! switch the {device_type} off",
    ),
    "takeaway_order": (
        "! order {food_type} from {business_name}",
        "! order some {food_type} for {time}",
        "! get me {food_type} from {business_name}",
        "? can you order {food_type} for {timeofday}",
    ),
    "takeaway_query": (
        "? is my {food_type} on its way",
        "? when will my food from {business_name} arrive",
        "? does {business_name} deliver {timeofday}",
        "? is {business_name} open {date}",
    ),
    "transport_query": (
        "? when is the next {transport_type} to {place_name}",
        "? how long does the {transport_type} to {place_name} take",
        "? what time does the {transport_type} to {place_name} leave {date}",
        "? is the {transport_type} to {place_name} on time",
    ),
    "transport_ticket": (
        "! book a {transport_type} ticket to {place_name} for {date}",
        "! buy me a {transport_type} ticket to {place_name}",
        "! get two {transport_type} tickets to {place_name} {date}",
    ),
    "transport_taxi": (
        "! call me a taxi to the {venue}",
        "! book a taxi to the {venue} for {time}",
        "! get me a cab to the {venue}",
        "! order a taxi for {time} {date}",
    ),
    "news_query": (
        "? what is the latest news about {news_topic}",
        "! tell me the {news_topic} news",
        "! read me the headlines from {media_type}",
        "? what does {media_type} say about {news_topic}",
    ),
    "datetime_query": (
        "? what time is it in {place_name}",
        "? what is the date {date}",
        "? what day is it {date}",
        "? what is the time difference with {place_name}",
    ),
    "lists_createoradd": (
        "! add {food_type} to my {list_name} list",
        "! create a {list_name} list",
        "! put {food_type} on the {list_name} list",
    ),
    "lists_query": (
        "? what is on my {list_name} list",
        "! read me my {list_name} list",
        "? is {food_type} on my {list_name} list",
    ),
    "email_sendemail": (
        "! send an email to {person} about the {event_name}",
        "! email {person} that i am running late",
        "! write an email to {person} {date}",
    ),
    "email_query": (
        "? do i have any new emails",
        "! check my emails from {person}",
        "? did {person} email me {date}",
        "! read my latest email from {person}",
    ),
    "audio_volume_up": (
        "! turn the volume up",
        "! turn it up by {change_amount}",
        "! make the music louder",
        "! increase the volume in the {house_place}",
    ),
    "audio_volume_mute": (
        "! mute the speaker",
        "! turn the sound off",
        "! mute the music in the {house_place}",
        "! be quiet",
    ),
    "general_joke": (
        "! tell me a joke",
        "! tell me a joke about {joke_type}",
        "? do you know any jokes about {joke_type}",
        "! make me laugh",
    ),
    "qa_currency": (
        "? how many {currency_name} is {amount} {currency_name}",
        "! convert {amount} {currency_name} to {currency_name}",
        "? what is the exchange rate for {currency_name}",
    ),
    "cooking_recipe": (
        "? how do i make {food_type}",
        "! give me a recipe for {food_type}",
        "! find a {food_type} recipe for {timeofday}",
    ),
}

_CMD_FRAMES = (
    ("", ""),
    ("please ", ""),
    ("", " please"),
    ("can you ", ""),
    ("could you ", " please"),
    ("would you ", ""),
    ("i want you to ", ""),
    ("", " for me"),
    ("", " now"),
    ("could you please ", ""),
    ("i would like you to ", ""),
)
_WAKE = ("", "", "", "olly ", "hey olly ")
_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Command:
    """One spoken command: transcript, intent and slots ``[(type, value), ...]``."""

    text: str
    intent: str
    slots: tuple[tuple[str, str], ...]

    @property
    def slots_str(self) -> str:
        """``type=value ; type=value`` or ``none``."""
        return " ; ".join(f"{t}={v}" for t, v in self.slots) or "none"


def _value(rng: random.Random, slot: str) -> str:
    values = SLOT_VALUES[slot]
    return values(rng) if callable(values) else rng.choice(values)


def generate_command(rng: random.Random, intent: str) -> Command:
    """One random command of ``intent``."""
    template = rng.choice(INTENTS[intent])
    kind, body = template[0], template[2:]
    slots: list[tuple[str, str]] = []
    used: dict[str, str] = {}

    def fill(m: re.Match[str]) -> str:
        slot = m.group(1)
        value = _value(rng, slot)
        while used.get(slot) == value:  # "convert ten euros to euros": draw again
            value = _value(rng, slot)
        used[slot] = value
        slots.append((slot, value))
        return value

    text = _FIELD.sub(fill, body)
    if kind == "!":
        pre, post = rng.choice(_CMD_FRAMES)
        text = f"{pre}{text}{post}"
    text = " ".join(f"{rng.choice(_WAKE)}{text}".split())
    assert grammar.is_normalised(text, "en"), text
    return Command(text, intent, tuple(slots))


def unique_commands(
    rng: random.Random, n: int, exclude: Sequence[str] = (), intents: Sequence[str] = ()
) -> list[Command]:
    """``n`` commands with distinct transcripts (none in ``exclude``), intents cycled evenly
    (over a shuffled order) so every split covers all intents about equally."""
    names = list(intents or INTENTS)
    seen = set(exclude)
    out: list[Command] = []
    order: list[str] = []
    while len(out) < n:
        if not order:
            order = names[:]
            rng.shuffle(order)
        intent = order.pop()
        for _ in range(200):
            c = generate_command(rng, intent)
            if c.text not in seen:
                seen.add(c.text)
                out.append(c)
                break
        else:
            raise RuntimeError(f"intent {intent}: no new transcript after 200 draws")
    return out


@register_builder("slu")
def build_slu(ctx: BuildContext) -> dict[str, Any]:
    """Spoken commands (English voices) with ``utt2intent`` and ``utt2slots``."""
    spec: SluSize = ctx.spec("slu")
    counts = spec.counts
    rng = ctx.rng("slu", "commands")
    cmds: dict[str, list[Command]] = {}
    taken: list[str] = []
    for split in ("test", "dev", "train"):  # test first: it depends least on the other sizes
        cmds[split] = unique_commands(rng, counts[split], exclude=taken)
        taken += [c.text for c in cmds[split]]

    jobs: list[SynthJob] = []
    meta: list[tuple[str, str, Command]] = []
    for split in SPLITS:
        srng = ctx.rng("slu", "assign", split)
        spks = assign_speakers(ctx, srng, "en", split, counts[split], spec.test_heldout_frac)
        for i, (spk, cmd) in enumerate(zip(spks, cmds[split], strict=True)):
            uttid = f"{spk.spk}-slu{SPLIT_CODE[split]}{i:05d}"
            p = sample_prosody(srng, spk)
            path = ctx.work / "wav" / "slu" / spk.spk / f"{uttid}.wav"
            jobs.append(
                SynthJob(
                    uttid,
                    str(path),
                    cmd.text,
                    spk.voice,
                    p.speed,
                    p.pitch,
                    p.pitch_range,
                    p.peak,
                    p.lead,
                    p.trail,
                )
            )
            meta.append((spk.spk, split, cmd))
    results = ctx.synthesize(jobs, desc="slu speech")

    section: dict[str, Any] = {"splits": {}, "intents": sorted(INTENTS)}
    for split in SPLITS:
        rows = [(j, r, m) for j, r, m in zip(jobs, results, meta, strict=True) if m[1] == split]
        wav = {j.uttid: ctx.rel(r.path) for j, r, _ in rows}
        utt2spk = {j.uttid: m[0] for j, _, m in rows}
        tables = {
            "text": {j.uttid: m[2].text for j, _, m in rows},
            "utt2intent": {j.uttid: m[2].intent for j, _, m in rows},
            "utt2slots": {j.uttid: m[2].slots_str for j, _, m in rows},
            "utt2lang": {j.uttid: "en" for j, _, _ in rows},
        }
        ctx.write_dir("slu", split, wav, utt2spk, tables)
        summary = split_summary(ctx, utt2spk, wav)
        summary["intents"] = len({m[2].intent for _, _, m in rows})
        section["splits"][split] = summary
    return section
