"""bow: the reference passes; each realistic mistake loses exactly its checks.

train_bow and predict_label use the student's own make_bow_vector and
make_target, so a mistake there also shows in the training checks: the
expected sets below say so.
"""

import pytest

from tests.conftest import failing, solution_source

NAME = "bow"
TRAINING = {"train_parameters", "train_losses"}

BROKEN = [
    pytest.param(
        "                word_to_ix[word] = len(word_to_ix)\n    return word_to_ix",
        "                word_to_ix[word] = len(word_to_ix)\n"
        "    return {word: ix for ix, word in enumerate(sorted(word_to_ix))}",
        {"build_vocab"},
        "build_vocab",
        id="vocab-sorted-alphabetically",
    ),
    pytest.param(
        "    for sentence in sentences:\n"
        "        for word in sentence:\n"
        "            if word not in word_to_ix:\n"
        "                word_to_ix[word] = len(word_to_ix)\n",
        "    position = 0\n"
        "    for sentence in sentences:\n"
        "        for word in sentence:\n"
        "            if word not in word_to_ix:\n"
        "                word_to_ix[word] = position\n"
        "            position += 1\n",
        {"build_vocab"},
        "build_vocab",
        id="vocab-index-counts-repeated-words",
    ),
    pytest.param(
        "            vec[ix] += 1",
        "            vec[ix] = 1",
        {"bow_vector_counts", *TRAINING},
        "expected 4, got 1",
        id="bow-zero-one-instead-of-counts",
    ),
    pytest.param(
        "        ix = word_to_ix.get(word)\n        if ix is not None:\n            vec[ix] += 1",
        "        vec[word_to_ix[word]] += 1",
        {"bow_vector_unknown", *TRAINING, "predict_label"},
        "KeyError",
        id="bow-unknown-word-raises",
    ),
    pytest.param(
        "    return vec.view(1, -1)",
        "    return vec",
        {"bow_vector_counts", "bow_vector_unknown", *TRAINING, "predict_label"},
        "expected shape (1, 2), got (2,)",
        id="bow-vector-not-a-batch",
    ),
    pytest.param(
        "    vec = torch.zeros(len(word_to_ix))",
        "    vec = torch.zeros(len(word_to_ix), dtype=torch.long)",
        # The reference's train_bow moves each vector to the model's dtype, so only these fail.
        {"bow_vector_counts", "bow_vector_unknown"},
        "dtype float32, got int64",
        id="bow-vector-integer-counts",
    ),
    pytest.param(
        "    return torch.tensor([label_to_ix[label]], dtype=torch.long)",
        "    return torch.tensor([label_to_ix[label]], dtype=torch.float)",
        {"make_target", *TRAINING},
        "int64",
        id="target-float",
    ),
    pytest.param(
        "        self.linear = nn.Linear(vocab_size, num_labels)",
        "        self.linear = nn.Linear(num_labels, vocab_size)",
        {"classifier_layout", "classifier_forward"},
        "linear.weight",
        id="classifier-linear-sizes-swapped",
    ),
    pytest.param(
        "        self.linear = nn.Linear(vocab_size, num_labels)",
        "        self.fc = nn.Linear(vocab_size, num_labels)",
        {"classifier_layout", "classifier_forward"},
        "linear",
        id="classifier-attribute-misnamed",
    ),
    pytest.param(
        "        return F.log_softmax(self.linear(bow_vec), dim=1)",
        "        return F.softmax(self.linear(bow_vec), dim=1)",
        {"classifier_forward"},
        "BoWClassifier.forward",
        id="forward-returns-probabilities",
    ),
    pytest.param(
        "        return F.log_softmax(self.linear(bow_vec), dim=1)",
        "        return F.log_softmax(self.linear(bow_vec), dim=0)",
        {"classifier_forward"},
        "BoWClassifier.forward",
        id="forward-log-softmax-over-batch",
    ),
    pytest.param(
        "            model.zero_grad()\n",
        "",
        TRAINING,
        "train_bow",
        id="train-forgets-zero-grad",
    ),
    pytest.param(
        "        losses.append(total / len(data))",
        "        losses.append(total)",
        {"train_losses"},
        "train_bow",
        id="train-returns-sum-of-losses",
    ),
    pytest.param(
        "            total += loss.item()",
        "            total += loss",
        {"train_losses"},
        "expected a float",
        id="train-returns-tensors",
    ),
    pytest.param(
        "    optimizer = torch.optim.SGD(model.parameters(), lr=lr)",
        "    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)",
        TRAINING,
        "lr=0.5",
        id="train-ignores-lr",
    ),
    pytest.param(
        "    return ix_to_label[int(log_probs.argmax(dim=1))]",
        "    return int(log_probs.argmax(dim=1))",
        {"predict_label"},
        "predict_label",
        id="predict-returns-index",
    ),
    pytest.param(
        "    return ix_to_label[int(log_probs.argmax(dim=1))]",
        "    return ix_to_label[int(log_probs.argmin(dim=1))]",
        {"predict_label"},
        "predict_label",
        id="predict-argmin",
    ),
]

ALTERNATIVES = [
    pytest.param(
        "    loss_function = nn.NLLLoss()\n",
        "    loss_function = lambda log_probs, target: -log_probs[0, target[0]]\n",
        id="loss-by-indexing",
    ),
    pytest.param(
        "            optimizer.step()\n",
        "            with torch.no_grad():\n"
        "                for p in model.parameters():\n"
        "                    p -= lr * p.grad\n",
        id="manual-sgd-step",
    ),
    pytest.param(
        "            bow_vec = make_bow_vector(sentence, word_to_ix).to(param)\n",
        "            bow_vec = make_bow_vector(sentence, word_to_ix)\n",
        id="seed-style-no-device-move",
    ),
]


def test_reference_scores_full_marks(grade_source):
    result = grade_source(NAME, solution_source(NAME))
    assert failing(result) == set(), [c.message for c in result.checks]
    assert result.score == result.max_score == 12


@pytest.mark.parametrize("old, new, expected, phrase", BROKEN)
def test_broken_variant_loses_exactly_its_checks(grade_source, broken_solution, old, new, expected, phrase):
    result = grade_source(NAME, broken_solution(NAME, old, new))
    assert failing(result) == expected, [(c.name, c.message) for c in result.checks if c.status != "passed"]
    messages = "\n".join(c.message for c in result.checks if c.name in expected)
    assert phrase in messages, messages


@pytest.mark.parametrize("old, new", ALTERNATIVES)
def test_correct_alternative_scores_full_marks(grade_source, broken_solution, old, new):
    result = grade_source(NAME, broken_solution(NAME, old, new))
    assert failing(result) == set(), [(c.name, c.message) for c in result.checks if c.status != "passed"]
