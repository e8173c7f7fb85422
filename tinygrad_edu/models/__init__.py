"""Whole systems built from the blocks in `tinygrad_edu.nn`, one file each,
each with its own tokenizer or feature code: models a learner trains end to
end.

    gpt.py        a decoder-only transformer (nanoGPT's names): logits, loss, generate
    digits.py     the small CNN that reads 8x8 handwritten digits (conv, pool, flatten, Linear)
    translate.py  a GRU encoder-decoder with attention, beam search and BLEU
    word2vec.py   skip-gram with negative sampling, nearest words, analogies, PCA
    parser.py     a transition-based dependency parser (Chen & Manning 2014): arc-standard
                  moves, the oracle, the feed-forward network, greedy parsing, UAS/LAS
    bert.py       a bidirectional encoder: word tokenizer, 15% masking, masked-LM loss, fill_mask, classifier

Import a system by its module, ``from tinygrad_edu.models.word2vec import
Word2Vec``: this package exports nothing itself, so adding a system touches
only its own file.
"""
