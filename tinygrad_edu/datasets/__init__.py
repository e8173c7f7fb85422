"""Every data set the demos, notebooks, tests and benchmarks use, in one place.

Each module holds one data set, its loader and (where there is one) its raw
file beside it, read through `importlib.resources` so that an installed
package finds it as a checkout does. Everything random is seeded.

=====================  ===============================================  ==========================
module                 what                                             raw file, licence
=====================  ===============================================  ==========================
`names`                first names; `CharTokenizer`                     first-names.txt, public domain
`digits`               1,797 handwritten digits, 8x8                    digits-8x8.csv.gz, CC BY 4.0
`moons`                two interleaving half circles (generated)        -
`translation`          a toy French -> English grammar (generated)      -
`tatoeba`              5,000 real French -> English sentence pairs      tatoeba-fr-en/, CC-BY 2.0 FR
`senses`               sentences where "bank" means two things          sense-sentences.tsv (ours)
`treebank`             CoNLL-U reader, writer, a toy grammar's trees    handwritten.conllu (ours)
`ewt`                  real English trees (UD English-EWT dev, test);   ud-english-ewt/, CC BY-SA 4.0
                       `tokenize_like_ewt`
`corpus`               the word2vec corpus                              word2vec-corpus.txt (ours)
=====================  ===============================================  ==========================

`text.normalise_sentence` reads a sentence a person typed the way these
sets are written (lowercase, punctuation off the ends of words), for every
demo and model that takes one.

The most used names are here at the top, so ``from tinygrad_edu.datasets
import load_names`` works:

    >>> from tinygrad_edu.datasets import load_names, make_moons
    >>> len(load_names()) > 5000
    True
    >>> points, labels = make_moons(4, noise=0.0)
    >>> labels
    [-1, -1, 1, 1]
"""

from .corpus import load_word2vec_corpus, read_sentences
from .digits import Digit, as_image, as_vector, load_digits, split_digits
from .moons import make_moons
from .names import CharTokenizer, load_names
from .text import normalise_sentence

__all__ = [
    "CharTokenizer",
    "Digit",
    "as_image",
    "as_vector",
    "load_digits",
    "load_names",
    "load_word2vec_corpus",
    "make_moons",
    "normalise_sentence",
    "read_sentences",
    "split_digits",
]
