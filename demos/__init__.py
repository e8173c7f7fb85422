"""Runnable demos, one file each: `tinygrad-edu demo NAME`.

Each module has `main(argv) -> int`; `--quick` runs a few seconds' worth (what
CI runs), `--out DIR` says where the pictures go.
"""

# name -> (module, one-line summary)
DEMOS: dict[str, tuple[str, str]] = {
    "neuron": ("demos.neuron", "one neuron, tanh(x1*w1 + x2*w2 + b): its graph and backprop step by step"),
    "moons": ("demos.moons", "an MLP learns to separate two moons (micrograd's demo)"),
    "word2vec": ("demos.word2vec", "skip-gram word vectors: nearest words, king - man + woman, a 2-D map"),
    "long-range": (
        "demos.long_range",
        "remember a token D steps back: the RNN fails first, LSTM and attention hold",
    ),
    "attention": ("demos.attention", "one attention head learns where to look; heat maps of its weights"),
    "gpt": ("demos.gpt", "a character-level GPT (microgpt-sized) makes up first names"),
    "translate": (
        "demos.translate",
        "French -> English: GRU with and without attention and a Transformer; --data tatoeba: real sentences",
    ),
    "digits": ("demos.digits", "a small CNN reads handwritten 8x8 digits; its kernels and feature maps"),
    "parse": (
        "demos.parse",
        "a neural dependency parser: stack, buffer, moves, UAS/LAS, the tree; --data ewt: real English",
    ),
    "bert": ("demos.bert", 'a small BERT: masked words, fill-mask, "bank" by a river vs "bank" with money'),
}
