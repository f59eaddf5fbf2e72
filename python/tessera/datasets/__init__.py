"""Data sets read from their published formats: CIFAR10 (binary version), MNIST and FashionMNIST (IDX),
and TextCorpus (character/byte-level text). ``root=None`` uses ``default_root()``: ``$TESSERA_DATA``,
else ``../shared/data`` next to the repository when it exists, else ``./data``."""
from ._utils import default_root
from .cifar import CIFAR10
from .mnist import MNIST, FashionMNIST
from .text import TextCorpus

__all__ = ["CIFAR10", "MNIST", "FashionMNIST", "TextCorpus", "default_root"]
