"""Exercise ``bow``: a logistic-regression bag-of-words classifier (English or Spanish?).

``train_bow`` and ``predict_label`` are graded on a model built by the probe
(an ``nn.Linear`` followed by log-softmax, the layout of ``BoWClassifier``),
so that a mistake in the student's class does not also cost the training
checks. They run on the CPU in float32: ``make_bow_vector`` has no device or
dtype argument, so that is where its vectors live and what a model must take.
``BoWClassifier`` itself is checked on the grading device in float64.
"""

from __future__ import annotations

import numpy as np

from grader import Case, Check, hookimpl
from grader.catalog._rubric import exercise
from grader.probing import OPTIM, backward, tensor

# The seed article's data, and its vocabulary built from data + test_data.
SEED_DATA = [
    ("me gusta comer en la cafeteria".split(), "SPANISH"),
    ("Give it to me".split(), "ENGLISH"),
    ("No creo que sea una buena idea".split(), "SPANISH"),
    ("No it is not a good idea to get lost at sea".split(), "ENGLISH"),
]
SEED_TEST = [("Yo creo que si".split(), "SPANISH"), ("it is lost on me".split(), "ENGLISH")]
SEED_LABELS = {"SPANISH": 0, "ENGLISH": 1}


# The seed's word_to_ix (training then test sentences, as the article prints it). Written
# out as data: building it here would put an answer to build_vocab in public code.
SEED_VOCAB = {
    "me": 0,
    "gusta": 1,
    "comer": 2,
    "en": 3,
    "la": 4,
    "cafeteria": 5,
    "Give": 6,
    "it": 7,
    "to": 8,
    "No": 9,
    "creo": 10,
    "que": 11,
    "sea": 12,
    "una": 13,
    "buena": 14,
    "idea": 15,
    "is": 16,
    "not": 17,
    "a": 18,
    "good": 19,
    "get": 20,
    "lost": 21,
    "at": 22,
    "Yo": 23,
    "si": 24,
    "on": 25,
}
#: The training sentences' words come first: their vocabulary is a prefix of the seed's.
SEED_TRAIN_VOCAB = dict(list(SEED_VOCAB.items())[:23])
# The seed's nn.Linear(26, 2) after torch.manual_seed(1), as printed in the article.
SEED_WEIGHT = np.array(
    [
        [
            0.1194,
            0.0609,
            -0.1268,
            0.1274,
            0.1191,
            0.1739,
            -0.1099,
            -0.0323,
            -0.0038,
            0.0286,
            -0.1488,
            -0.1392,
            0.1067,
            -0.0460,
            0.0958,
            0.0112,
            0.0644,
            0.0431,
            0.0713,
            0.0972,
            -0.1816,
            0.0987,
            -0.1379,
            -0.1480,
            0.0119,
            -0.0334,
        ],
        [
            0.1152,
            -0.1136,
            -0.1743,
            0.1427,
            -0.0291,
            0.1103,
            0.0630,
            -0.1471,
            0.0394,
            0.0471,
            -0.1313,
            -0.0931,
            0.0669,
            0.0351,
            -0.0834,
            -0.0594,
            0.1796,
            -0.0363,
            0.1106,
            0.0849,
            -0.1268,
            -0.1668,
            0.1882,
            0.0102,
            0.1344,
            0.0406,
        ],
    ]
)
SEED_BIAS = np.array([0.0631, 0.1465])

# Words for generated data: three languages, a few words outside the vocabulary.
POOLS = {
    "ENGLISH": "the cat and the dog eat fish at home".split(),
    "SPANISH": "el gato y el perro comen pescado en casa".split(),
    "FRENCH": "le chat et le chien mangent du poisson ici".split(),
}
UNKNOWN = ["zzz", "Xylo", "42", "!!"]


def _sentences(rng, n, unknown=False):
    """``n`` labelled sentences from ``POOLS``, with repeated words (and unknown ones)."""
    labels = list(POOLS)
    out = []
    for i in range(n):
        label = labels[i % len(labels)]
        words = list(rng.choice(POOLS[label], size=int(rng.integers(3, 8))))
        words.append(words[0])  # at least one repeated word
        if unknown and i % 2 == 0:
            words.insert(int(rng.integers(0, len(words))), str(rng.choice(UNKNOWN)))
        out.append(([str(w) for w in words], label))
    return out


GEN_VOCAB = {
    "the": 0,
    "cat": 1,
    "and": 2,
    "dog": 3,
    "eat": 4,
    "fish": 5,
    "at": 6,
    "home": 7,
    "el": 8,
    "gato": 9,
    "y": 10,
    "perro": 11,
    "comen": 12,
    "pescado": 13,
    "en": 14,
    "casa": 15,
    "le": 16,
    "chat": 17,
    "et": 18,
    "chien": 19,
    "mangent": 20,
    "du": 21,
    "poisson": 22,
    "ici": 23,
}
GEN_LABELS = {"ENGLISH": 0, "SPANISH": 1, "FRENCH": 2}


# --- vocabulary, vectors, targets -----------------------------------------------


def _vocab_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case(
            "the seed article's 6 sentences (data + test_data): 26 words",
            {"sentences": [s for s, _ in SEED_DATA + SEED_TEST]},
        ),
        Case(
            "words repeated within and across sentences, an empty sentence, 'No' and 'no'",
            {"sentences": [["no", "b", "no", "a"], [], ["a", "No", "c", "b"], ["c", "c", "zeta"]]},
        ),
        Case("one sentence of one word said three times", {"sentences": [["hello", "hello", "hello"]]}),
        Case("generated sentences in three languages", {"sentences": [s for s, _ in _sentences(rng, 6)]}),
        Case("no sentences at all", {"sentences": []}),
    ]


def _build_vocab(module, inputs, ctx):
    return module.build_vocab([list(s) for s in inputs["sentences"]])


def _bow_cases(rng: np.random.Generator) -> list[Case]:
    hello = {"hello": 0, "world": 1}
    return [
        Case("the seed example 'hello hello hello hello' -> [4, 0]", {"sentence": ["hello"] * 4, "word_to_ix": hello}),
        Case(
            "the seed example 'hello world world hello' -> [2, 2]",
            {"sentence": "hello world world hello".split(), "word_to_ix": hello},
        ),
        Case(
            "the seed sentence 'me gusta comer en la cafeteria' with the 26-word vocabulary",
            {"sentence": SEED_DATA[0][0], "word_to_ix": SEED_VOCAB},
        ),
        Case(
            "'No it is not a good idea to get lost at sea' (26 words)",
            {"sentence": SEED_DATA[3][0], "word_to_ix": SEED_VOCAB},
        ),
        Case(
            "a generated sentence with repeated words",
            {"sentence": _sentences(rng, 1)[0][0], "word_to_ix": GEN_VOCAB},
        ),
        Case("an empty sentence", {"sentence": [], "word_to_ix": SEED_VOCAB}),
    ]


def _unknown_cases(rng: np.random.Generator) -> list[Case]:
    train_vocab = SEED_TRAIN_VOCAB
    return [
        Case(
            "'Yo creo que si' with the vocabulary of the seed's training data only ('Yo', 'si' unknown)",
            {"sentence": SEED_TEST[0][0], "word_to_ix": train_vocab},
        ),
        Case(
            "'it is lost on me' with the training vocabulary ('on' unknown)",
            {"sentence": SEED_TEST[1][0], "word_to_ix": train_vocab},
        ),
        Case("every word unknown", {"sentence": ["zzz", "Hello", "42"], "word_to_ix": {"hello": 0, "world": 1}}),
    ]


def _make_bow_vector(module, inputs, ctx):
    return module.make_bow_vector(list(inputs["sentence"]), dict(inputs["word_to_ix"]))


def _target_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case("the seed label 'SPANISH' (index 0)", {"label": "SPANISH", "label_to_ix": SEED_LABELS}),
        Case("the seed label 'ENGLISH' (index 1)", {"label": "ENGLISH", "label_to_ix": SEED_LABELS}),
        Case("'FRENCH' among three labels (index 2)", {"label": "FRENCH", "label_to_ix": GEN_LABELS}),
    ]


def _make_target(module, inputs, ctx):
    return module.make_target(inputs["label"], dict(inputs["label_to_ix"]))


# --- the classifier ---------------------------------------------------------------


def _layout_cases(rng: np.random.Generator) -> list[Case]:
    return [
        Case("BoWClassifier(2, 26), the seed's sizes", {"num_labels": 2, "vocab_size": 26}),
        Case("BoWClassifier(3, 7)", {"num_labels": 3, "vocab_size": 7}),
        Case("BoWClassifier(5, 1) (a one-word vocabulary)", {"num_labels": 5, "vocab_size": 1}),
    ]


def _layout(module, inputs, ctx):
    from torch import nn

    model = module.BoWClassifier(inputs["num_labels"], inputs["vocab_size"])
    linear = getattr(model, "linear", None)
    return {
        "linear is an nn.Linear": isinstance(linear, nn.Linear),
        "parameter shapes": {name: tuple(p.shape) for name, p in model.named_parameters()},
    }


def _forward_cases(rng: np.random.Generator) -> list[Case]:
    seed_bows = np.zeros((4, len(SEED_VOCAB)))
    for row, (sentence, _) in enumerate(SEED_DATA):
        for word in sentence:
            seed_bows[row, SEED_VOCAB[word]] += 1

    def case(label, n, num_labels, vocab_size, bows=None, weight=None, bias=None):
        return Case(
            label,
            {
                "num_labels": num_labels,
                "vocab_size": vocab_size,
                "weight": rng.uniform(-0.5, 0.5, size=(num_labels, vocab_size)) if weight is None else weight,
                "bias": rng.uniform(-0.5, 0.5, size=num_labels) if bias is None else bias,
                "bows": rng.integers(0, 4, size=(n, vocab_size)).astype(float) if bows is None else bows,
                "g": rng.normal(size=(n, num_labels)),
            },
        )

    return [
        case(
            "the seed example: 'me gusta comer en la cafeteria' with the article's weights",
            1,
            2,
            26,
            seed_bows[:1],
            SEED_WEIGHT,
            SEED_BIAS,
        ),
        case("the seed's 4 training sentences as a batch (4, 26)", 4, 2, 26, seed_bows),
        case("a batch (5, 7) with 3 labels", 5, 3, 7),
        case("a batch of one (1, 7) with 3 labels", 1, 3, 7),
        case("a batch (3, 4) with one label", 3, 1, 4),
    ]


def _forward(module, inputs, ctx):
    import torch

    model = module.BoWClassifier(inputs["num_labels"], inputs["vocab_size"])
    model.to(device=ctx.device, dtype=torch.float64)
    with torch.no_grad():
        model.linear.weight.copy_(tensor(inputs["weight"], ctx))
        model.linear.bias.copy_(tensor(inputs["bias"], ctx))
    out = model(tensor(inputs["bows"], ctx))
    weight, bias = backward(out, tensor(inputs["g"], ctx), (model.linear.weight, model.linear.bias))
    return {"log-probabilities": out, "grad linear.weight": weight, "grad linear.bias": bias}


# --- training and prediction (on a model of the probe's own) -------------------------


def _stand_in(weight, bias):
    """A model with BoWClassifier's layout (CPU, float32) and the given parameters.

    Composed from torch's own modules, so that no BoWClassifier is written
    in public code.
    """
    from collections import OrderedDict

    import torch
    from torch import nn

    model = nn.Sequential(
        OrderedDict(linear=nn.Linear(weight.shape[1], weight.shape[0]), log_probs=nn.LogSoftmax(dim=1))
    )
    with torch.no_grad():
        model.linear.weight.copy_(torch.as_tensor(weight))
        model.linear.bias.copy_(torch.as_tensor(bias))
    return model


def _train_cases(rng: np.random.Generator) -> list[Case]:
    def case(label, data, vocab, labels, **kwargs):
        inputs = {
            "data": [(list(sentence), label) for sentence, label in data],
            "word_to_ix": vocab,
            "label_to_ix": labels,
            "weight": rng.uniform(-0.2, 0.2, size=(len(labels), len(vocab))),
            "bias": rng.uniform(-0.2, 0.2, size=len(labels)),
        }
        return Case(label, {**inputs, **kwargs})

    return [
        case(
            "the seed data (4 sentences, 26 words), epochs=10, lr=0.1",
            SEED_DATA,
            SEED_VOCAB,
            SEED_LABELS,
            epochs=10,
            lr=0.1,
        ),
        case(
            "9 generated sentences in 3 languages with repeated and unknown words, epochs=5, lr=0.5",
            _sentences(rng, 9, unknown=True),
            GEN_VOCAB,
            GEN_LABELS,
            epochs=5,
            lr=0.5,
        ),
        case("a single sentence, epochs=3, lr=1.0", SEED_DATA[1:2], SEED_VOCAB, SEED_LABELS, epochs=3, lr=1.0),
    ]


def _train(module, inputs, ctx):
    model = _stand_in(inputs["weight"], inputs["bias"])
    data = [(list(sentence), label) for sentence, label in inputs["data"]]
    losses = module.train_bow(
        model, data, dict(inputs["word_to_ix"]), dict(inputs["label_to_ix"]), epochs=inputs["epochs"], lr=inputs["lr"]
    )
    return model, losses


def _train_parameters(module, inputs, ctx):
    model, _ = _train(module, inputs, ctx)
    return {"linear.weight": model.linear.weight, "linear.bias": model.linear.bias}


def _train_losses(module, inputs, ctx):
    _, losses = _train(module, inputs, ctx)
    return losses


def _predict_cases(rng: np.random.Generator) -> list[Case]:
    gen_test = [s for s, _ in _sentences(rng, 6, unknown=True)]
    return [
        Case(
            "the seed's test sentences with the article's untrained weights",
            {
                "weight": SEED_WEIGHT,
                "bias": SEED_BIAS,
                "word_to_ix": SEED_VOCAB,
                "labels": ["SPANISH", "ENGLISH"],
                "sentences": [s for s, _ in SEED_TEST + SEED_DATA],
            },
        ),
        Case(
            "6 generated sentences with repeated and unknown words, 3 labels",
            {
                "weight": rng.normal(size=(3, len(GEN_VOCAB))),
                "bias": rng.normal(size=3),
                "word_to_ix": GEN_VOCAB,
                "labels": ["ENGLISH", "SPANISH", "FRENCH"],
                "sentences": gen_test,
            },
        ),
        Case(
            "a sentence of unknown words only, and an empty one (the bias decides)",
            {
                "weight": rng.normal(size=(3, len(GEN_VOCAB))),
                "bias": np.array([0.1, 0.9, -0.3]),
                "word_to_ix": GEN_VOCAB,
                "labels": ["ENGLISH", "SPANISH", "FRENCH"],
                "sentences": [["zzz", "42"], []],
            },
        ),
    ]


def _predict(module, inputs, ctx):
    model = _stand_in(inputs["weight"], inputs["bias"])
    ix_to_label = dict(enumerate(inputs["labels"]))
    return [
        module.predict_label(model, list(sentence), dict(inputs["word_to_ix"]), dict(ix_to_label))
        for sentence in inputs["sentences"]
    ]


EXERCISE = exercise(
    "bow",
    unit=6,
    title="A logistic-regression bag-of-words classifier (torch)",
    reference="solutions.bow",
    framework="torch",
    seed=6,
    time_limit=30.0,
    preload=OPTIM,  # train_bow builds torch.optim.SGD (a student may too)
    checks=(
        Check(
            name="build_vocab",
            function="build_vocab",
            points=1,
            cases=_vocab_cases,
            probe=_build_vocab,
            description="build_vocab numbers the distinct words 0, 1, 2, ... in order of first appearance.",
            hint="Walk the sentences in order; give a word the next free index (len(word_to_ix)) only the "
            "first time you see it. Do not sort, and do not use a set (its order is arbitrary).",
        ),
        Check(
            name="bow_vector_counts",
            function="make_bow_vector",
            points=2,
            cases=_bow_cases,
            probe=_make_bow_vector,
            description="make_bow_vector returns a float tensor (1, V) of word counts.",
            hint="Start from torch.zeros(len(word_to_ix)), add 1 at a word's index for every occurrence "
            "(a word seen twice counts 2), and return it as a batch of one: shape (1, V).",
        ),
        Check(
            name="bow_vector_unknown",
            function="make_bow_vector",
            points=1,
            cases=_unknown_cases,
            probe=_make_bow_vector,
            description="make_bow_vector ignores words that are not in the vocabulary.",
            hint="word_to_ix[word] raises KeyError for a word outside the vocabulary: skip such words "
            "(check `word in word_to_ix`, or use word_to_ix.get).",
        ),
        Check(
            name="make_target",
            function="make_target",
            points=1,
            cases=_target_cases,
            probe=_make_target,
            description="make_target returns a long tensor of shape (1,) holding the label's index.",
            hint="NLLLoss wants a batch of class indices: torch.tensor([index], dtype=torch.long), shape (1,).",
        ),
        Check(
            name="classifier_layout",
            function="BoWClassifier",
            points=1,
            cases=_layout_cases,
            probe=_layout,
            description="BoWClassifier(num_labels, vocab_size) has one nn.Linear(vocab_size, num_labels) "
            "called `linear`, and no other parameters.",
            hint="In __init__, call super().__init__() and set self.linear = nn.Linear(vocab_size, num_labels): "
            "the input size is the vocabulary, the output size the number of labels.",
        ),
        Check(
            name="classifier_forward",
            function="BoWClassifier.forward",
            points=2,
            cases=_forward_cases,
            probe=_forward,
            description="BoWClassifier.forward gives log-softmax over the labels (dim 1) of the affine map, "
            "for batches of any size, with gradients flowing to `linear`.",
            hint="Return log_softmax(self.linear(bow_vec), dim=1): log-probabilities, not probabilities, "
            "normalised over the labels of each row (dim 1), not over the batch (dim 0).",
        ),
        Check(
            name="train_parameters",
            function="train_bow",
            points=2,
            cases=_train_cases,
            probe=_train_parameters,
            # float32 training: summing or stepping in another order changes the last bits, and
            # those differences grow a little over the steps.
            rtol=1e-5,
            atol=1e-6,
            description="From the same initial parameters, train_bow ends with the same parameters as "
            "per-example SGD on the NLL loss.",
            hint="For every example: model.zero_grad() (gradients accumulate otherwise), forward the (1, V) "
            "vector, NLL loss against make_target(...), loss.backward(), then one SGD step with lr. "
            "Use the epochs and lr arguments, and go through data in order.",
        ),
        Check(
            name="train_losses",
            function="train_bow",
            points=1,
            cases=_train_cases,
            probe=_train_losses,
            rtol=1e-5,  # float32 losses, as for train_parameters
            atol=1e-6,
            description="train_bow returns one float per epoch: the mean loss of that epoch's examples.",
            hint="Add up loss.item() over the epoch's examples and divide by their number; append one Python "
            "float per epoch.",
        ),
        Check(
            name="predict_label",
            function="predict_label",
            points=1,
            cases=_predict_cases,
            probe=_predict,
            description="predict_label returns the label with the largest log-probability.",
            hint="Run the model on make_bow_vector(sentence, word_to_ix), take the argmax over the labels "
            "(dim 1) and look the index up in ix_to_label; return the label string.",
        ),
    ),
)


@hookimpl
def grader_exercises():
    return [EXERCISE]
