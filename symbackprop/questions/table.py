"""The six questions: what each asked, which built-in examples answer it, and the numbers the
askers reported (the only place they are written down)."""

from __future__ import annotations

ASKS = {
    1: "XOR net: why does layer_1_delta use synapse_1.T, not layer_1?",
    2: "line fit by SGD: are grad_m and grad_c right?",
    3: "Keras GRU: why 0.20482421 and 0.34675306, not the hand-computed 0.55?",
    4: "PyTorch: why is dloss/dw 16, not 8?",
    5: "2-2-1 sigmoid net: are e1..e6, be1..be3 right, and why won't it learn?",
    6: "NumPy digits classifier: why the same class for every input?",
}

# The question each built-in example answers (``symbackprop list`` shows it).
QUESTION_OF = {
    "xor": 1,
    "xor-sample": 1,
    "linreg": 2,
    "gru-keras": 3,
    "rnn": 3,
    "torch-scalar": 4,
    "tiny221": 5,
    "sizes-net": 5,
    "digits": 6,
    "digits-softmax": 6,
}

KERAS_PRINTS = (0.20482421, 0.34675306)  # question 3: Keras's model.predict(x), float32
CLAIMED_STATE = 0.55  # question 3: the asker's hand-computed first state
