"""word2vec: the loss and its gradients, sampling, similarities, PCA, training."""

import math
import random
from collections import Counter

import pytest

from tinygrad_edu import Value
from tinygrad_edu.datasets import read_sentences
from tinygrad_edu.models.word2vec import (
    NoiseDistribution,
    Word2Vec,
    analogy,
    cosine_similarity,
    keep_probabilities,
    log_sigmoid,
    pca_2d,
    sgns_loss,
    skipgram_windows,
    subsample,
    train,
)
from tinygrad_edu.nn import shape_of

EPS = 1e-6


def small_model(dim=4, seed=0):
    rng = random.Random(seed)
    model = Word2Vec(["a", "b", "c", "d", "e"], dim=dim, counts=[5, 4, 3, 2, 1], rng=rng)
    # Random context vectors too (they start at zero), so every gradient is non-trivial.
    for row in model.context_vectors:
        for v in row:
            v.data = rng.uniform(-0.5, 0.5)
    return model


# ------------------------------------------------------------- log_sigmoid
@pytest.mark.parametrize("x", [-30.0, -2.0, -0.3, 0.0, 0.7, 3.0, 30.0])
def test_log_sigmoid_value_and_gradient(x):
    v = Value(x)
    out = log_sigmoid(v)
    # log(1 + e**-x) for large x: the log of a number near 1 keeps ~1e-16 absolute accuracy.
    assert out.data == pytest.approx(-math.log1p(math.exp(-x)), rel=1e-12, abs=1e-15)
    out.backward()
    sig_neg = 1.0 / (1.0 + math.exp(x))  # d log sigmoid(x)/dx = 1 - sigmoid(x) = sigmoid(-x)
    assert v.grad == pytest.approx(sig_neg, rel=1e-9, abs=1e-15)
    numeric = (log_sigmoid(Value(x + EPS)).data - log_sigmoid(Value(x - EPS)).data) / (2 * EPS)
    assert v.grad == pytest.approx(numeric, abs=1e-6)


def test_log_sigmoid_does_not_overflow():
    assert log_sigmoid(Value(-1000.0)).data == pytest.approx(-1000.0)
    assert log_sigmoid(Value(1000.0)).data == 0.0


# ---------------------------------------------------------------- the loss
CASE = {"center": 1, "contexts": [0, 2], "negatives": [[3, 4, 4], [0, 3]]}


def test_sgns_loss_by_hand():
    model = small_model()
    v = model.vector(model.words[1])
    u = [[p.data for p in row] for row in model.context_vectors]

    def log_sig(x):
        return -math.log1p(math.exp(-x))

    def dot(a, b):
        return sum(x * y for x, y in zip(a, b))

    expected = -(
        log_sig(dot(u[0], v))
        + sum(log_sig(-dot(u[n], v)) for n in [3, 4, 4])
        + log_sig(dot(u[2], v))
        + sum(log_sig(-dot(u[n], v)) for n in [0, 3])
    )
    assert sgns_loss(model, **CASE).data == pytest.approx(expected, rel=1e-12)


def test_sgns_loss_gradients_match_finite_differences():
    model = small_model()
    loss = sgns_loss(model, **CASE)
    loss.backward()
    for p in model.parameters():
        old = p.data
        p.data = old + EPS
        plus = sgns_loss(model, **CASE).data
        p.data = old - EPS
        minus = sgns_loss(model, **CASE).data
        p.data = old
        assert p.grad == pytest.approx((plus - minus) / (2 * EPS), abs=1e-6)


def test_sgns_loss_matches_torch():
    torch = pytest.importorskip("torch")
    model = small_model()
    loss = sgns_loss(model, **CASE)
    loss.backward()
    W = torch.tensor(model.state_dict()["word_vectors"], dtype=torch.float64, requires_grad=True)
    U = torch.tensor(model.state_dict()["context_vectors"], dtype=torch.float64, requires_grad=True)
    v = W[CASE["center"]]
    ref = 0.0
    for ctx, negs in zip(CASE["contexts"], CASE["negatives"]):
        ref = ref - torch.nn.functional.logsigmoid(U[ctx] @ v)
        ref = ref - torch.nn.functional.logsigmoid(-(U[negs] @ v)).sum()
    ref.backward()
    assert loss.data == pytest.approx(ref.item(), abs=1e-12)
    assert [p.grad for row in model.word_vectors for p in row] == pytest.approx(
        W.grad.flatten().tolist(), abs=1e-9
    )
    assert [p.grad for row in model.context_vectors for p in row] == pytest.approx(
        U.grad.flatten().tolist(), abs=1e-9
    )


def test_graph_is_a_few_nodes_per_pair():
    model = small_model(dim=50)
    loss = sgns_loss(model, center=0, contexts=[1], negatives=[[2, 3]])
    ops = Counter(n.op for n in loss.topological_order() if n.op)
    assert ops["dot"] == 3  # one fused node per (word, context) score, not 50 multiplies
    assert ops["*"] == 0


# ------------------------------------------------------------ the model
def test_state_dict_names_and_shapes():
    model = Word2Vec(["x", "y", "z"], dim=5)
    assert {k: shape_of_numbers(v) for k, v in model.state_dict().items()} == {
        "word_vectors": (3, 5),
        "context_vectors": (3, 5),
    }
    assert shape_of(model.word_vectors) == (3, 5)
    assert model.num_parameters() == 30
    assert repr(model) == "Word2Vec(3 words, dim=5)"


def shape_of_numbers(x):
    return (len(x), len(x[0]))


def test_from_sentences_orders_by_frequency():
    model = Word2Vec.from_sentences([["b", "a", "b"], ["c", "b", "a"]], dim=2, rng=random.Random(0))
    assert model.words == ["b", "a", "c"]
    assert model.counts == [3, 2, 1]
    rare = Word2Vec.from_sentences([["b", "a", "b"], ["c", "b", "a"]], dim=2, min_count=2)
    assert rare.words == ["b", "a"]


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="Word2Vec: dim must be a positive int, got 0"):
        Word2Vec(["a"], dim=0)
    with pytest.raises(ValueError, match="Word2Vec: words must not repeat"):
        Word2Vec(["a", "a"], dim=2)
    with pytest.raises(ValueError, match="Word2Vec: got 1 counts for 2 words"):
        Word2Vec(["a", "b"], dim=2, counts=[1])
    model = Word2Vec(["a", "b"], dim=2)
    with pytest.raises(KeyError, match="'zebra' is not in the vocabulary of 2 words"):
        model.nearest("zebra")
    with pytest.raises(ValueError, match="cosine_similarity: the vectors need the same length, got 2 and 3"):
        cosine_similarity([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="cosine_similarity: a zero vector has no direction"):
        cosine_similarity([0.0, 0.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="NoiseDistribution: counts must be"):
        NoiseDistribution([3, 0])
    with pytest.raises(ValueError, match="pca_2d: needs at least two vectors, got 1"):
        pca_2d([[1.0, 2.0]])


# ------------------------------------------------------ similarity, analogy
def test_cosine_similarity():
    assert cosine_similarity([1.0, 0.0], [0.0, 3.0]) == 0.0
    assert cosine_similarity([1.0, 2.0], [2.0, 4.0]) == pytest.approx(1.0)
    assert cosine_similarity([1.0, 2.0], [-1.0, -2.0]) == pytest.approx(-1.0)
    assert cosine_similarity([Value(1.0), Value(1.0)], [1.0, 0.0]) == pytest.approx(math.sqrt(0.5))


def hand_made_model():
    """Vectors with a 'royal' axis, a 'female' axis and a 'fruit' axis."""
    vectors = {
        "king": [1.0, 0.0, 0.0, 0.1],
        "queen": [1.0, 1.0, 0.0, 0.1],
        "man": [0.0, 0.0, 0.0, 1.0],
        "woman": [0.0, 1.0, 0.0, 1.0],
        "apple": [0.0, 0.0, 1.0, 0.0],
        "pear": [0.1, 0.0, 1.0, 0.0],
    }
    model = Word2Vec(list(vectors), dim=4)
    model.load_state_dict({"word_vectors": list(vectors.values()), "context_vectors": [[0.0] * 4] * 6})
    return model


def test_nearest_and_analogy_on_known_vectors():
    model = hand_made_model()
    assert model.nearest("apple", k=1)[0][0] == "pear"
    assert model.nearest("apple", k=1)[0][1] == pytest.approx(cosine_similarity([0, 0, 1, 0], [0.1, 0, 1, 0]))
    nearest_king = [w for w, _ in model.nearest("king", k=10)]
    assert nearest_king[0] == "queen" and "king" not in nearest_king and len(nearest_king) == 5
    (word, score), *_ = model.analogy("king", "man", "woman", k=3)
    assert word == "queen"
    assert -1.0 <= score <= 1.0
    assert analogy(model, "king", "man", "woman") == model.analogy("king", "man", "woman")
    assert all(w not in ("king", "man", "woman") for w, _ in model.analogy("king", "man", "woman", k=10))


# ---------------------------------------------------------------- sampling
def test_noise_distribution_follows_count_to_the_three_quarters():
    noise = NoiseDistribution([81, 16, 1])
    # 81**0.75 = 27, 16**0.75 = 8, 1**0.75 = 1
    assert noise.probabilities == pytest.approx([27 / 36, 8 / 36, 1 / 36])
    draws = Counter(noise.sample(random.Random(0), 36000))
    assert draws[0] / 36000 == pytest.approx(27 / 36, abs=0.01)
    assert draws[2] / 36000 == pytest.approx(1 / 36, abs=0.005)
    assert noise.sample(random.Random(5), 10) == noise.sample(random.Random(5), 10)  # seeded


def test_skipgram_windows_stay_within_the_window():
    sentence = list(range(10))
    windows = list(skipgram_windows(sentence, window=3, rng=random.Random(0)))
    assert [c for c, _ in windows] == sentence
    for center, contexts in windows:
        assert center not in contexts
        assert all(1 <= abs(c - center) <= 3 for c in contexts)
    # Over many draws every distance 1..3 turns up, and near words more often.
    distances = Counter(
        abs(c - center)
        for seed in range(30)
        for center, contexts in skipgram_windows(sentence, 3, random.Random(seed))
        for c in contexts
    )
    assert set(distances) == {1, 2, 3}
    assert distances[1] > distances[2] > distances[3]


def test_subsampling_drops_frequent_words():
    keep = keep_probabilities([900, 90, 10], threshold=1e-2)
    assert keep[2] == 1.0 and keep[0] < keep[1] <= 1.0
    assert keep_probabilities([900, 90, 10], threshold=0) == [1.0, 1.0, 1.0]
    sentence = [0] * 1000 + [2] * 10
    kept = Counter(subsample(sentence, keep, random.Random(0)))
    assert kept[2] == 10
    assert kept[0] == pytest.approx(1000 * keep[0], rel=0.2)


# ------------------------------------------------------------------- PCA
def test_pca_recovers_a_plane_hidden_in_five_dimensions():
    rng = random.Random(0)
    # Points in a 2-D plane (spread 3 along one axis, 1 along the other), rotated into 5-D.
    a = [0.6, 0.8, 0.0, 0.0, 0.0]
    b = [0.0, 0.0, 0.6, 0.0, 0.8]
    flat = [(rng.gauss(0, 3), rng.gauss(0, 1)) for _ in range(40)]
    vectors = [[s * ai + t * bi + 1.0 for ai, bi in zip(a, b)] for s, t in flat]
    points = pca_2d(vectors)
    # A projection onto the plane keeps every distance between points.
    for i in range(0, 40, 7):
        for j in range(1, 40, 5):
            d_high = math.dist(vectors[i], vectors[j])
            assert math.dist(points[i], points[j]) == pytest.approx(d_high, rel=1e-6, abs=1e-9)
    # The first component carries the larger spread.
    assert sum(x * x for x, _ in points) > sum(y * y for _, y in points)
    assert pca_2d(vectors) == points  # deterministic


def test_pca_matches_numpy_svd():
    np = pytest.importorskip("numpy")
    rng = random.Random(1)
    vectors = [[rng.gauss(0, s) for s in (3.0, 2.0, 1.0, 0.5, 0.2)] for _ in range(30)]
    points = pca_2d(vectors, iterations=500)
    X = np.array(vectors)
    X = X - X.mean(axis=0)
    _, _, vt = np.linalg.svd(X, full_matrices=False)
    for k in range(2):
        ours = np.array([p[k] for p in points])
        ref = X @ vt[k]
        assert min(np.abs(ours - ref).max(), np.abs(ours + ref).max()) < 1e-6  # up to sign


# ---------------------------------------------------------------- training
def test_training_lowers_the_loss_and_groups_words():
    # Two topics that never share a sentence: animals and fruit.
    rng = random.Random(0)
    sentences = []
    for _ in range(40):
        sentences.append(["the", rng.choice(["cat", "dog"]), rng.choice(["runs", "barks", "sleeps"])])
        sentences.append(["a", rng.choice(["apple", "pear"]), rng.choice(["tastes", "ripens", "falls"])])
    model = Word2Vec.from_sentences(sentences, dim=8, rng=random.Random(0))
    losses = [loss for _, loss in train(model, sentences, epochs=8, window=2, subsample_threshold=0, rng=rng)]
    assert losses[-1] < 0.7 * losses[0]
    assert cosine_similarity(model.vector("cat"), model.vector("dog")) > cosine_similarity(
        model.vector("cat"), model.vector("apple")
    )
    assert model.nearest("apple", k=1)[0][0] == "pear"


def test_training_is_seeded():
    sentences = [["a", "b", "c"], ["b", "c", "d"]] * 5

    def run():
        model = Word2Vec.from_sentences(sentences, dim=3, rng=random.Random(3))
        list(train(model, sentences, epochs=2, rng=random.Random(4)))
        return model.state_dict()

    assert run() == run()


def test_read_sentences_skips_comments_and_blank_lines(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("# a comment\nThe King rules\n\n  the queen rules  \n", encoding="utf-8")
    assert read_sentences(path) == [["the", "king", "rules"], ["the", "queen", "rules"]]


def test_the_shipped_corpus_has_the_words_the_demo_asks_about():
    from demos.word2vec import ANALOGIES, CORPUS, MAP_GROUPS, PROBES

    vocabulary = {w for s in read_sentences(CORPUS) for w in s}
    asked = set(PROBES) | {w for q in ANALOGIES for w in q} | {w for ws in MAP_GROUPS.values() for w in ws}
    assert asked <= vocabulary
    assert 300 <= len(read_sentences(CORPUS)) <= 1000
