"""Files a training run writes: plots and parameters whole or not at all, and the question-5
and question-6 documents regenerated exactly from seeded runs."""

import struct
from pathlib import Path

import numpy as np
import pytest

from symbackprop.errors import OutputError
from symbackprop.files import write_whole
from symbackprop.train import extras, train
from symbackprop.train.files import save_params

needs_matplotlib = pytest.mark.skipif(
    not extras.available("matplotlib"), reason="plots need matplotlib (extra 'plot')"
)
needs_both = pytest.mark.skipif(
    not (extras.available("matplotlib") and extras.available("sklearn")),
    reason="the documents need matplotlib and scikit-learn (extras 'plot' and 'data')",
)
DOCS = Path(__file__).resolve().parents[1] / "docs" / "examples"


def png_size(path: Path) -> tuple[int, int]:
    return struct.unpack(">II", path.read_bytes()[16:24])


@pytest.fixture(scope="module")
def sizes_run():
    return train("tiny221", "sizes", standardize=True, lr=1.0, batch_size=10, epochs=30)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "params.npz"
    target.write_bytes(b"old")

    def fail(temporary):
        temporary.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OutputError, match="disk full"):
        write_whole(target, fail)
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]


def test_saved_parameters_load_back(tmp_path, sizes_run):
    path = save_params(tmp_path / "p.npz", sizes_run.params)
    with np.load(path) as saved:
        assert np.array_equal(saved["w"], sizes_run.params["w"])


@needs_matplotlib
def test_two_input_class_data_gets_a_decision_boundary_beside_the_loss(tmp_path, sizes_run):
    from symbackprop.train.plot import plot_training

    two = plot_training(sizes_run, tmp_path / "sizes.png")
    xor = plot_training(train("xor", "xor", epochs=2), tmp_path / "xor.png")
    assert png_size(two)[0] > 1.5 * png_size(xor)[0]  # two panels against one


@needs_matplotlib
def test_a_plot_that_fails_to_render_writes_nothing(tmp_path, sizes_run, monkeypatch):
    from matplotlib.figure import Figure

    from symbackprop.train.plot import plot_training

    def broken(self, *args, **kwargs):
        raise RuntimeError("renderer failed")

    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(RuntimeError):
        plot_training(sizes_run, tmp_path / "loss.png")
    assert list(tmp_path.iterdir()) == []


@needs_matplotlib
def test_the_same_run_plots_the_same_bytes(tmp_path, sizes_run):
    from symbackprop.train.plot import plot_training

    first = plot_training(sizes_run, tmp_path / "a.png").read_bytes()
    assert plot_training(sizes_run, tmp_path / "b.png").read_bytes() == first


@needs_both
@pytest.mark.slow
def test_the_q5_and_q6_documents_are_what_the_code_generates(tmp_path):
    from symbackprop.questions.training import DOCUMENTS, regenerate

    regenerate(tmp_path)
    for name, (runs, _) in DOCUMENTS.items():
        text = (tmp_path / name).read_text()
        assert (DOCS / name).read_text() == text, (
            f"{name} is stale: python -m symbackprop.questions.training docs/examples"
        )
        assert text.startswith("# Question ") and "**" in text.splitlines()[2]
        for run in runs:
            assert f"]({run.png})" in text and (DOCS / run.png).exists()


def test_the_loss_curve_shows_the_test_loss_beside_the_training_loss(sizes_run):
    matplotlib = pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from symbackprop.train.plot import loss_curve

    assert matplotlib is not None
    axes = Figure().add_subplot()
    loss_curve(axes, sizes_run)
    lines = {line.get_label(): line.get_ydata() for line in axes.get_lines()}
    assert set(lines) == {"training set", "test set"}
    assert np.allclose(lines["training set"], sizes_run.losses)
    assert np.allclose(lines["test set"], sizes_run.test_losses)
    spans_a_decade = max(sizes_run.losses) > 10 * min(sizes_run.losses)
    assert axes.get_yscale() == ("log" if spans_a_decade else "linear")
