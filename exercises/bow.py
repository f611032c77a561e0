# Exercise stub: replace each 'raise NotImplementedError' with your code, then run 'tox -e grade'.
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
    # YOUR CODE HERE
    raise NotImplementedError


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
    # YOUR CODE HERE
    raise NotImplementedError


def make_target(label, label_to_ix):
    """The target tensor of a label, as ``nn.NLLLoss`` wants it.

    Args:
        label: A label, e.g. ``"SPANISH"``.
        label_to_ix: ``dict[str, int]`` from label to class index.

    Returns:
        Long (int64) tensor of shape ``(1,)`` holding the label's index, on
        the CPU.
    """
    # YOUR CODE HERE
    raise NotImplementedError


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
        # YOUR CODE HERE
        raise NotImplementedError

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
        # YOUR CODE HERE
        raise NotImplementedError


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
    # YOUR CODE HERE
    raise NotImplementedError


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
    # YOUR CODE HERE
    raise NotImplementedError
