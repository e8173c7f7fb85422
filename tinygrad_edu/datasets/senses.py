"""A corpus of short sentences in which four words have two senses each.

"bank" by a river and "bank" with money are one word to word2vec, and two
to a model that reads the context. To let a learner see that, this module
makes a few thousand short, lowercase sentences on five topics (nature,
money, sport, music, weather), in which four ambiguous words appear in both
of their senses:

    bank    river (nature)      / money (money)
    bat     animal (nature)     / sport (sport)
    pitch   field (sport)       / sound (music)
    spring  water (nature)      / season (weather)

Most sentences come from templates whose slots are filled from small word
lists (``"the {animal} rested on the bank of the {water}"``), so words of a
list are seen in the same places and a model can learn that they are alike;
a few dozen hand-written ones, shipped in ``sense-sentences.tsv`` beside this file, add
other shapes. Every sentence carries its topic and, if it holds an
ambiguous word, which sense it is used in.

`sense_corpus(seed)` draws the sentences (seeded: the same seed gives the
same corpus, in the same order), removes repeats and keeps a held-out tenth
that no training step sees:

    >>> corpus = sense_corpus()
    >>> len(corpus.train), len(corpus.held_out)
    (2250, 250)
    >>> sorted(TOPICS) == sorted({s.topic for s in corpus.train})
    True
    >>> [s for s in corpus.train if s.word == "bank"][0]  # doctest: +ELLIPSIS
    LabelledSentence(words=(...'bank'...), topic='...', word='bank', sense='...')
    >>> sorted(SENSES["pitch"])
    ['field', 'sound']
"""

from __future__ import annotations

import random
import re
from importlib import resources
from typing import NamedTuple

__all__ = ["SENSES", "TOPICS", "LabelledSentence", "SenseCorpus", "sense_corpus"]

TOPICS = ("nature", "money", "sport", "music", "weather")

# word -> {sense: the topic its sentences are about}
SENSES = {
    "bank": {"river": "nature", "money": "money"},
    "bat": {"animal": "nature", "sport": "sport"},
    "pitch": {"field": "sport", "sound": "music"},
    "spring": {"water": "nature", "season": "weather"},
}

# The slot fillers. A list's words share their templates, so they share contexts.
SLOTS = {
    "who": ["she", "he", "my sister", "my uncle", "the old man", "a child", "the farmer", "our neighbour"],
    # nature
    "water": ["river", "stream", "lake", "pond", "brook"],
    "animal": ["fish", "duck", "frog", "deer", "fox", "otter", "heron"],
    "plant": ["tree", "reeds", "moss", "ferns", "willow"],
    "wild": ["muddy", "grassy", "steep", "quiet", "green"],
    "dark": ["dark", "cold", "deep", "old"],
    "cave": ["cave", "barn", "attic", "tunnel"],
    "insect": ["insects", "moths", "flies", "beetles"],
    "night": ["night", "dusk", "dawn", "midnight"],
    "clear": ["clear", "fresh", "cold", "pure"],
    # money
    "cash": ["money", "cash", "savings", "coins", "gold"],
    "worker": ["clerk", "banker", "manager", "cashier"],
    "thing": ["loan", "account", "card", "cheque", "debt"],
    "local": ["local", "new", "big", "small", "busy"],
    # sport
    "player": ["player", "batsman", "captain", "striker", "coach"],
    "batgame": ["cricket", "baseball", "softball"],
    "game": ["cricket", "football", "rugby", "hockey"],
    "hit": ["hit", "struck", "smashed", "swung"],
    "wooden": ["wooden", "heavy", "new", "light"],
    # music
    "singer": ["singer", "choir", "tenor", "soprano", "pianist"],
    "instrument": ["piano", "violin", "guitar", "flute", "trumpet", "cello"],
    "tune": ["song", "tune", "melody", "chord", "note"],
    "high": ["high", "low", "steady", "perfect"],
    # weather
    "season": ["summer", "winter", "autumn"],  # never "spring": it only appears in its own templates
    "flower": ["tulips", "daisies", "roses", "blossoms", "lilies"],
    "weather": ["rain", "snow", "wind", "frost", "fog"],
    "warm": ["warm", "bright", "long", "mild"],
}

# (topic, "word/sense" or "", template)
TEMPLATES = [
    # bank: river / money
    ("nature", "bank/river", "the {animal} rested on the bank of the {water}"),
    ("nature", "bank/river", "{who} sat on the {wild} bank of the {water}"),
    ("nature", "bank/river", "{plant} grew along the {wild} bank"),
    ("nature", "bank/river", "the {water} burst its {wild} bank"),
    ("nature", "bank/river", "{who} fished from the bank of the {water}"),
    ("nature", "bank/river", "a {animal} swam to the {wild} bank"),
    ("nature", "bank/river", "the bank of the {water} was {wild}"),
    ("money", "bank/money", "{who} put the {cash} in the bank"),
    ("money", "bank/money", "the {local} bank approved the {thing}"),
    ("money", "bank/money", "the {worker} at the bank counted the {cash}"),
    ("money", "bank/money", "{who} opened an account at the {local} bank"),
    ("money", "bank/money", "the {local} bank charges interest on the {thing}"),
    ("money", "bank/money", "{who} borrowed {cash} from the bank"),
    ("money", "bank/money", "the {worker} locked the {local} bank"),
    # bat: animal / sport
    ("nature", "bat/animal", "a bat flew out of the {dark} {cave}"),
    ("nature", "bat/animal", "the bat hung upside down in the {dark} {cave}"),
    ("nature", "bat/animal", "the bat hunts {insect} at {night}"),
    ("nature", "bat/animal", "a bat slept in the {dark} {cave}"),
    ("nature", "bat/animal", "the little bat ate {insect} at {night}"),
    ("nature", "bat/animal", "{who} saw a bat fly at {night}"),
    ("nature", "bat/animal", "a bat and a {animal} lived by the {water}"),
    ("sport", "bat/sport", "the {player} swung the {wooden} bat"),
    ("sport", "bat/sport", "{who} {hit} the ball with a {wooden} bat"),
    ("sport", "bat/sport", "the {player} picked up a {wooden} bat"),
    ("sport", "bat/sport", "{who} needs a bat to play {batgame}"),
    ("sport", "bat/sport", "the {player} broke the {wooden} bat"),
    ("sport", "bat/sport", "a {batgame} bat is {wooden}"),
    # pitch: field / sound
    ("sport", "pitch/field", "the {player} ran onto the {game} pitch"),
    ("sport", "pitch/field", "the {game} pitch was wet after the {weather}"),
    ("sport", "pitch/field", "{who} ran across the pitch after the {game} match"),
    ("sport", "pitch/field", "the {player} marked the {game} pitch"),
    ("sport", "pitch/field", "{who} kicked the ball across the {wild} pitch"),
    ("sport", "pitch/field", "the {player} walked off the {game} pitch"),
    ("music", "pitch/sound", "the {singer} sang at a {high} pitch"),
    ("music", "pitch/sound", "{who} tuned the {instrument} to the right pitch"),
    ("music", "pitch/sound", "the {instrument} has a {high} pitch"),
    ("music", "pitch/sound", "the {singer} has {high} pitch"),
    ("music", "pitch/sound", "that {tune} is {high} in pitch"),
    ("music", "pitch/sound", "the pitch of the {instrument} was {high}"),
    # spring: water / season
    ("nature", "spring/water", "{who} drank {clear} water from the spring"),
    ("nature", "spring/water", "the {clear} spring feeds the {water}"),
    ("nature", "spring/water", "a {animal} drank from the {clear} spring"),
    ("nature", "spring/water", "{clear} water bubbles up from the {dark} spring"),
    ("nature", "spring/water", "the {clear} spring flows down into the {water}"),
    ("nature", "spring/water", "{who} filled a bottle at the {clear} spring"),
    ("weather", "spring/season", "the {flower} bloom in {warm} spring"),
    ("weather", "spring/season", "{who} picks {flower} in spring"),
    ("weather", "spring/season", "spring comes after the {warm} {season}"),
    ("weather", "spring/season", "the {season} {weather} stopped in early spring"),
    ("weather", "spring/season", "{who} waits for the {flower} every spring"),
    ("weather", "spring/season", "{who} plants {flower} every spring"),
    # the topics, without an ambiguous word
    ("nature", "", "the {animal} swam in the {water}"),
    ("nature", "", "a {animal} hid under the {plant}"),
    ("nature", "", "the {wild} {water} runs through the forest"),
    ("nature", "", "{who} walked beside the {wild} {water}"),
    ("money", "", "{who} saved {cash} for a new house"),
    ("money", "", "the {worker} checked the {thing}"),
    ("money", "", "{who} paid the {thing} with {cash}"),
    ("money", "", "prices rose and the {cash} lost value"),
    ("sport", "", "the {player} scored in the {game} match"),
    ("sport", "", "our team won the {game} match"),
    ("sport", "", "the {player} threw the ball to the {player}"),
    ("sport", "", "the crowd cheered for the {player}"),
    ("music", "", "the {singer} sang a {tune}"),
    ("music", "", "{who} played a {tune} on the {instrument}"),
    ("music", "", "the {singer} sang a {high} {tune}"),
    ("music", "", "the {instrument} sounded sweet"),
    ("weather", "", "the {weather} lasted all {season}"),
    ("weather", "", "{who} stayed inside during the {weather}"),
    ("weather", "", "the {season} brought {weather} and {warm} days"),
    ("weather", "", "the {flower} opened in the {warm} sun"),
]

HAND_WRITTEN = "sense-sentences.tsv"
SLOT = re.compile(r"\{(\w+)\}")


class LabelledSentence(NamedTuple):
    """One sentence: its words, its topic, and its ambiguous word and sense
    (both None when it has none)."""

    words: tuple[str, ...]
    topic: str
    word: str | None
    sense: str | None


class SenseCorpus(NamedTuple):
    """The sentences to train on, and the held-out ones no training step sees."""

    train: list[LabelledSentence]
    held_out: list[LabelledSentence]


def sense_corpus(seed: int = 0, size: int = 2500, held_out: float = 0.1) -> SenseCorpus:
    """The hand-written sentences plus template sentences up to `size` in all,
    without repeats, shuffled with `seed`; the last `held_out` fraction is
    the held-out set."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"sense_corpus: seed must be an int, got {seed!r}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 20:
        raise ValueError(f"sense_corpus: size must be an int >= 20, got {size!r}")
    if isinstance(held_out, bool) or not isinstance(held_out, (int, float)) or not 0.0 < held_out < 1.0:
        raise ValueError(f"sense_corpus: held_out must be a fraction between 0 and 1, got {held_out!r}")
    rng = random.Random(seed)
    sentences = _hand_written()[:size]
    seen = {s.words for s in sentences}
    # Each template in turn, so every sense gets its share. A fill drawn
    # before is skipped: it would put the same sentence in both sets.
    for attempt in range(200 * size):
        if len(sentences) >= size:
            break
        topic, labels, template = TEMPLATES[attempt % len(TEMPLATES)]
        words = tuple(SLOT.sub(lambda m: rng.choice(SLOTS[m.group(1)]), template).split())
        if words not in seen:
            seen.add(words)
            word, sense = labels.split("/") if labels else (None, None)
            sentences.append(LabelledSentence(words, topic, word, sense))
    rng.shuffle(sentences)
    n_held = max(1, round(held_out * len(sentences)))
    return SenseCorpus(sentences[:-n_held], sentences[-n_held:])


def _hand_written() -> list[LabelledSentence]:
    """The shipped sentences: `topic <tab> word/sense or - <tab> sentence` a line."""
    text = resources.files(__package__).joinpath(HAND_WRITTEN).read_text(encoding="utf-8")
    sentences = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        topic, labels, sentence = line.split("\t")
        word, sense = labels.split("/") if labels != "-" else (None, None)
        sentences.append(LabelledSentence(tuple(sentence.split()), topic, word, sense))
    return sentences
