"""Embedding: a vocabulary of 3 indices, vectors of length 3, two indices per sample.

get_weights() gives [embeddings (3, 3)].  The input x holds two whole numbers
from 0 to 2.
"""

from harness import Layer, hypothesis

EMBEDDING = Layer("Embedding", input_dim=3, output_dim=3, input_shape=(2,))


@hypothesis(EMBEDDING, name="Embedding: index picks a row")
def row_lookup(embeddings, x):
    """The vector for index i is row i of the embeddings matrix."""
    return embeddings[x]


@hypothesis(EMBEDDING, name="Embedding: index picks a column", refuted=True)
def column_lookup(embeddings, x):
    """The vector for index i is column i of the embeddings matrix."""
    return embeddings[:, x].T
