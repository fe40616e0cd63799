"""Notation of derived formulas in every output: elementwise products of arrays as ⊙ (vector
mode only), and ReLU's derivative as an indicator, (z > 0) in text and 1[z > 0] in LaTeX,
rather than a table of cases."""

import json
import shutil
import subprocess

import pytest
import sympy as sp

from symbackprop import derive
from symbackprop.cli import main
from symbackprop.derive.bptt import derive_sequence
from symbackprop.explain.katex import katex_errors, node
from symbackprop.ir.network import dense_network
from symbackprop.printing import latex, text
from symbackprop.printing.latex import latex_name
from symbackprop.printing.through_time import recursion_latex
from symbackprop.readers.examples import EXAMPLES, builtin

RELU_SPEC = '[network]\nsizes = [2, 3, 1]\nactivation = "relu"\n'


def run(capsys, *argv) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def spec(tmp_path, body: str) -> str:
    path = tmp_path / "net.toml"
    path.write_text(body)
    return str(path)


def test_relu_network_latex_writes_hadamard_and_indicator():
    tex = derive(dense_network([2, 3, 1], "relu")).to_latex()
    assert r"\delta_{z_{1}} &= \delta_{a_{1}} \odot \mathbf{1}[z_{1} > 0] \\" in tex
    assert r"\delta_{z_{2}} &= \delta_{a_{2}} \odot \mathbf{1}[z_{2} > 0] \\" in tex
    assert r"\delta_{a_{1}} &= \delta_{z_{2}}\, {W_{2}}^{\top} \\" in tex  # a matrix product
    assert "cases" not in tex


def test_derive_latex_of_a_relu_spec(capsys, tmp_path):
    tex = run(capsys, "derive", spec(tmp_path, RELU_SPEC), "--format", "latex")
    assert r"\delta_{z_{1}} &= \delta_{a_{1}} \odot \mathbf{1}[z_{1} > 0] \\" in tex


def test_derive_text_of_a_relu_spec_keeps_star_and_writes_the_indicator(capsys, tmp_path):
    out = run(capsys, "derive", spec(tmp_path, RELU_SPEC))
    assert "delta_z1 = delta_a1*(z1 > 0)" in out
    assert "delta_a1 = delta_z2 @ W2.T" in out
    assert "Piecewise" not in out


def test_json_latex_fields_write_hadamard_too(capsys, tmp_path):
    data = json.loads(run(capsys, "derive", spec(tmp_path, RELU_SPEC), "--format", "json"))
    delta_z1 = next(a for a in data["adjoints"] if a["name"] == "delta_z1")
    assert delta_z1["latex"] == r"\delta_{a_{1}} \odot \mathbf{1}[z_{1} > 0]"
    assert delta_z1["expr"] == "delta_a1*(z1 > 0)"


def test_tanh_derivative_is_an_elementwise_product_not_a_matrix_product():
    tex = derive(dense_network([2, 3, 1], "tanh")).to_latex()
    assert r"\delta_{z_{1}} &= \delta_{a_{1}} \odot \left(1 - a_{1}^{2}\right) \\" in tex


def test_scalar_products_get_no_odot(capsys, tmp_path):
    tiny = run(capsys, "derive", "tiny221", "--format", "latex")
    assert r"\odot" not in tiny
    body = '[network]\nmode = "scalar"\nsizes = [2, 2, 1]\nactivation = "relu"\n'
    tex = run(capsys, "derive", spec(tmp_path, body), "--format", "latex")
    assert r"\odot" not in tex
    assert r"\delta_{z^{(1)}_{0}} &= \delta_{a^{(1)}_{0}} \mathbf{1}[z^{(1)}_{0} > 0] \\" in tex


def test_heaviside_is_the_same_indicator():
    z = sp.Symbol("z")
    assert text(sp.Heaviside(z)) == "(z > 0)"
    assert latex(sp.Heaviside(z)) == r"\mathbf{1}[z > 0]"
    assert text(sp.Max(z, 0).diff(z)) == "(z > 0)"


def test_other_piecewise_forms_keep_their_cases():
    z = sp.Symbol("z")
    leaky = sp.Piecewise((1, z > 0), (sp.Rational(1, 100), True))
    assert text(leaky) == "np.where(z > 0, 1, 1/100)"  # NumPy that runs, as a correction must
    assert "cases" in latex(leaky)
    three = sp.Piecewise((1, z > 1), (z, z > 0), (0, True))
    assert text(three).startswith("Piecewise(")


def relu_derive_latex() -> list[str]:
    vector = derive(dense_network([2, 3, 1], "relu")).to_latex()
    scalar = derive(dense_network([2, 2, 1], "relu")).to_latex()
    return [vector, scalar]


def test_katex_renders_the_relu_derivations():
    if node() is None:
        pytest.skip("node is not installed (apt-get install -y nodejs)")
    formulas = [tex.replace("align*", "aligned") for tex in relu_derive_latex()]
    assert katex_errors(formulas) == []


def test_pdflatex_compiles_the_relu_derivation(tmp_path):
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (apt-get install -y texlive-latex-base)")
    body = "\n".join(relu_derive_latex())
    document = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
    (tmp_path / "d.tex").write_text(document + body + "\\end{document}\n")
    subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "d.tex"],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert (tmp_path / "d.pdf").exists()
    assert "! " not in (tmp_path / "d.log").read_text(encoding="latin-1")


def test_recursion_through_time_writes_hadamard_of_adjoint_and_gate():
    tex = recursion_latex(derive_sequence(EXAMPLES["lstm"].build()))
    # dE/dc_{t-1} = dE/dc_t ⊙ f, elementwise: the forget gate scales each unit's cell
    assert r"\delta_{c_t} &= \left[\delta_{c} \odot f\right]_{t+1}" in tex


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # one scheme: the layer number below, a word after it above, as h1out -> h^out_1
        ("h1out", r"h^{\mathrm{out}}_{1}"),
        ("layer_1_in", r"\mathrm{layer}^{\mathrm{in}}_{1}"),
        ("layer_1", r"\mathrm{layer}_{1}"),
        ("z_2_pre", r"z^{\mathrm{pre}}_{2}"),
        ("delta_layer_2_in", r"\delta_{\mathrm{layer}^{\mathrm{in}}_{2}}"),
    ],
)
def test_names_with_a_layer_number_are_typeset_by_one_scheme(name, expected):
    assert latex_name(name) == expected


def test_no_node_of_a_built_in_example_is_typeset_as_a_literal_with_underscores():
    for example in ("xor", "digits", "tiny221", "gru-keras", "rnn"):
        model = builtin(example)
        literal = [n.name for n in model.nodes if r"\_" in latex_name(n.name)]
        assert literal == [], example
