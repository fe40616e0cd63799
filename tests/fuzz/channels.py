"""The input channels of the command line, each a hypothesis strategy of :class:`Case`.

Every channel mixes the payload corpus with drawn text and with mutations of valid inputs,
and mostly asks for cheap commands (``derive``, rejected early), with a share of expensive
ones (``generate -o`` then an import, ``verify``, ``train``).
"""

from __future__ import annotations

import math
import signal
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from fuzz.harness import Case, Interrupt, Node, Result, run_case
from fuzz.payloads import PAYLOADS

BUILTINS = (
    "tiny221", "torch-scalar", "linreg", "xor", "xor-sample", "gru-keras", "rnn", "digits",
    "digits-softmax", "sizes-net",
)  # fmt: skip
FAST_BUILTINS = ("torch-scalar", "linreg", "xor", "xor-sample")

payloads = st.sampled_from(list(PAYLOADS.values()))
hostile = st.one_of(
    payloads,
    st.text(max_size=30),
    st.builds(lambda a, p, b: a + p + b, st.text(max_size=5), payloads, st.text(max_size=5)),
)
# what the shell can pass: also lone surrogates, which undecodable bytes become in sys.argv
argv_text = st.one_of(hostile, st.sampled_from(["\udcff", "a\udc80b", "\udcc3\udca9"]))


def weighted(*pairs: tuple[int, object]) -> st.SearchStrategy:
    """A sampled choice where ``(3, x)`` is three times as likely as ``(1, y)``."""
    return st.sampled_from([value for weight, value in pairs for _ in range(weight)])


# --- TOML -----------------------------------------------------------------------------------

NETWORK = {
    "name": "net", "mode": "vector", "sizes": [2, 3, 1], "activation": "tanh",
    "loss": "half_sse", "reduction": "mean",
}  # fmt: skip
RECURRENT = {"name": "cell", "cell": "rnn", "convention": "pytorch", "input": 2, "units": 2}


def toml_value(value: object) -> str:
    """``value`` as TOML; strings escaped so that every character arrives as it is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + "".join(_toml_char(c) for c in value) + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_value(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def _toml_char(char: str) -> str:
    if char in '"\\':
        return "\\" + char
    if ord(char) < 0x20 or ord(char) == 0x7F or 0xD800 <= ord(char) <= 0xDFFF:
        return f"\\u{ord(char) & 0xFFFF:04x}" if ord(char) < 0xD800 else "?"
    return char


def toml_document(table: str, keys: dict) -> str:
    body = "".join(f"{toml_value(key)} = {toml_value(value)}\n" for key, value in keys.items())
    return f"[{table}]\n{body}"


wrong_types = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.lists(st.one_of(st.integers(-5, 10**7), st.floats(), st.booleans(), st.text(max_size=3))),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.just([[2], [3]]),
    st.just(10**5000 // 10**4990),
)
sizes = st.lists(st.integers(min_value=-2, max_value=12), min_size=0, max_size=5)
formulas = st.sampled_from(
    ["u / (1 + abs(u))", "np.tanh(u)", "exp(-u**2)", "u**2", "log(1 + exp(u))", "(y - t)**2",
     "-t*log(y)", "0", "u*0", "1/u", "exp(exp(exp(u)))", "u**-1", "abs(u)**0.5", "u.real",
     "u[0]", "u(1)", "u if u else 0", "lambda: u", "u and 1", "max(u, 0)",
     "exp(u)**exp(u)**exp(u)", "u**1e308", "1e308*u*u", "log(0*u)", "u/0", "u**0.5**-9",
     "exp(exp(exp(exp(exp(u)))))"]
)  # fmt: skip

# Inputs that fail today because of bugs being fixed now: the benchmark draws them, the tests
# leave them out until they pass (re-enable each by moving it into the list above it).
FAILS_TODAY_FORMULAS: list[str] = []
FAILS_TODAY_SPECS: list[str] = []


@st.composite
def spec_text(draw, fails_today: bool = False) -> str:
    """A spec with one to three keys replaced by payloads, drawn text or wrong types."""
    table, keys = draw(st.sampled_from([("network", NETWORK), ("recurrent", RECURRENT)]))
    keys = dict(keys)
    more = (
        st.sampled_from(FAILS_TODAY_FORMULAS)
        if fails_today and FAILS_TODAY_FORMULAS
        else st.nothing()
    )
    value = st.one_of(hostile, wrong_types, formulas, more, sizes)
    for key in draw(st.lists(st.sampled_from([*keys, "extra"]), min_size=1, max_size=3)):
        keys[key] = draw(value)
    if draw(st.booleans()):
        keys.pop(draw(st.sampled_from(sorted(keys))), None)
    return toml_document(table, keys)


def _spec_case(channel: str, text: str, verb: str, name: str = "net.toml") -> Case:
    return _model_case(channel, name, text, verb, ())


def _model_case(channel: str, name: str, text: str, verb: str, extra: tuple[str, ...]) -> Case:
    """``verb`` on a model file: derive or check cheaply, or generate and import the module."""
    files = ((name.split(":")[0], text),)
    if verb == "generate":
        return Case(channel, ("generate", name, "-o", "out.py", *extra), files, "out.py")
    if verb == "explain":
        return Case(channel, ("explain", name, "-o", "out.html", *extra), files)
    if verb == "train":
        return Case(channel, ("train", name, "--data", "xor", "--epochs", "2", *extra), files)
    return Case(channel, (verb, name, *extra), files)


verbs = weighted((14, "derive"), (2, "generate"), (1, "verify"), (1, "explain"))


RAW_SPECS = [
    "[network]\nsizes = [" + ", ".join(["1"] * 10_000) + "]\n",
    "[network]\nsizes = " + "[" * 3000 + "]" * 3000 + "\n",
    "[network]\nsizes = [2, 1]\nname = 1979-05-27T07:32:00Z\n",
    "[network]\nsizes = [2, 1]\n[network.sub]\nx = 1\n",
    "[[network]]\nsizes = [2, 1]\n",
    "network = 3\n",
    "[network]\nsizes = [2, 1]\n[recurrent]\ncell = 'rnn'\n",
    "[network]\nsizes = [2, 1]\nsizes = [2, 1]\n",
    "[network]\n" + "".join(f"k{i} = {i}\n" for i in range(10_000)),
    "[network]\nsizes = [2, 1]\nname = '''\n" + "x\n" * 1000 + "'''\n",
    "[network]\nsizes = [2, " + "9" * 5000 + "]\n",  # an integer int() refuses to read
]


def spec_cases(fails_today: bool = False) -> st.SearchStrategy:
    raw = RAW_SPECS + (FAILS_TODAY_SPECS if fails_today else [])
    drawn = spec_text(fails_today)
    texts = st.one_of(drawn, drawn, drawn, st.sampled_from(raw))
    return st.builds(lambda t, v: _spec_case("spec", t, v), texts, verbs)


# --- .py models -----------------------------------------------------------------------------

PY_MODEL = """\
import numpy as np

w = [0.5, -0.3]
b = [0.1]


def sig(v):
    return 1 / (1 + np.exp(-v))


def forward(x, t):
    h = sig(w[0] * x + b[0])
    y = sig(w[1] * h)
    loss = (y - t) ** 2
    return loss
"""

STATEMENTS = [
    "import os", "from os import system", 'os.system("touch CANARY")', 'open("CANARY", "w")',
    "h = w.__class__", "h = h.__globals__", "h = (lambda: open('CANARY', 'w'))()",
    "h = [open('CANARY', 'w') for _ in [1]]", "exec(\"open('CANARY', 'w')\")",
    "h = eval(\"open('CANARY', 'w')\")", "h = __import__('os').system('touch CANARY')",
    "h = getattr(np, 'exp')(x)", "h = globals()", "with open('CANARY', 'w'): pass",
    "while True: pass", "def inner(): return open('CANARY', 'w')", "class C: pass",
    "h = (z := open('CANARY', 'w'))", "h: open('CANARY', 'w') = w[0]", "del h", "global w",
    "h = f'{open(\"CANARY\", \"w\")}'", "h = np.load('CANARY')", "h = x @ x", "h = x[::-1]",
    "h = np.exp(np.exp(np.exp(x)))", "h = x ** 10 ** 10", "h = 1e308 * 1e308", "h = 0 / 0",
    "h = np.float64('nan')", "h = w[10 ** 30]", "h = w[-1]", "h = b[0][0]", "h = x if t else y",
    "for i in range(10 ** 9): h = h + w[0]", "h = sum(w[i] for i in range(2))", "assert x",
    "h = sig(sig(sig(sig(h))))", "yield h", "return", "raise ValueError", "h = ...",
    "h = 'a' * 10 ** 9", "h = [x] * 10 ** 9", "h = np.zeros(10 ** 12)",
]  # fmt: skip
FUNCTION_NAMES = [
    "forward", "", "sig", "np", "1", "forward:forward", "forward.__globals__", " forward",
    "ｆorward", "__import__", "loss", "w", "for", "lambda", "forward()", "*", "../forward",
]  # fmt: skip


def _lines(text: str) -> list[str]:
    return text.split("\n")


@st.composite
def py_model_text(draw) -> str:
    """PY_MODEL with statements or payloads put in its body, or one of its names changed."""
    lines = _lines(PY_MODEL)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.integers(0, len(lines)))
        statement = draw(st.one_of(st.sampled_from(STATEMENTS), payloads.map(lambda p: p)))
        indent = "    " if where > 11 and draw(st.booleans()) else ""
        lines.insert(where, indent + statement)
    if draw(st.booleans()):
        old = draw(st.sampled_from(["forward", "sig", "h", "y", "loss", "w", "x", "t"]))
        new = draw(st.one_of(st.sampled_from(["ü", "ŵ", "αβ", "_", "__class__", "None"]), hostile))
        lines = [line.replace(old, new) for line in lines]
    return "\n".join(lines)


file_stems = st.one_of(
    payloads.map(lambda p: p.replace("/", "_").replace("\x00", "_")[:200] or "_"),
    st.sampled_from(["m", "-m", "m m", "m:f", "m.toml", ".m", "m.py", "ü"]),
)


@st.composite
def py_model_cases(draw) -> Case:
    text = draw(st.one_of(py_model_text(), st.just(PY_MODEL)))
    stem = draw(st.one_of(st.just("model"), file_stems))
    function = draw(st.one_of(st.just("forward"), st.sampled_from(FUNCTION_NAMES), hostile))
    name = f"{stem}.py" + draw(st.sampled_from([f":{function}", "", ":forward"]))
    verb = draw(weighted((10, "derive"), (3, "generate"), (2, "check"), (1, "verify")))
    extra = ("--loss", "loss") if verb == "check" else ()
    case = _model_case("py model", name, text, verb, extra)
    if verb == "check":  # check reads FILE.py:function itself
        case = Case(case.channel, ("check", name, "--loss", "(y - t)**2"), case.files)
    return case


# --- check ------------------------------------------------------------------------------------

CHECK_BASES = [
    ("torch-scalar", "g = 2*(w*x - y)*x", "g=w"),
    ("xor", "d1 = layer_1.T.dot(d2) * (layer_1*(1-layer_1))", "d1=delta_layer_1_in"),
    ("linreg", "gm = -2*x*(y - (m*x + c))", "gm=m"),
]


@st.composite
def check_cases(draw) -> Case:
    """``check MODEL --formula ... --as ...`` with payloads in every option, or code mode on a
    code file with payload statements."""
    if draw(st.integers(0, 3)) == 0:
        return draw(_check_code_cases())
    model, formula, alias = draw(st.sampled_from(CHECK_BASES))
    target, expr = formula.split(" = ", 1)
    choice = draw(st.integers(0, 5))
    value = draw(argv_text)
    if choice == 0:
        formula = f"{target} = {value}"
    elif choice == 1:
        formula = value
    elif choice == 2:
        alias = value
    elif choice == 3:
        formula = f"{target} = {expr} {draw(st.sampled_from(['+', '*', '**', '@', '.']))} {value}"
    argv = ["check", model, "--formula", formula, "--as", alias]
    if choice == 4:
        argv += [draw(st.sampled_from(["--loss", "--matrix", "--state", "--format"])), value]
    if choice == 5:
        argv = ["check", "gru-keras", "--state", value]
    return Case("check", tuple(argv))


# Code that check reads (fixtures of its own tests), to mutate: a hand-written training loop,
# and a network whose backprop(x, y) returns lists of gradients (read by evaluating it).
FIXTURES = Path(__file__).parents[1] / "fixtures"
CHECK_CODES = {
    "code.py:train": (FIXTURES / "check_dense_net.py").read_text(),
    "code.py:Network.backprop": (FIXTURES / "sample_network.py").read_text(),
}


@st.composite
def _check_code_cases(draw) -> Case:
    function = draw(st.sampled_from(sorted(CHECK_CODES)))
    code = CHECK_CODES[function]
    lines = _lines(code)
    for _ in range(draw(st.integers(0, 2))):
        where = draw(st.integers(0, len(lines)))
        statement = draw(st.one_of(st.sampled_from(STATEMENTS), payloads))
        lines.insert(where, "        " * draw(st.integers(0, 2)) + statement)
    text = draw(st.one_of(st.just("\n".join(lines)), mutated(st.just(code))))
    subject = draw(st.sampled_from([function, "code.py", "code.py:nothing"]))
    argv = ["check", subject]
    if draw(st.booleans()):
        argv += [draw(st.sampled_from(["--loss", "--matrix", "--as"])), draw(argv_text)]
    return Case("check", tuple(argv), (("code.py", text),))


# --- options ------------------------------------------------------------------------------


@st.composite
def option_cases(draw, fails_today: bool = False) -> Case:
    """Every option of every verb given payloads, odd numbers or odd paths."""
    value = draw(st.one_of(argv_text, numbers, paths))
    more = SLOW_OPTION_TEMPLATES if fails_today else []
    template = draw(st.sampled_from(OPTION_TEMPLATES + more))
    argv = tuple(value if part == "{}" else part for part in template)
    return Case("options", argv, (("m.py", PY_MODEL),))


numbers = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "1e308", "1e309", "-1", "0", "-0", "1e-400",
                     "9" * 5000, "0x10", "1_000", " 3", "3.5", "１", "10000000000000"]),
    st.integers(-(10**20), 10**20).map(str),
    st.floats().map(str),
)  # fmt: skip
paths = st.sampled_from(["", ".", "..", "/", "-", "x/", "missing/out.py", "n" * 300 + ".py",
                         "n" * 255, "out.py\x00", "a\nb.py", '"""'])  # fmt: skip

OPTION_TEMPLATES = [
    ("derive", "xor", "--param", "{}"),
    ("derive", "torch-scalar", "--loss", "{}"),
    ("derive", "torch-scalar", "--format", "{}"),
    ("derive", "m.py:forward", "--params", "{}"),
    ("explain", "torch-scalar", "--param", "{}"),
    ("explain", "torch-scalar", "-o", "{}"),
    ("generate", "torch-scalar", "-o", "{}"),
    ("generate", "--all", "--check", "--dir", "{}"),
    ("verify", "torch-scalar", "--seed", "{}"),
    ("verify", "xor", "--format", "{}"),
    ("train", "xor", "--data", "xor", "--epochs", "2", "--lr", "{}"),
    ("train", "xor", "--data", "xor", "--epochs", "2", "--seed", "{}"),
    ("train", "xor", "--data", "xor", "--epochs", "2", "--batch-size", "{}"),
    ("train", "xor", "--data", "{}"),
    ("train", "xor", "--data", "xor", "--epochs", "2", "--target", "{}"),
    ("train", "xor", "--data", "xor", "--epochs", "2", "--optimizer", "{}"),
    ("train", "xor", "--data", "xor", "--epochs", "2", "--init", "{}"),
    ("{}", "xor"),
    ("derive", "{}", "xor"),
]
# Slow, so drawn by the benchmark only: a huge --epochs runs until the product's time limit
# (three quarters of the harness's, 15 s) stops it with one clean line.
SLOW_OPTION_TEMPLATES = [("train", "xor", "--data", "xor", "--epochs", "{}")]


# --- train data -----------------------------------------------------------------------------

cells = st.one_of(
    st.sampled_from(["0", "1", "nan", "NaN", "inf", "-inf", "1e308", "-1e308", "1e309", "",
                     " ", "1,5", '"1"', '"', "0x1", "1e-400", "9" * 5000, "TRUE", "None"]),
    payloads,
    st.floats().map(repr),
)  # fmt: skip


@st.composite
def csv_cases(draw) -> Case:
    """``train`` on a CSV whose header or cells are odd: payloads, NaN, inf, 1e308, ragged
    rows, duplicate or huge headers."""
    header = ["a", "b", "t"]
    rows = [["0", "0", "0"], ["0", "1", "1"], ["1", "0", "1"], ["1", "1", "0"]]
    for _ in range(draw(st.integers(1, 4))):
        row = draw(st.integers(0, len(rows)))
        column = draw(st.integers(0, 3))
        text = draw(cells)
        target = header if row == len(rows) else rows[row]
        if column < len(target):
            target[column] = text
        else:
            target.append(text)
    if draw(st.integers(0, 5)) == 0:
        header = draw(st.sampled_from([["a", "a", "t"], ["t", "b", "t"], ["a" * 100_000, "b", "t"],
                                       [], ["a", "b"], ["\ufeffa", "b", "t"]]))  # fmt: skip
    text = "\n".join(",".join(row) for row in [header, *rows]) + "\n"
    target = draw(st.one_of(st.just("t"), st.sampled_from(["a,t", "t,t", "", "x", "t,"]), hostile))
    return Case(
        "csv",
        ("train", "net.toml", "--data", "data.csv", "--target", target, "--epochs", "2"),
        (("net.toml", "[network]\nsizes = [2, 2, 1]\n"), ("data.csv", text)),
    )


# --- output paths ---------------------------------------------------------------------------

OUTPUT_NODES = {
    "folder": Node("folder"), "fifo": Node("fifo"), "null": Node("null"), "zero": Node("zero"),
    "full": Node("full"), "block": Node("block"), "socket": Node("socket"),
    "dangling link": Node("link", "missing/target.py"), "loop link": Node("link", "out"),
    "link to folder": Node("link", "."), "old file": "OLD\n",
}  # fmt: skip
OUTPUT_COMMANDS = [
    ("generate", "torch-scalar", "-o", "{}"),
    ("explain", "torch-scalar", "-o", "{}.md"),
    ("explain", "torch-scalar", "-o", "{}.html"),
    ("explain", "torch-scalar", "-o", "{}.tex"),
    ("train", "tiny221", "--data", "sizes", "--epochs", "1", "--save", "{}.npz"),
    ("train", "tiny221", "--data", "sizes", "--epochs", "1", "--plot", "{}.png"),
    ("generate", "--all", "--dir", "{}"),
]
OUTPUT_NAMES = ["out", "missing/out", "n" * 300, "n" * 250, "x.txt/out", "", "-", "out\n",
                '"""out', "$(touch CANARY)", "ü"]  # fmt: skip


@st.composite
def output_cases(draw) -> Case:
    """Each writing command pointed at a folder, a FIFO, a device, a socket, a link, a path in
    a missing folder, a name too long, or a plain old file."""
    command = draw(st.sampled_from(OUTPUT_COMMANDS))
    name = draw(st.sampled_from(OUTPUT_NAMES))
    files: tuple = (("x.txt", "a file, not a folder\n"),)
    if draw(st.booleans()):
        node_name = draw(st.sampled_from(sorted(OUTPUT_NODES)))
        name = "out"
        suffix = command[-1][2:]  # what "{}" is followed by
        node = OUTPUT_NODES[node_name]
        if node_name == "loop link":
            node = Node("link", name + suffix)
        files += ((name + suffix, node),)
    argv = tuple(part.replace("{}", name) for part in command)
    return Case("output", argv, files)


# --- input files ------------------------------------------------------------------------------

INPUT_CONTENT = [
    Node("fifo"), Node("null"), Node("zero"), Node("urandom"), Node("full"), Node("block"),
    Node("socket"), Node("folder"), Node("link", "missing.toml"), Node("link", "in.toml"),
    b"\xff\xfe[\x00n\x00", b"\x00" * 100, "\ufeff[network]\nsizes = [2, 1]\n",
    b"[network]\nsizes = [2, 1]\nname = \"\xe9\"\n", "x" * (6 * 1024 * 1024), "", "\n" * 10_000,
    "[network]\r\nsizes = [2, 1]\r\n", "[network]\rsizes = [2, 1]\r",
]  # fmt: skip
INPUT_COMMANDS = [
    ("derive", "in.toml"),
    ("derive", "in.py:forward"),
    ("check", "in.py:train"),
    ("train", "xor", "--data", "in.csv", "--target", "t", "--epochs", "1"),
]


@st.composite
def input_file_cases(draw) -> Case:
    """Inputs that are not ordinary files: FIFOs, devices, sockets, folders, links, binary,
    not UTF-8, too large, other line ends."""
    command = draw(st.sampled_from(INPUT_COMMANDS))
    content = draw(st.sampled_from(INPUT_CONTENT))
    name = next(part for part in command if part.startswith("in.")).split(":")[0]
    return Case("input file", command, ((name, content),))


# --- mutations --------------------------------------------------------------------------------

VALID_SPECS = [
    toml_document("network", NETWORK),
    toml_document("recurrent", RECURRENT),
    '[network]\nmode = "scalar"\nsizes = [2, 2, 1]\nactivation = ["tanh", "u / (1 + abs(u))"]\n'
    'loss = "(y - t)**2"\nreduction = "sum"\n',
    '[recurrent]\ncell = "gru"\nconvention = "keras"\ninput = 1\nunits = 2\n',
]


@st.composite
def mutated(draw, texts: st.SearchStrategy) -> str:
    """A valid text with lines deleted, duplicated or swapped, or characters flipped."""
    lines = _lines(draw(texts))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.integers(0, 4))
        i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        if kind == 0 and len(lines) > 1:
            del lines[i]
        elif kind == 1:
            lines.insert(i, lines[j])
        elif kind == 2:
            lines[i], lines[j] = lines[j], lines[i]
        elif lines[i]:
            column = draw(st.integers(0, len(lines[i]) - 1))
            char = draw(st.one_of(st.characters(), st.sampled_from(list("\"'[]{}=#\\:.,()*0-"))))
            lines[i] = lines[i][:column] + char + lines[i][column + (kind == 3) :]
    return "\n".join(lines)


def mutation_cases() -> st.SearchStrategy:
    spec = st.builds(
        lambda t, v: _spec_case("mutation", t, v), mutated(st.sampled_from(VALID_SPECS)), verbs
    )
    model = st.builds(
        lambda t, v: _model_case("mutation", "model.py:forward", t, v, ()),
        mutated(st.just(PY_MODEL)),
        verbs,
    )
    return st.one_of(spec, model)


# --- model names ------------------------------------------------------------------------------


NEAR_NAMES = [
    "xor.toml", "x.py:", ":", "xor:", "./xor", "/", "/dev/zero", "/dev/stdin", "/proc/self/mem",
    "/etc/passwd:f", ".toml", ".py", "XOR", "Xor", "xor ", "tiny221.py", "-", "--", "~/x.toml",
]  # fmt: skip


@st.composite
def model_name_cases(draw) -> Case:
    """The MODEL argument itself: built-in names, near misses, payloads, paths."""
    name = draw(
        st.one_of(
            argv_text,
            st.sampled_from(BUILTINS),
            st.builds(lambda b, s: b + s, st.sampled_from(BUILTINS), argv_text),
            st.sampled_from(NEAR_NAMES),
        )
    )
    verb = draw(weighted((6, "derive"), (1, "explain"), (1, "check"), (1, "generate")))
    extra = ("--formula", "g = w") if verb == "check" else ()
    argv = (verb, name, *extra) if name in BUILTINS else (verb, "--", name, *extra)
    if name in BUILTINS and name not in FAST_BUILTINS:
        argv = ("derive", name, "--param", "nothing")  # rejected after the model is built
    return Case("model name", argv)


# --- interrupts -------------------------------------------------------------------------------

INTERRUPTED = [
    (("generate", "net.toml", "-o", "out.py"), (("net.toml", "[network]\nsizes = [2, 1]\n"),)),
    (
        ("generate", "net.toml", "-o", "out.py"),
        (("net.toml", "[network]\nsizes = [2, 1]\n"), ("out.py", "OLD\n")),
    ),
    (("explain", "torch-scalar", "-o", "out.html"), (("out.html", "OLD\n"),)),
    (("train", "torch-scalar", "--data", "xor", "--epochs", "1", "--save", "p.npz"), ()),
    (("generate", "--all", "--dir", "g"), (("g/xor.py", "OLD\n"),)),
]


def interrupt_cases() -> st.SearchStrategy:
    """SIGINT or SIGTERM at a drawn point of a command that writes files."""
    return st.builds(
        lambda command, signum, fraction: Case(
            "interrupt", command[0], command[1], interrupt=Interrupt(signum, fraction)
        ),
        st.sampled_from(INTERRUPTED),
        st.sampled_from([signal.SIGINT, signal.SIGTERM]),
        st.floats(0, 1, exclude_max=True),
    )


def channels(fails_today: bool = False) -> dict[str, st.SearchStrategy]:
    """Every channel; with ``fails_today``, also the inputs known to fail (FAILS TODAY) and
    the slow ones, as the benchmark wants."""
    return {**CHANNELS, "spec": spec_cases(fails_today), "options": option_cases(fails_today)}


CHANNELS = {
    "model name": model_name_cases(),
    "spec": spec_cases(),
    "py model": py_model_cases(),
    "check": check_cases(),
    "options": option_cases(),
    "csv": csv_cases(),
    "output": output_cases(),
    "input file": input_file_cases(),
    "mutation": mutation_cases(),
    "interrupt": interrupt_cases(),
}


def run_channel(
    name: str, examples: int, random_seed: int | None = None, fails_today: bool = False
) -> list[Result]:
    """``examples`` cases drawn from channel ``name``, each run; derandomized (the same cases
    on every run, as CI needs) unless a ``random_seed`` is given. Failures do not stop it."""
    results: list[Result] = []

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=random_seed is None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(channels(fails_today)[name])
    def collect(case: Case) -> None:
        results.append(run_case(case))

    if random_seed is not None:
        collect = seed(random_seed)(collect)
    collect()
    return results
