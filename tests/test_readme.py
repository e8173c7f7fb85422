"""The README's install lines: `-e` in a learner's clone, plain only where CI runs them.

An install of the clone without `-e` (say ``pip install ".[notebooks]"``)
silently replaces the editable install, and edits to the clone stop showing
under ``tinygrad-edu``. CI tests the plain install on purpose, in the blocks
marked ``<!-- ci: NAME -->``; every other line that installs the clone keeps
``-e``.
"""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
INSTALLS_THE_CLONE = re.compile(r"pip install\s+(-e\s+)?[\"']?\.(\[[a-z,]+\])?[\"']?")


def install_lines(text: str) -> list[tuple[bool, str]]:
    """Each line that pip-installs the clone, with whether it sits in a ci: block."""
    found, in_ci, in_block = [], False, False
    for line in text.splitlines():
        if line.startswith("<!-- ci:"):
            in_ci = True
        elif line.startswith("```"):
            in_block = not in_block
            if not in_block:
                in_ci = False
        for match in INSTALLS_THE_CLONE.finditer(line):
            found.append((in_ci and in_block, match.group(0)))
    return found


def test_install_lines_outside_ci_blocks_are_editable():
    lines = install_lines(README.read_text(encoding="utf-8"))
    for extra in ("[test]", "[notebooks]", "[bench]"):
        assert any(not ci and "-e" in cmd and extra in cmd for ci, cmd in lines), extra
    # The one plain install the prose may name is the warning about it.
    plain = [cmd for ci, cmd in lines if not ci and "-e" not in cmd]
    assert plain == ['pip install ".[notebooks]"'], plain


def test_ci_blocks_keep_the_plain_install():
    lines = install_lines(README.read_text(encoding="utf-8"))
    assert sorted(cmd for ci, cmd in lines if ci) == [
        'pip install ".[bench]"',
        'pip install ".[notebooks]"',
        'pip install ".[test]"',
    ]


def test_the_checker_sees_a_plain_install_outside_ci():
    text = 'Run:\n\n```bash\npip install ".[bench]"\n```\n'
    assert install_lines(text) == [(False, 'pip install ".[bench]"')]
    text = '<!-- ci: x -->\n```bash\npip install -e ".[bench]"\n```\n'
    assert install_lines(text) == [(True, 'pip install -e ".[bench]"')]
