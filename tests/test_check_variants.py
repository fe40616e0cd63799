"""Wrong formulas written on purpose, each with the mistake it must be diagnosed as.

Every expected diagnosis is derived by hand from how the variant was made from the correct
formula (a dropped factor, two weights swapped, the 0.5 of e = 0.5*(t - zout)**2 forgotten,
tanh's derivative used for a sigmoid, ...), never copied from the checker's output.
"""

from __future__ import annotations

import pytest

from symbackprop.check import check_formulas

TINY = ["e1=w[0]", "e3=w[2]", "e5=w[4]", "e6=w[5]", "be1=b[0]", "be3=b[2]"]
XOR = ["layer_2_delta=delta_layer_2_in", "layer_1_delta=delta_layer_1_in"]
DIGITS = ["d_z2=delta_z2", "d_z1=delta_z1"]
E1 = "(zout-t) * (zout*(1-zout)) * w[4] * (h1out*(1-h1out)) * x"
E5 = "(zout-t) * (zout*(1-zout)) * h1out"

# (model, aliases, formula, diagnosis kind, text the diagnosis must contain)
VARIANTS = [
    # -- question 5: the 2-2-1 sigmoid net ------------------------------------------------------
    (
        "tiny221",
        TINY,
        "e1 = (zout-t) * (zout*(1-zout)) * w[4] * (h1out*(1-h1out))",
        "missing factor",
        "missing factor x",
    ),
    (
        "tiny221",
        TINY,
        "e1 = (zout-t) * (zout*(1-zout)) * (h1out*(1-h1out)) * x",
        "missing factor",
        "missing factor w[4]",
    ),
    (
        "tiny221",
        TINY,
        "e1 = (zout-t) * (zout*(1-zout)) * w[4] * x",
        "missing factor",
        "missing factor h1out*(1 - h1out)",
    ),
    (
        "tiny221",
        TINY,
        "e1 = (zout*(1-zout)) * w[4] * (h1out*(1-h1out)) * x",
        "missing factor",
        "missing factor zout - t",
    ),
    (
        "tiny221",
        TINY,
        "e1 = (zout-t) * w[4] * (h1out*(1-h1out)) * x",
        "missing factor",
        "missing factor zout*(1 - zout)",
    ),
    (
        "tiny221",
        TINY,
        "e1 = (zout-t) * (zout*(1-zout)) * w[5] * (h1out*(1-h1out)) * x",
        "other",
        "w[5] where w[4] belongs",
    ),
    (
        "tiny221",
        TINY,
        "e1 = (zout-t) * (zout*(1-zout)) * w[4] * (h1out*(1-h1out)) * y",
        "other",
        "y where x belongs",
    ),
    (
        "tiny221",
        TINY,
        "e1 = (t-zout) * (zout*(1-zout)) * w[4] * (h1out*(1-h1out)) * x",
        "sign",
        "minus",
    ),
    (
        "tiny221",
        TINY,
        "e1 = 2*(zout-t) * (zout*(1-zout)) * w[4] * (h1out*(1-h1out)) * x",
        "constant scale",
        "1/2 times",
    ),
    (
        "tiny221",
        TINY,
        "e1 = (zout-t) * (zout*(1-zout)) * w[4] * (1 - h1out**2) * x",
        "wrong activation derivative",
        "tanh",
    ),
    (
        "tiny221",
        TINY,
        "e1 = (zout-t) * (zout*(1-zout)) * w[4] * (h1*(1-h1)) * x",
        "wrong activation derivative",
        "pre-activation h1",
    ),
    (
        "tiny221",
        TINY,
        "e1 = (zout-t) * (zout*(1-zout)) * w[4] * (h1out*(1-h1out)) * x * x",
        "extra factor",
        "extra factor x",
    ),
    ("tiny221", TINY, "e5 = (zout-t) * (zout*(1-zout)) * h1", "other", "h1 where h1out belongs"),
    (
        "tiny221",
        TINY,
        "e5 = (zout-t) * (zout*(1-zout)) * h2out",
        "other",
        "h2out where h1out belongs",
    ),
    ("tiny221", TINY, "e5 = (t-zout) * (zout*(1-zout)) * h1out", "sign", "minus"),
    (
        "tiny221",
        TINY,
        "e5 = (zout-t) * (1 - zout**2) * h1out",
        "wrong activation derivative",
        "1 - zout**2",
    ),
    (
        "tiny221",
        TINY,
        "e5 = (zout-t) * (z*(1-z)) * h1out",
        "wrong activation derivative",
        "pre-activation z",
    ),
    ("tiny221", TINY, "e6 = 3*(zout-t) * (zout*(1-zout)) * h2out", "constant scale", "1/3"),
    (
        "tiny221",
        TINY,
        "be3 = (zout-t) * (zout*(1-zout)) * h1out",
        "extra factor",
        "extra factor h1out",
    ),
    (
        "tiny221",
        TINY,
        "be1 = (zout-t) * (zout*(1-zout)) * w[5] * (h1out*(1-h1out))",
        "other",
        "w[5] where w[4] belongs",
    ),
    (
        "tiny221",
        TINY,
        "e3 = (zout-t) * (zout*(1-zout)) * w[4] * (h2out*(1-h2out)) * x",
        "other",
        "w[4] where w[5] belongs",
    ),
    (
        "tiny221",
        TINY,
        "e1 = (zout-t) * zout * w[4] * (h1out*(1-h1out)) * x",
        "missing factor",
        "missing factor 1 - zout",
    ),
    # -- question 4: loss = (w*x - y)**2 --------------------------------------------------------
    ("torch-scalar", ["g=w"], "g = 2*(w*x - y)", "missing factor", "missing factor x"),
    ("torch-scalar", ["g=w"], "g = 2*(w*y - x)*y", "other", "x and y are swapped"),
    ("torch-scalar", ["g=w"], "g = (w*x - y)*x", "constant scale", "2 times"),
    ("torch-scalar", ["g=w"], "g = 2*(w*x - y)*w", "other", "w where x belongs"),
    ("torch-scalar", ["g=w"], "g = -2*(w*x - y)*x", "sign", "minus"),
    ("torch-scalar", ["g=w"], "g = 2*(w*x - y)*x*x", "extra factor", "extra factor x"),
    # -- question 2: one-sample least squares ---------------------------------------------------
    ("linreg", ["grad_m=m"], "grad_m = -2*(y - (m*x + c))", "missing factor", "missing factor x"),
    ("linreg", ["grad_c=c"], "grad_c = -2*x*(y - (m*x + c))", "extra factor", "extra factor x"),
    ("linreg", ["grad_m=m"], "grad_m = 2*x*(y - (m*x + c))", "sign", "minus"),
    ("linreg", ["grad_m=m"], "grad_m = -x*(y - (m*x + c))", "constant scale", "2 times"),
    # -- question 1: the XOR net over a batch ---------------------------------------------------
    (
        "xor",
        XOR,
        "layer_1_delta = layer_1.T.dot(layer_2_delta) * (layer_1 * (1-layer_1))",
        "shape or broadcast",
        "only fits when m == synapse_0.shape[1]",
    ),
    (
        "xor",
        XOR,
        "layer_1_delta = layer_2_delta.dot(synapse_1) * (layer_1 * (1-layer_1))",
        "transposed",
        "synapse_1 where synapse_1.T belongs (layer_2_delta (m, 1) @ synapse_1",
    ),
    ("xor", XOR, "synapse_1 = layer_2_delta.T.dot(layer_1)", "transposed", "transposed"),
    (
        "xor",
        XOR,
        "synapse_0 = X.T.dot(layer_2_delta.dot(synapse_1.T) * (1 - layer_1**2))",
        "wrong activation derivative",
        "1 - layer_1**2",
    ),
    (
        "xor",
        XOR,
        "synapse_0 = X.T.dot(layer_2_delta.dot(synapse_1.T))",
        "missing factor",
        "missing factor layer_1*(1 - layer_1)",
    ),
    ("xor", XOR, "layer_2_delta = (y - layer_2)*(layer_2*(1-layer_2))", "sign", "minus"),
    ("xor", XOR, "layer_2_delta = layer_2 - y", "missing factor", "layer_2*(1 - layer_2)"),
    ("xor", XOR, "synapse_1 = layer_1.T.dot(layer_2_delta) / 4", "constant scale", "4 times"),
    # -- question 6: the digits net, mean binary cross-entropy ----------------------------------
    ("digits", DIGITS, "W2 = a1.T @ (a2 - Y)", "constant scale", "missing factor 1/m"),
    ("digits", DIGITS, "b2 = np.sum(d_z2)", "wrong axis", "a sum of every element -> ()"),
    (
        "digits",
        DIGITS,
        "d_z1 = d_z2 @ W2 * a1*(1-a1)",
        "transposed",
        "W2 where W2.T belongs (d_z2 (m, Y.shape[1]) @ W2 (W1.shape[1], Y.shape[1]) cannot be "
        "multiplied; it only fits when Y.shape[1] == W1.shape[1] (as written, both are 10",
    ),
]


@pytest.mark.parametrize(
    ("model", "aliases", "formula", "kind", "detail"),
    VARIANTS,
    ids=[f"{v[0]}:{v[2]}" for v in VARIANTS],
)
def test_wrong_variant_gets_its_diagnosis(model, aliases, formula, kind, detail):
    (verdict,) = check_formulas(model, [formula], aliases).verdicts
    assert not verdict.correct
    assert verdict.diagnosis.kind == kind, verdict.diagnosis.message
    assert detail in verdict.diagnosis.message


def test_the_table_has_at_least_thirty_variants_of_every_kind_but_one():
    kinds = {v[3] for v in VARIANTS}
    assert len(VARIANTS) >= 30
    assert kinds == {
        "missing factor",
        "extra factor",
        "sign",
        "constant scale",
        "transposed",
        "shape or broadcast",
        "wrong activation derivative",
        "wrong axis",
        "other",
    }
