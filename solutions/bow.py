r"""A logistic-regression bag-of-words classifier (is a sentence English or Spanish?).

A sentence is a list of words. Each word of the vocabulary gets an index; a
sentence becomes a vector of word counts (its *bag of words*), and the model
is one affine map followed by log-softmax, trained with the negative
log-likelihood loss and plain SGD:

.. math:: \log p(y \mid x) = \log \mathrm{softmax}(A x + b)

With the vocabulary ``{"hello": 0, "world": 1}``, the sentence
``"hello world world hello"`` becomes ``[2, 2]`` and ``"hello hello hello
hello"`` becomes ``[4, 0]``.

Bag-of-words vectors and targets are made on the CPU with torch's default
floating dtype (float32), like the models the exercise trains.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


def build_vocab(sentences):
    """Give every distinct word an index, in order of first appearance.

    Args:
        sentences: A list of sentences, each a list of words (``str``).
            Words are case-sensitive: ``"No"`` and ``"no"`` are different.

    Returns:
        ``dict[str, int]`` mapping each distinct word to its index: the first
        word seen gets 0, the next new word 1, and so on (indices
        ``0 .. V-1``, no gaps; a repeated word keeps its first index).
    """
    ### BEGIN SOLUTION
    word_to_ix = {}
    for sentence in sentences:
        for word in sentence:
            if word not in word_to_ix:
                word_to_ix[word] = len(word_to_ix)
    return word_to_ix
    ### END SOLUTION


def make_bow_vector(sentence, word_to_ix):
    """The bag-of-words vector of a sentence: how often each vocabulary word occurs.

    Args:
        sentence: A list of words. Words missing from ``word_to_ix`` are
            ignored; a word that occurs ``k`` times counts ``k``.
        word_to_ix: The vocabulary, ``dict[str, int]`` with indices
            ``0 .. V-1``.

    Returns:
        Float tensor of shape ``(1, V)`` (a batch of one), torch's default
        float dtype (float32), on the CPU: entry ``[0, i]`` is the count of
        the word with index ``i``.
    """
    ### BEGIN SOLUTION
    vec = torch.zeros(len(word_to_ix))
    for word in sentence:
        ix = word_to_ix.get(word)
        if ix is not None:
            vec[ix] += 1
    return vec.view(1, -1)
    ### END SOLUTION


def make_target(label, label_to_ix):
    """The target tensor of a label, as ``nn.NLLLoss`` wants it.

    Args:
        label: A label, e.g. ``"SPANISH"``.
        label_to_ix: ``dict[str, int]`` from label to class index.

    Returns:
        Long (int64) tensor of shape ``(1,)`` holding the label's index, on
        the CPU.
    """
    ### BEGIN SOLUTION
    return torch.tensor([label_to_ix[label]], dtype=torch.long)
    ### END SOLUTION


class BoWClassifier(nn.Module):
    """Logistic regression on bag-of-words vectors.

    Args:
        num_labels: Number of classes ``L``.
        vocab_size: Size of the vocabulary ``V``.

    Attributes:
        linear: ``nn.Linear(vocab_size, num_labels)``: weight ``(L, V)``,
            bias ``(L,)``. It is the model's only parameterised part.
    """

    def __init__(self, num_labels, vocab_size):
        ### BEGIN SOLUTION
        super().__init__()
        self.linear = nn.Linear(vocab_size, num_labels)
        ### END SOLUTION

    def forward(self, bow_vec):
        r"""Log-probabilities of the labels.

        .. math:: \mathrm{log\_softmax}(x A^\top + b) \text{ over the labels (dim 1)}

        Args:
            bow_vec: Bag-of-words vectors, shape ``(N, V)``, same dtype and
                device as the parameters.

        Returns:
            Tensor ``(N, L)``: row ``n`` holds the log-probabilities of the
            ``L`` labels for sentence ``n`` (each row's ``exp`` sums to 1).
        """
        ### BEGIN SOLUTION
        return F.log_softmax(self.linear(bow_vec), dim=1)
        ### END SOLUTION


def train_bow(model, data, word_to_ix, label_to_ix, epochs=100, lr=0.1):
    r"""Train ``model`` in place with SGD, one example at a time.

    For each epoch, for each ``(sentence, label)`` of ``data`` in order:

    1. clear the gradients (PyTorch accumulates them otherwise);
    2. build the bag-of-words vector and the target;
    3. run the model and take the NLL loss of that one example;
    4. backpropagate and take one SGD step,
       :math:`\theta \leftarrow \theta - \eta \nabla_\theta L`.

    Args:
        model: A module mapping ``(1, V)`` bag-of-words vectors to ``(1, L)``
            log-probabilities (such as :class:`BoWClassifier`).
        data: ``list`` of ``(sentence, label)`` pairs; a sentence is a list
            of words.
        word_to_ix: The vocabulary, ``dict[str, int]``.
        label_to_ix: ``dict[str, int]`` from label to class index.
        epochs: Number of passes over ``data``.
        lr: The SGD learning rate :math:`\eta`.

    Returns:
        ``list[float]`` of length ``epochs``: the mean of the examples'
        losses in each epoch (each loss measured before its own step).
    """
    ### BEGIN SOLUTION
    loss_function = nn.NLLLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    param = next(model.parameters())
    losses = []
    for _ in range(epochs):
        total = 0.0
        for sentence, label in data:
            model.zero_grad()
            bow_vec = make_bow_vector(sentence, word_to_ix).to(param)
            target = make_target(label, label_to_ix).to(param.device)
            loss = loss_function(model(bow_vec), target)
            loss.backward()
            optimizer.step()
            total += loss.item()
        losses.append(total / len(data))
    return losses
    ### END SOLUTION


def predict_label(model, sentence, word_to_ix, ix_to_label):
    """The most probable label of a sentence.

    Args:
        model: A trained model (as for :func:`train_bow`).
        sentence: A list of words (unknown words are ignored).
        word_to_ix: The vocabulary, ``dict[str, int]``.
        ix_to_label: ``dict[int, str]`` from class index to label.

    Returns:
        The label (``str``) with the largest log-probability.
    """
    ### BEGIN SOLUTION
    param = next(model.parameters())
    with torch.no_grad():
        log_probs = model(make_bow_vector(sentence, word_to_ix).to(param))
    return ix_to_label[int(log_probs.argmax(dim=1))]
    ### END SOLUTION
