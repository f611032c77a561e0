"""bow: the reference passes; each realistic mistake loses exactly its checks.

train_bow and predict_label use the student's own make_bow_vector and
make_target, so a mistake there also shows in the training checks: the
expected sets below say so.
"""

from grader.testing import Alternative, Broken, Suite

NAME = "bow"
TRAINING = {"train_parameters", "train_losses"}

BROKEN = [
    Broken(
        "vocab-sorted-alphabetically",
        "                word_to_ix[word] = len(word_to_ix)\n    return word_to_ix",
        "                word_to_ix[word] = len(word_to_ix)\n"
        "    return {word: ix for ix, word in enumerate(sorted(word_to_ix))}",
        fails={"build_vocab"},
        says="build_vocab",
    ),
    Broken(
        "vocab-index-counts-repeated-words",
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
        fails={"build_vocab"},
        says="build_vocab",
    ),
    Broken(
        "bow-zero-one-instead-of-counts",
        "            vec[ix] += 1",
        "            vec[ix] = 1",
        fails={"bow_vector_counts", *TRAINING},
        says="expected 4, got 1",
    ),
    Broken(
        "bow-unknown-word-raises",
        "        ix = word_to_ix.get(word)\n        if ix is not None:\n            vec[ix] += 1",
        "        vec[word_to_ix[word]] += 1",
        fails={"bow_vector_unknown", *TRAINING, "predict_label"},
        says="KeyError",
    ),
    Broken(
        "bow-vector-not-a-batch",
        "    return vec.view(1, -1)",
        "    return vec",
        fails={"bow_vector_counts", "bow_vector_unknown", *TRAINING, "predict_label"},
        says="expected shape (1, 2), got (2,)",
    ),
    Broken(
        "bow-vector-integer-counts",
        "    vec = torch.zeros(len(word_to_ix))",
        "    vec = torch.zeros(len(word_to_ix), dtype=torch.long)",
        # The reference's train_bow moves each vector to the model's dtype, so only these fail.
        fails={"bow_vector_counts", "bow_vector_unknown"},
        says="dtype float32, got int64",
    ),
    Broken(
        "target-float",
        "    return torch.tensor([label_to_ix[label]], dtype=torch.long)",
        "    return torch.tensor([label_to_ix[label]], dtype=torch.float)",
        fails={"make_target", *TRAINING},
        says="int64",
    ),
    Broken(
        "classifier-linear-sizes-swapped",
        "        self.linear = nn.Linear(vocab_size, num_labels)",
        "        self.linear = nn.Linear(num_labels, vocab_size)",
        fails={"classifier_layout", "classifier_forward"},
        says="linear.weight",
    ),
    Broken(
        "classifier-attribute-misnamed",
        "        self.linear = nn.Linear(vocab_size, num_labels)",
        "        self.fc = nn.Linear(vocab_size, num_labels)",
        fails={"classifier_layout", "classifier_forward"},
        says="linear",
    ),
    Broken(
        "forward-returns-probabilities",
        "        return F.log_softmax(self.linear(bow_vec), dim=1)",
        "        return F.softmax(self.linear(bow_vec), dim=1)",
        fails={"classifier_forward"},
        says="BoWClassifier.forward",
    ),
    Broken(
        "forward-log-softmax-over-batch",
        "        return F.log_softmax(self.linear(bow_vec), dim=1)",
        "        return F.log_softmax(self.linear(bow_vec), dim=0)",
        fails={"classifier_forward"},
        says="BoWClassifier.forward",
    ),
    Broken(
        "train-forgets-zero-grad",
        "            model.zero_grad()\n",
        "",
        fails=TRAINING,
        says="train_bow",
    ),
    Broken(
        "train-returns-sum-of-losses",
        "        losses.append(total / len(data))",
        "        losses.append(total)",
        fails={"train_losses"},
        says="train_bow",
    ),
    Broken(
        "train-returns-tensors",
        "            total += loss.item()",
        "            total += loss",
        fails={"train_losses"},
        says="expected a float",
    ),
    Broken(
        "train-ignores-lr",
        "    optimizer = torch.optim.SGD(model.parameters(), lr=lr)",
        "    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)",
        fails=TRAINING,
        says="lr=0.5",
    ),
    Broken(
        "predict-returns-index",
        "    return ix_to_label[int(log_probs.argmax(dim=1))]",
        "    return int(log_probs.argmax(dim=1))",
        fails={"predict_label"},
        says="predict_label",
    ),
    Broken(
        "predict-argmin",
        "    return ix_to_label[int(log_probs.argmax(dim=1))]",
        "    return ix_to_label[int(log_probs.argmin(dim=1))]",
        fails={"predict_label"},
        says="predict_label",
    ),
]

ALTERNATIVES = [
    Alternative(
        "loss-by-indexing",
        "    loss_function = nn.NLLLoss()\n",
        "    loss_function = lambda log_probs, target: -log_probs[0, target[0]]\n",
    ),
    Alternative(
        "manual-sgd-step",
        "            optimizer.step()\n",
        "            with torch.no_grad():\n"
        "                for p in model.parameters():\n"
        "                    p -= lr * p.grad\n",
    ),
    Alternative(
        "seed-style-no-device-move",
        "            bow_vec = make_bow_vector(sentence, word_to_ix).to(param)\n",
        "            bow_vec = make_bow_vector(sentence, word_to_ix)\n",
    ),
]

SUITE = Suite(NAME, max_score=12, broken=BROKEN, alternatives=ALTERNATIVES)
