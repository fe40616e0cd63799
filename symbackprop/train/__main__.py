"""``python -m symbackprop.train MODEL --data SOURCE ...``: the train verb on its own."""

import sys

from symbackprop.train.cli import main

sys.exit(main(["train", *sys.argv[1:]]))
