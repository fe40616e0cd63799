"""Hostile text, one entry per way user text has been (or could be) turned into something run.

Each payload, wherever it lands (a name, a formula, a file name, a path, a command line, a
CSV cell), must end as data or as one clean error; if any of them is ever executed it creates
the file ``CANARY`` in the working folder. The table is the regression corpus: every entry is
one parametrized case of tests/test_fuzz.py.
"""

from __future__ import annotations

CANARY = "CANARY"

_RUN = f'__import__("os").system("touch {CANARY}")'
_OPEN = f'open("{CANARY}", "w")'

PAYLOADS: dict[str, str] = {
    # Python code, as it is
    "os-system": _RUN,
    "open-call": _OPEN,
    "pathlib-touch": f'__import__("pathlib").Path("{CANARY}").touch()',
    "exec": f'exec(\'open("{CANARY}", "w")\')',
    "eval": f'eval(\'open("{CANARY}", "w")\')',
    "lambda": f"(lambda: {_OPEN})()",
    "comprehension": f"[{_OPEN} for _ in [1]]",
    "dunder-walk": "().__class__.__bases__[0].__subclasses__()",
    "fullwidth-open": f'ｏｐｅｎ("{CANARY}", "w")',  # NFKC makes it `open` in Python source
    # breaking out of strings, docstrings and comments
    "docstring-close": f'x""";{_OPEN};"""',
    "single-docstring-close": f"x''';{_OPEN};'''",
    "quote-close": f'x";{_OPEN};"',
    "apostrophe-close": f"x';{_OPEN};'",
    "backslash-quote": f'x\\""";{_OPEN};"""',
    "trailing-backslash": "x\\",
    "newline": f"x\n{_OPEN}\n",
    "newline-comment": f"# x\n{_OPEN}\n#",
    "crlf": f"x\r\n{_OPEN}\r\n",
    "carriage-return": f"x\r{_OPEN}\r",
    "line-separator": f"x\u2028{_OPEN}\u2029",
    "next-line": f"x\x85{_OPEN}",
    "form-feed": f"x\x0c\n{_OPEN}",
    "vertical-tab": f"x\x0b{_OPEN}",
    "named-escape": "\\N{BOGUS NAME}",
    "bad-unicode-escape": "\\u12",
    "bad-hex-escape": "\\x",
    "octal-escape": "\\777",
    # templates and formats
    "jinja-expression": "{{ cycler.__init__.__globals__.os.system('touch CANARY') }}",
    "jinja-statement": "{% for x in [1] %}{{ x }}{% endfor %}",
    "jinja-comment": "{# unclosed",
    "jinja-raw": "{% raw %}{{ {% endraw %}",
    "format-braces": "{0} {} {name!r} %s %(x)s",
    # shells and documents
    "shell-substitution": f"$(touch {CANARY})",
    "shell-backticks": f"`touch {CANARY}`",
    "shell-separator": f"x; touch {CANARY} #",
    "latex-write18": f"\\immediate\\write18{{touch {CANARY}}}",
    "latex-end": "\\end{document}$$}",
    "html-script": "</script><script>alert(1)</script>",
    "markdown-fence": "```\n$$\n<!--",
    # characters
    "nul": "a\x00b",
    "control": "a\x1b[31mred\x07\x7f",
    "bidi-override": "a\u202eevil\u202c",
    "zero-width": "a\u200bb\ufeff",
    "emoji": "\U0001f4a5 network",
    "combining": "e\u0301\u0301\u0301",
    "empty": "",
    "spaces": "   ",
    "dash": "-",
    "option-like": "--help",
    # sizes and nesting
    "long-300": "n" * 300,
    "long-100k": "n" * 100_000,
    "deep-parens": "(" * 2000 + "u" + ")" * 2000,
    "deep-brackets": "[" * 10_000,
    "deep-unary": "-" * 10_000 + "u",
    "long-power": "u" + "**u" * 500,
    "huge-power": "9**9**9**9",
    "huge-int": "9" * 5000,
    # numbers
    "nan": "nan",
    "inf": "inf",
    "big-float": "1e308",
    "overflow-float": "1e309",
    "tiny-float": "1e-400",
}
