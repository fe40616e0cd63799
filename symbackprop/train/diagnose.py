"""Diagnostics that explain failed training, in plain words with the number behind each.

Each check reads the :class:`Evidence` of one run (the generated module's forward cache and
gradients before and after training, the losses, the initial parameters, the inputs) and
returns a :class:`Finding` with the fixes that apply to this run, or None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from symbackprop.train import measures
from symbackprop.train.anatomy import output_is_softmax
from symbackprop.train.evidence import Evidence, Settings, Snapshot

UNSCALED_RMS = 5.0  # an input column's root mean square above this is far from unit scale
TINY_RMS = 1e-2
DEAD_SHARE = 0.25  # reported when more than this share of ReLU units never fire
EXPLODING_NORM = 1e6
FLAT_DROP = 0.01  # the loss fell by less than this share of its first value
FAILED_DROP = 0.5  # a run whose loss fell by less than half has not learned much
STILL_FALLING = 0.01  # the loss still lost this share of its value over the last tenth
UNDERFIT_ACCURACY = 0.9  # a classifier right on fewer of its own training samples underfits
SYMPTOMS = ("undertrained", "underfitting")  # findings that say what, not why
FITTED_ACCURACY = 0.95  # a classifier right on this many has trained enough to be useful

FIX_STANDARDIZE = "standardise the inputs (--standardize, or standardize=True)"
FIX_GLOROT = "initialise with small weights of both signs (--init glorot, or he for relu)"
FIX_LOWER_LR = "lower the learning rate (--lr), e.g. by a factor of 10"
FIX_SOFTMAX = (
    "for classes, use a softmax output with the softmax_ce loss "
    "(dense_network([n, h, k], ['tanh', 'softmax'], loss='softmax_ce'); "
    "for the digits, the model digits-softmax)"
)


@dataclass(frozen=True)
class Finding:
    """One diagnosed problem: what it is, the number behind it, and the fix to try."""

    code: str
    title: str
    message: str
    value: float
    fix: str

    def to_text(self) -> str:
        return f"- {self.title}: {self.message}\n  fix: {self.fix}"

    def to_data(self) -> dict:
        keys = ("code", "title", "message", "value", "fix")
        return {key: getattr(self, key) for key in keys}


def diagnose(evidence: Evidence) -> list[Finding]:
    """Every finding of a run, the most fundamental first."""
    findings = [f for check in CHECKS if (f := check(evidence)) is not None]
    causes = [f for f in findings if f.code not in SYMPTOMS]
    # Underfitting is the symptom: where a cause of it was found, the cause says enough.
    return [f for f in findings if not (f.code == "underfitting" and causes)]


# -- which fixes apply -----------------------------------------------------------------------
def _fixes(evidence: Evidence, *candidates: str) -> str:
    """The candidate fixes this run has not applied yet; a lower learning rate when none is."""
    applies: dict[str, Callable[[], bool]] = {
        FIX_STANDARDIZE: lambda: unscaled_inputs(evidence) is not None,
        FIX_GLOROT: lambda: (
            evidence.settings.init in ("uniform", "positive")
            or measures.one_sign(evidence.initial) is not None
        ),
        FIX_SOFTMAX: lambda: (
            bool(evidence.classes)
            and len(evidence.classes) > 2
            and not output_is_softmax(evidence.model)
        ),
        FIX_LOWER_LR: lambda: measures.loss_rose(evidence.losses) or _saturation_grew(evidence),
    }
    chosen = [fix for fix in candidates if applies[fix]()]
    return "; ".join(chosen or [FIX_LOWER_LR])


def _saturation_grew(evidence: Evidence) -> bool:
    first, last = evidence.snapshots[0], evidence.snapshots[-1]
    return not measures.saturated(evidence, first) and bool(measures.saturated(evidence, last))


def _troubled_snapshots(evidence: Evidence) -> tuple[Snapshot, ...]:
    """Snapshots worth reporting from, latest first: the state before training always, the
    state after it only when the run went wrong (a run that learned may well end with
    confident, saturated units)."""
    last = evidence.snapshots[-1]
    failed = (
        measures.loss_rose(evidence.losses)
        or measures.loss_drop(evidence.losses) < FAILED_DROP
        or measures.identical(evidence, last) is not None
    )
    return evidence.latest_first() if failed else evidence.snapshots[:1]


# -- inputs and initial weights ------------------------------------------------------------
def unscaled_inputs(evidence: Evidence) -> Finding | None:
    features = evidence.features
    rms = root_mean_square(features)
    varying = features.max(axis=0) > features.min(axis=0)  # np.ptp overflows at ±1e308
    if not varying.any():
        return None
    worst = int(np.argmax(np.where(varying, rms, -1.0)))
    name, column = evidence.feature_names[worst], features[:, worst]
    if rms[worst] > UNSCALED_RMS:
        message = (
            f"input {name!r} has root mean square {rms[worst]:.3g} (values {column.min():.4g} "
            f"to {column.max():.4g}); weighted sums of such inputs are large and push "
            "sigmoid and tanh units into saturation"
        )
    elif rms[varying].max() < TINY_RMS:
        message = f"every input is tiny (largest root mean square {rms[varying].max():.3g})"
    else:
        return None
    value = float(rms[worst])
    return Finding("unscaled-inputs", "unscaled inputs", message, value, FIX_STANDARDIZE)


def root_mean_square(features: np.ndarray) -> np.ndarray:
    """Each column's root mean square, scaled by its largest value so that no square overflows
    (inputs may be as large as 1e308)."""
    largest = np.max(np.abs(features), axis=0)
    scale = np.where(largest > 0, largest, 1.0)
    return scale * np.sqrt(np.mean((features / scale) ** 2, axis=0))


def one_sign_weights(evidence: Evidence) -> Finding | None:
    found = measures.one_sign(evidence.initial)
    if found is None:
        return None
    names, count, total = found
    sign = "positive" if np.all(np.asarray(evidence.initial[names[0]]) > 0) else "negative"
    message = (
        f"every initial value of {', '.join(names)} is {sign} ({count} of {total} values); "
        "the hidden units start alike, and on inputs of one sign their sums are all large"
    )
    title = "weights initialised all of one sign"
    return Finding("one-sign-init", title, message, count / total, FIX_GLOROT)


# -- units and gradients -----------------------------------------------------------------------
def saturated_units(evidence: Evidence) -> Finding | None:
    for snapshot in _troubled_snapshots(evidence):
        found = measures.saturated(evidence, snapshot)
        if not found:
            continue
        parts = [
            f"{s.share:.0%} of {s.unit.pre_activation} beyond ±{s.threshold:g} (largest "
            f"|{s.unit.pre_activation}| {s.largest:.3g}) feeding {s.unit.activation} {s.unit.node}"
            for s in found
        ]
        message = (
            f"{'; '.join(parts)}, {snapshot.when}; there the derivative is under 3% of its "
            "peak, so the gradients through these units vanish"
        )
        worst = max(s.share for s in found)
        fix = _fixes(evidence, FIX_STANDARDIZE, FIX_GLOROT, FIX_LOWER_LR)
        return Finding("saturated", "saturated units", message, worst, fix)
    return None


def dead_relu_units(evidence: Evidence) -> Finding | None:
    snapshot = evidence.snapshots[-1]
    dead, total = measures.dead_relus(evidence, snapshot)
    if not total or dead / total <= DEAD_SHARE:
        return None
    message = f"{dead} of {total} ReLU units output 0 for every training sample {snapshot.when}"
    fix = f"{_fixes(evidence, FIX_LOWER_LR)}; initialise with --init he; or use leaky_relu"
    return Finding("dead-relu", "dead ReLU units", message, dead / total, fix)


def vanishing_gradients(evidence: Evidence) -> Finding | None:
    for snapshot in _troubled_snapshots(evidence):
        norms = measures.gradient_norms(evidence, snapshot)
        vanished = measures.vanished_layer(norms)
        if vanished is None:
            continue
        low, high = vanished
        ratio = norms[low] / norms[high]
        if ratio == 0:
            size = f"exactly 0, while that of layer {high} is {norms[high]:.2g},"
        else:
            size = f"{norms[low]:.2g}, {ratio:.1e} times that of layer {high} ({norms[high]:.2g})"
        message = (
            f"the gradient reaching layer {low} is {size} {snapshot.when} (norms per layer: "
            f"{_show_norms(norms)}); layer {low} {'does not' if ratio == 0 else 'hardly'} learn"
            f"{'' if ratio == 0 else 's'}"
        )
        fix = _fixes(evidence, FIX_STANDARDIZE, FIX_GLOROT, FIX_LOWER_LR)
        return Finding("vanishing-gradients", "vanishing gradients", message, ratio, fix)
    return None


def exploding_gradients(evidence: Evidence) -> Finding | None:
    for snapshot in evidence.latest_first():
        norms = measures.gradient_norms(evidence, snapshot)
        largest = max(norms.values(), default=0.0)
        if not np.isfinite(largest) or largest > EXPLODING_NORM:
            message = f"gradient norms per layer {snapshot.when}: {_show_norms(norms)}"
            fix = _fixes(evidence, FIX_LOWER_LR, FIX_STANDARDIZE, FIX_GLOROT)
            return Finding("exploding-gradients", "exploding gradients", message, largest, fix)
    return None


def _show_norms(norms: dict[str, float]) -> str:
    return ", ".join(f"{layer} {norm:.2g}" for layer, norm in norms.items())


# -- predictions and loss ----------------------------------------------------------------------
def identical_predictions(evidence: Evidence) -> Finding | None:
    snapshot = evidence.snapshots[-1]
    found = measures.identical(evidence, snapshot)
    if found is None:
        return None
    what, spread = found
    message = (
        f"every one of the {len(evidence.features)} training samples gets {what} "
        f"{snapshot.when}; the outputs {evidence.prediction} differ across samples by at most "
        f"{spread:.2g}"
    )
    fix = _fixes(evidence, FIX_STANDARDIZE, FIX_GLOROT, FIX_SOFTMAX, FIX_LOWER_LR)
    return Finding("identical-predictions", "identical predictions", message, spread, fix)


def loss_not_falling(evidence: Evidence) -> Finding | None:
    losses = evidence.losses
    epochs = len(losses) - 1
    if epochs < 1:
        return None
    first, last = losses[0], losses[-1]
    if measures.loss_rose(losses):
        message = f"the loss went from {first:.4g} to {last:.4g} in {epochs} epochs"
        return Finding("loss-diverged", "the loss rose", message, last, FIX_LOWER_LR)
    drop = measures.loss_drop(losses)
    if drop >= FLAT_DROP or first == 0:
        return None
    message = f"the loss fell by {drop:.2%} in {epochs} epochs (from {first:.4g} to {last:.4g})"
    fix = "see the findings above; if there are none, raise the learning rate or train longer"
    return Finding("loss-flat", "the loss does not fall", message, drop, fix)


def undertrained(evidence: Evidence) -> Finding | None:
    """The run stopped while the loss was still falling: more epochs would have helped."""
    found = measures.recent_drop(evidence.losses)
    if found is None or found[0] < STILL_FALLING or measures.loss_rose(evidence.losses):
        return None
    right = measures.training_accuracy(evidence)
    if right is not None and right >= FITTED_ACCURACY:  # still improving, but fit already
        return None
    drop, recent = found
    epochs = len(evidence.losses) - 1
    message = (
        f"the loss was still falling when training stopped: it fell by {drop:.1%} over the "
        f"last {recent} of {epochs} epochs"
    )
    fixes = [f"train longer (--epochs {2 * epochs})"]
    if evidence.settings.batch_size is None:
        fixes.append("take more steps per epoch with mini-batches (--batch-size 32)")
    if evidence.settings.optimizer == "sgd":
        fixes.append("try --optimizer adam")
    fix = "; ".join(fixes)
    return Finding("undertrained", "undertrained", message, drop, fix)


def underfitting(evidence: Evidence) -> Finding | None:
    """A classifier that gets many of its own training samples wrong after training (when
    the loss is still falling, the undertrained finding says so too)."""
    right = measures.training_accuracy(evidence)
    if right is None or right >= UNDERFIT_ACCURACY or len(evidence.losses) < 2:
        return None
    message = f"the model classifies only {right:.1%} of its own training samples right"
    fix = _fixes(evidence, FIX_STANDARDIZE, FIX_SOFTMAX)
    if fix == FIX_LOWER_LR:  # nothing simpler applies: the model is too small or too stiff
        fix = "a wider or deeper network, or another activation; check the labels too"
    return Finding("underfitting", "underfitting", message, right, fix)


# -- a run that left float64 ------------------------------------------------------------------
_LEFT_FLOAT64 = {"overflow": "overflowed", "invalid": "became NaN", "divide": "divided by zero"}


def overflow_stop(epoch: int, cause: str, settings: Settings, features: np.ndarray) -> str:
    """The one line that stops a run whose values left float64 during ``epoch`` (0: before any
    step), ``cause`` being NumPy's words for it ("overflow encountered in multiply")."""
    what = next((v for k, v in _LEFT_FLOAT64.items() if k in cause), "left float64")
    when = "before training" if epoch == 0 else f"at epoch {epoch}"
    fixes = []
    if epoch > 0:
        fixes.append(f"lower --lr (now {settings.lr:g}), e.g. by a factor of 10")
    elif settings.init in ("uniform", "positive"):
        fixes.append(FIX_GLOROT)
    if np.any(root_mean_square(features) > UNSCALED_RMS):
        fixes.append(FIX_STANDARDIZE)
    fixes = fixes or ["check that the model's formulas stay finite on these inputs"]
    return f"training stopped: the loss {what} {when}; {'; '.join(fixes)}"


CHECKS: list[Callable[[Evidence], Finding | None]] = [
    unscaled_inputs,
    one_sign_weights,
    saturated_units,
    dead_relu_units,
    vanishing_gradients,
    exploding_gradients,
    identical_predictions,
    loss_not_falling,
    undertrained,
    underfitting,
]
