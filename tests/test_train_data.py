"""Training data: the built-in sources, CSV files, standardisation, and the feed of data onto
a generated module's forward arguments."""

import numpy as np
import pytest

from symbackprop import api
from symbackprop.codegen.loader import load_module
from symbackprop.errors import ShapeError
from symbackprop.ir.network import dense_network
from symbackprop.train.data import DataError
from symbackprop.train.extras import available
from symbackprop.train.feed import feed_for
from symbackprop.train.sources import load_data

needs_sklearn = pytest.mark.skipif(
    not available("sklearn"), reason="the digits data needs scikit-learn (extra 'data')"
)


def write_csv(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


# -- built-in sources -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "is_big"),
    [("sizes", lambda h, w: h + w > 100), ("sizes-nonlinear", lambda h, w: h * w > 2500)],
)
def test_sizes_are_integer_heights_and_widths_labelled_big_or_small(source, is_big):
    data = load_data(source)
    assert data.classes == ("small", "big") and data.feature_names == ("height", "width")
    for part in (data.train, data.test):
        h, w = part.features.T
        assert np.all(part.features == np.round(part.features))
        assert part.features.min() >= 0 and part.features.max() <= 100
        assert np.array_equal(part.targets, is_big(h, w).astype(int))
    assert (len(data.train), len(data.test)) == (150, 50)


def test_a_source_gives_the_same_split_every_time():
    first, second = load_data("sizes"), load_data("sizes")
    assert np.array_equal(first.train.features, second.train.features)
    assert np.array_equal(first.test.targets, second.test.targets)


@needs_sklearn
def test_digits_are_the_bundled_8x8_images_split_75_25():
    data = load_data("digits")
    assert data.width == 64 and data.classes == tuple("0123456789")
    assert (len(data.train), len(data.test)) == (1348, 449)
    assert data.train.features.min() == 0 and data.train.features.max() == 16
    binary = load_data("digits-binary")
    assert set(np.unique(binary.train.features)) == {0.0, 1.0}


def test_xor_is_the_question_1_batch_with_its_bias_column():
    data = load_data("xor")
    assert data.train.features[:, 2].tolist() == [1, 1, 1, 1]
    assert data.train.targets.tolist() == [0, 1, 1, 0] and data.test is None


def test_standardising_uses_training_statistics_for_both_parts():
    raw = load_data("sizes")
    data = raw.standardized()
    assert np.allclose(data.train.features.mean(axis=0), 0)
    assert np.allclose(data.train.features.std(axis=0), 1)
    expected = (raw.test.features - raw.train.features.mean(0)) / raw.train.features.std(0)
    assert np.allclose(data.test.features, expected)
    assert np.allclose(data.raw_features(data.test.features), raw.test.features)


# -- CSV files -------------------------------------------------------------------------------
def test_a_csv_target_of_words_is_read_as_classes(tmp_path):
    rows = "\n".join(f"{i},{2 * i},{'big' if i > 5 else 'small'}" for i in range(12))
    data = load_data(write_csv(tmp_path, "h,w,size\n" + rows + "\n"), target="size")
    assert data.classes == ("big", "small") and data.feature_names == ("h", "w")
    assert len(data.train) + len(data.test) == 12


def test_csv_targets_of_fractions_stay_numbers(tmp_path):
    rows = "\n".join(f"{i},{i / 10},{1 - i / 10}" for i in range(10))
    data = load_data(write_csv(tmp_path, "x,p,q\n" + rows), target="p,q")
    assert data.classes is None and data.train.targets.shape[1] == 2


@pytest.mark.parametrize(
    ("text", "target", "line", "words"),
    [
        ("h,w,size\n1,2,0\n", "label", 1, "no target column 'label'"),
        ("h,w,size\n1,2,0\n3,4\n", "size", 3, "the row has 2 values, the header has 3"),
        ("h,w,size\n1,2,0\nnan,4,1\n", "size", 3, "'h' is nan"),
        ("h,w,size\n1,2,0\n3,,1\n", "size", 3, "'w' is empty"),
        ("h,w,size\n1,2,0\n3,tall,1\n", "size", 3, "'tall' is not a number"),
        ("h,w,p\n1,2,0.5\n3,4,nan\n", "p", 3, "'p' is nan"),
    ],
)
def test_bad_csv_data_is_one_error_naming_file_and_line(tmp_path, text, target, line, words):
    path = write_csv(tmp_path, text)
    with pytest.raises(DataError) as caught:
        load_data(path, target=target)
    assert caught.value.file == path and caught.value.line == line
    assert words in caught.value.message


def test_a_csv_file_that_is_missing_or_has_no_target_is_an_error(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_data(str(tmp_path / "absent.csv"), target="y")
    with pytest.raises(DataError, match="--target"):
        load_data(write_csv(tmp_path, "x,y\n1,0\n"))
    with pytest.raises(DataError, match="unknown data 'nonsense'"):
        load_data("nonsense")


# -- the feed onto forward arguments ---------------------------------------------------------
def test_a_scalar_model_gets_one_1d_array_per_input_and_target():
    model = api.load_model("tiny221")
    data = load_data("sizes")
    x, y, t = feed_for(model, load_module(model), data).arrays(data.train)
    assert x.shape == y.shape == t.shape == (150,)
    assert np.array_equal(x, data.train.features[:, 0]) and np.array_equal(t, data.train.targets)


def test_a_vector_model_with_several_outputs_gets_one_hot_targets():
    model = dense_network([2, 3, 2], ["tanh", "softmax"], loss="softmax_ce")
    data = load_data("sizes")
    X, Y = feed_for(model, load_module(model), data).arrays(data.test)  # noqa: N806
    assert X.shape == (50, 2) and Y.shape == (50, 2)
    assert np.array_equal(Y.argmax(axis=1), data.test.targets) and np.all(Y.sum(axis=1) == 1)


def test_indexed_scalar_inputs_are_columns_of_one_array():
    model = api.load_model("xor-sample")
    data = load_data("xor")
    X, y = feed_for(model, load_module(model), data).arrays(data.train)  # noqa: N806
    assert X.shape == (4, 3) and y.shape == (4,)


@pytest.mark.parametrize(
    ("model", "source", "words"),
    [
        ("tiny221", "xor", "takes 2 input columns (x, y); data 'xor' has 3"),
        ("xor", "sizes", "takes 3 input columns (X); data 'sizes' has 2"),
    ],
)
def test_data_of_the_wrong_width_is_a_shape_error(model, source, words):
    model = api.load_model(model)
    with pytest.raises(ShapeError, match=words.replace("(", r"\(").replace(")", r"\)")):
        feed_for(model, load_module(model), load_data(source))


def test_classes_that_do_not_match_the_outputs_are_a_shape_error():
    model = dense_network([2, 3, 3], ["tanh", "softmax"], loss="softmax_ce")
    with pytest.raises(ShapeError, match="has 3 outputs; data 'sizes' has 2 classes"):
        feed_for(model, load_module(model), load_data("sizes"))


def test_a_cross_entropy_model_rejects_targets_outside_0_to_1(tmp_path):
    model = dense_network([1, 2, 1], "sigmoid", loss="bce")
    path = write_csv(tmp_path, "x,y\n" + "\n".join(f"{i},{i * 0.5}" for i in range(9)))
    with pytest.raises(DataError, match=r"needs targets in \[0, 1\]") as caught:
        feed_for(model, load_module(model), load_data(path, target="y"))
    assert caught.value.file == path
