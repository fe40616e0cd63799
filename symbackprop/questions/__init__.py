"""The six questions the product began with, in one package: what each asked and which
built-in answers it (``table``), the askers' own program (``programs``), the documents of
``docs/examples`` (``explained``, ``training``), the question-3 walkthrough (``gru``) and the
``demo`` verb (``answers``, ``demo``, ``cli``).

General code never imports this package; the CLI and the API may.

    # table -> answers (each question through the verbs) -> demo (a folder of answers)
    # table -> gru, explained, training -> docs/examples (the folder is an argument)
"""

from symbackprop.questions.demo import run_demo
from symbackprop.questions.table import ASKS, QUESTION_OF

__all__ = ["ASKS", "QUESTION_OF", "run_demo"]
