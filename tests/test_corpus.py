"""``check`` over a corpus of hand-written backprop, each case labelled by an independent oracle.

The corpus (tests/corpus/) is 35 correct programs written as courses, tutorials and forum
posts write them, and their mutants (one mistake on one backward line each). The oracle
runs each case's own NumPy code and compares every gradient and delta with torch autograd of
a forward written apart from it. What must always hold is asserted: a right case is never
called wrong, a wrong case that is read is never all-correct, a refusal is one clear line,
and the first line called WRONG is the oracle's first wrong line. How much is read, and how
often verdicts, lines and diagnoses are right, are figures (``python
benchmarks/check_corpus.py`` prints them per idiom and layout); the thresholds below hold
them at what the product achieves now, to be raised as it reads more.
"""

# ruff: noqa: E501 - the known-case tables are keyed by the cases' full names
from __future__ import annotations

import ast
from collections import Counter

import pytest
from corpus import families_rows, mutations
from corpus.cases import all_cases, families
from corpus.mutations import PRIORITY
from corpus.oracle import label
from corpus.scoring import outcome, rates

REFUSED_AT_MOST = 0.02  # 6 of 428 cases refused
VERDICTS_RIGHT_AT_LEAST = 0.99  # of the cases read
LINES_RIGHT_AT_LEAST = 0.91  # the oracle's first wrong line blamed
DIAGNOSES_RIGHT_AT_LEAST = 0.885  # of the mistakes blamed at their line

# Where the product breaks an invariant today, and why; each entry is a bug to fix.
_EARLY = "a weight updated before a later line reads it is judged as the weight before"
# a mutant that multiplies a returned tuple by the rate (Python refuses it) is read as scaling
# each value, and a value the mutation leaves a bare number (``dout = 2``) is a constant, not a
# claim: the first line that uses it is blamed
_NOT_A_VALUE = "the mutated line is no value of its own (a scaled tuple, a bare number)"
# another line blamed first: a role read through a wrong line that uses it, or, in a one-output
# network with a mistake, a line right only for one output blamed as written for k outputs
_ROLE = "another line is blamed first"
# a weight vector read as a (D, k) matrix: right code is read at one output, but a mistake
# elsewhere leaves k outputs, where a line right only for one is blamed first
_ONE_OUTPUT_WEIGHT = "a 1-D weight is read as k outputs when another line is wrong"
# a gradient with the right values in another shape ((k,) for a (k, 1) bias) is blamed at its
# own line; the oracle blames the update whose broadcast breaks
_SHAPE_ONLY = "a gradient of the right values in the wrong shape is blamed at its own line"
# a name written over several lines (``dW = ...`` then ``dW += reg * W``): the checker judges
# the line that breaks a version only where that version plays a role of its own; else the
# last one (and the oracle, too, labels some names by their last version only)
_VERSIONS = "a value built over several lines is blamed at another of them"
KNOWN_UNCLEAR_REFUSAL: dict[str, str] = {}
KNOWN_FALSE_WRONG: dict[str, str] = {}
KNOWN_CALLED_CORRECT = {
    "xor net, module-level loop, errors as y - out (blog tutorial): update too early at line 21": _EARLY,
    "dense3 sigmoid without biases, one delta name, weights list: update too early at line 17": _EARLY,
}
KNOWN_WRONG_LINE = {
    "dense2 relu sigmoid, per-sample loop by index over 1-D rows, BCE: alias instead of product at line 17": _ROLE,
    "linear regression, slope and intercept with np.mean: drop a factor at line 8": _NOT_A_VALUE,
    "linear regression, slope and intercept with np.mean: update sign at line 10": _ROLE,
    "logistic regression, a weight vector and a number bias stepped in a loop: missing 1/N at line 10": _ROLE,
    "logistic regression, a weight vector and a number bias stepped in a loop: update sign at line 12": _ONE_OUTPUT_WEIGHT,
    "dense2 relu sigmoid BCE, columns, a backward helper per layer returning tuples: learning rate inside at line 27": _NOT_A_VALUE,
    "dense2 relu sigmoid BCE, columns, a backward helper per layer returning tuples: learning rate inside at line 29": _NOT_A_VALUE,
    "dense2 tanh regression, per-sample 1-D vectors, np.outer: drop a factor at line 8": _NOT_A_VALUE,
    "dense2 tanh softmax, columns, integer labels picked per column: keepdims dropped at line 19": _SHAPE_ONLY,
    "dense2 tanh softmax, class, columns, weights in self.params: keepdims dropped at line 22": _SHAPE_ONLY,
    "xor net, module-level loop, errors as y - out (blog tutorial): sign flip at line 21": _ROLE,
    "xor net, module-level loop, errors as y - out (blog tutorial): alias instead of product at line 22": _ROLE,
    "xor net, module-level loop, errors as y - out (blog tutorial): extra factor 2 at line 22": _ROLE,
    "dense2 relu softmax, integer labels, L2 (course assignment): -= 1 forgotten at line None": _VERSIONS,
    "dense2 relu softmax, integer labels, L2 (course assignment): operands swapped at line 21": _VERSIONS,
    "dense2 relu softmax, integer labels, L2 (course assignment): transpose at line 21": _VERSIONS,
    "dense2 relu softmax, params dict, returns loss, grads: -= 1 forgotten at line None": _VERSIONS,
    "dense2 relu softmax, params dict, returns loss, grads: sign flip at line 19": _VERSIONS,
    "dense2 relu softmax, params dict, returns loss, grads: transpose at line 19": _VERSIONS,
    "dense2 relu softmax, params dict, returns loss, grads: update sign at line 15": _VERSIONS,
    "2-2-1 sigmoid net, every weight a scalar, derivatives written out: alias instead of product at line 12": _ROLE,
    "dense2 leaky relu regression, columns, .dot: keepdims dropped at line 16": _ROLE,
    "dense2 leaky relu regression, loss a mean of per-sample sums, ones_like: alias instead of product at line 16": _ROLE,
    "dense2 relu sigmoid BCE, columns, @ and masks: keepdims dropped at line 17": _ROLE,
    "dense2 sigmoid regression, columns, np.mean with axis and keepdims: keepdims dropped at line 16": _ROLE,
    "dense2 tanh sigmoid BCE, columns, parameters dict (course notebook): drop a factor at line 23": _ROLE,
    "dense3 relu relu softmax, columns, one-hot columns: keepdims dropped at line 26": _ROLE,
    "linear regression, vectorised, 1-D weights and targets: drop a factor at line 8": _ROLE,
    "linear regression, vectorised, 1-D weights and targets: missing 1/N at line 8": _ROLE,
    "linear regression, vectorised, 1-D weights and targets: sign flip at line 8": _ROLE,
    "logistic regression, columns, returns (grads, cost): drop a factor at line 11": _ROLE,
    "logistic regression, columns, returns (grads, cost): drop a factor at line 12": _ROLE,
    "logistic regression, rows, returns loss and a dict of gradients: missing 1/N at line 12": _ROLE,
}


@pytest.fixture(scope="module")
def outcomes():
    return [outcome(case) for case in all_cases()]


# -- the corpus and its oracle ------------------------------------------------------------------
def test_the_corpus_spans_300_cases_both_layouts_every_program_shape_and_mistake():
    cases = all_cases()
    assert len(cases) >= 300
    assert len(families()) >= 25
    assert {c.family.layout for c in cases} >= {"rows", "columns"}
    shapes = {c.family.shape for c in cases}
    assert {
        "class",
        "module-level loop",
        "per-sample loop",
        "function, returns gradients",
    } <= shapes
    assert set(PRIORITY) <= {c.mutation for c in cases}
    assert len({c.source for c in cases}) == len(cases)
    for case in cases:
        assert case.family.idioms and case.family.layout and case.family.shape
        ast.parse(case.source)


def test_every_family_as_written_agrees_with_torch_in_every_value_it_names():
    for family in families():
        found = label(family, family.source)
        assert found.correct and not found.wrong, (family.name, found)
        named = set(family.values) | set(family.params)
        returned = {f"the returned gradient of {p}" for p in family.returned}
        assert named | returned <= set(found.compared) | set(family.returned), family.name


def _dense_net(old: str, new: str) -> str:
    source = families_rows.DENSE2_SIGMOID_MSE.source
    assert old in source
    return source.replace(old, new)


def test_the_oracle_blames_the_first_line_that_differs_from_torch():
    # tanh's derivative for a sigmoid on line 19: dZ1 is wrong there, and so is all after it
    source = _dense_net("dZ1 = dA1 * A1 * (1 - A1)", "dZ1 = dA1 * (1 - A1 ** 2)")
    found = label(families_rows.DENSE2_SIGMOID_MSE, source)
    assert (found.correct, found.first_wrong_line) == (False, 19)
    assert found.wrong[0] == "dZ1 at line 19"


def test_the_oracle_blames_a_line_that_fails_when_it_runs():
    source = _dense_net("dW1 = np.dot(X.T, dZ1)", "dW1 = np.dot(X, dZ1)")  # (5, 3) by (5, 4)
    found = label(families_rows.DENSE2_SIGMOID_MSE, source)
    assert (found.correct, found.first_wrong_line) == (False, 20)
    assert "ValueError" in found.failure


def test_a_mistake_torch_finds_harmless_is_labelled_correct():
    # z1 >= 0 for z1 > 0 differs only where z1 is exactly 0, which random inputs never hit
    family = families_rows.RELU_SOFTMAX_ONEHOT
    source = family.source.replace("dz1 = da1 * (z1 > 0)", "dz1 = da1 * (z1 >= 0)")
    assert source != family.source
    assert label(family, source).correct


def test_a_weight_updated_before_a_later_line_reads_it_makes_that_line_wrong():
    source = _dense_net("        W2 -= lr * dW2\n", "")
    update_first = "        W2 -= lr * dW2\n        dA1 = np.dot(dZ2, W2.T)\n"
    source = source.replace("        dA1 = np.dot(dZ2, W2.T)\n", update_first)
    found = label(families_rows.DENSE2_SIGMOID_MSE, source)
    assert (found.correct, found.first_wrong_line) == (False, 19)  # dA1 reads the new W2
    assert found.wrong[0] == "dA1 at line 19"


def test_a_missing_one_over_n_is_wrong_from_its_line_on():
    source = _dense_net("dA2 = (A2 - Y) / m", "dA2 = A2 - Y")
    found = label(families_rows.DENSE2_SIGMOID_MSE, source)
    assert (found.correct, found.first_wrong_line) == (False, 14)


MUTATIONS = [  # operator, a backward line, one of the mutants it must make
    (
        mutations.wrong_activation_derivative,
        "dZ1 = dA1 * A1 * (1 - A1)",
        "dZ1 = dA1 * (1 - A1 ** 2)",
    ),
    (mutations.wrong_activation_derivative, "dz = dh * (1 - h ** 2)", "dz = dh * (h * (1 - h))"),
    (mutations.missing_one_over_n, "dZ2 = (A2 - Y) / m", "dZ2 = A2 - Y"),
    (mutations.missing_one_over_n, "db = np.mean(dz)", "db = np.sum(dz)"),
    (mutations.drop_factor, "dz1 = da1 * (z1 > 0)", "dz1 = da1"),
    (mutations.transpose, "dW = X.T @ dz", "dW = X @ dz"),
    (mutations.wrong_axis, "db = np.sum(dz, axis=0)", "db = np.sum(dz, axis=1)"),
    (mutations.keepdims_dropped, "db = dz.sum(axis=1, keepdims=True)", "db = dz.sum(axis=1)"),
    (mutations.sign_flip, "W -= lr * dW", "W += lr * dW"),
    (mutations.sign_flip, "W = W - lr * dW", "W = W + lr * dW"),
    (mutations.extra_factor_two, "W = W - lr * dW", "W = W - 2 * (lr * dW)"),
    (mutations.copy_left_out, "dz = probs.copy()", "dz = probs"),
    (mutations.learning_rate_inside("lr"), "dW = X.T @ dz", "dW = lr * (X.T @ dz)"),
    (
        mutations.derivative_at_wrong_value({"A1": ast.Name("Z1")}),
        "d = g * A1 * (1 - A1)",
        "d = g * Z1 * (1 - Z1)",
    ),
]


@pytest.mark.parametrize(("operator", "line", "mutant"), MUTATIONS)
def test_each_mistake_is_made_as_people_make_it(operator, line, mutant):
    made = [ast.unparse(new) for _, new in operator(ast.parse(line).body[0]) if new is not None]
    assert mutant in made


def test_a_forgotten_minus_one_or_mask_deletes_its_line():
    assert mutations.line_left_out(ast.parse("p[range(n), y] -= 1").body[0]) == [
        ("-= 1 forgotten", None)
    ]
    assert mutations.line_left_out(ast.parse("dh[h <= 0] = 0").body[0]) == [("mask left out", None)]


# -- what must always hold ----------------------------------------------------------------------
def _names(outcomes, wanted) -> set[str]:
    return {o.case.name for o in outcomes if wanted(o)}


def test_a_right_case_is_never_called_wrong(outcomes):
    called_wrong = _names(outcomes, lambda o: o.read and o.label.correct and not o.report.ok)
    assert called_wrong <= set(KNOWN_FALSE_WRONG), sorted(called_wrong - set(KNOWN_FALSE_WRONG))


def test_a_wrong_case_that_is_read_is_never_all_correct(outcomes):
    missed = _names(outcomes, lambda o: o.read and not o.label.correct and o.report.ok)
    assert missed <= set(KNOWN_CALLED_CORRECT), sorted(missed - set(KNOWN_CALLED_CORRECT))


def test_a_refusal_is_one_clear_line_naming_the_file(outcomes):
    crashes = [(o.case.name, repr(o.crash)) for o in outcomes if o.crash is not None]
    assert not crashes
    unclear = {o.case.name: str(o.refusal) for o in outcomes if o.refusal_unclear}
    assert set(unclear) <= set(KNOWN_UNCLEAR_REFUSAL), unclear


def test_the_first_line_called_wrong_is_the_oracles_first_wrong_line(outcomes):
    misplaced = _names(outcomes, lambda o: o.line_right is False)
    assert misplaced <= set(KNOWN_WRONG_LINE), sorted(misplaced - set(KNOWN_WRONG_LINE))


def test_every_known_breach_still_happens_so_the_lists_stay_true(outcomes):
    # a bug fixed leaves its list: the lists say exactly what the product gets wrong today
    still = {
        "KNOWN_FALSE_WRONG": _names(
            outcomes, lambda o: o.read and o.label.correct and not o.report.ok
        ),
        "KNOWN_CALLED_CORRECT": _names(
            outcomes, lambda o: o.read and not o.label.correct and o.report.ok
        ),
        "KNOWN_WRONG_LINE": _names(outcomes, lambda o: o.line_right is False),
    }
    known = {
        "KNOWN_FALSE_WRONG": KNOWN_FALSE_WRONG,
        "KNOWN_CALLED_CORRECT": KNOWN_CALLED_CORRECT,
        "KNOWN_WRONG_LINE": KNOWN_WRONG_LINE,
    }
    fixed = {name: sorted(set(known[name]) - still[name]) for name in known}
    assert not any(fixed.values()), fixed


def test_the_figures_hold_what_the_product_achieves_now(outcomes):
    figures = rates(outcomes)
    assert figures["refused"] <= REFUSED_AT_MOST
    assert figures["verdicts right"] >= VERDICTS_RIGHT_AT_LEAST
    assert figures["lines right"] >= LINES_RIGHT_AT_LEAST
    assert figures["diagnoses right"] >= DIAGNOSES_RIGHT_AT_LEAST


def test_every_mutant_changes_one_line_of_its_family_or_moves_one_update_up():
    for case in all_cases():
        if case.mutation is None:
            continue
        before, after = Counter(case.family.source.splitlines()), Counter(case.source.splitlines())
        if case.mutation == "update too early":
            assert before == after and case.source != case.family.source, case.name
            continue
        assert sum((before - after).values()) == 1, case.name
        assert sum((after - before).values()) == (0 if case.line is None else 1), case.name
