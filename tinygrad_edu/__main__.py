"""`python -m tinygrad_edu ...` is the same as the `tinygrad-edu` command.

The command itself lives above the library, in `demos.cli` (it runs the
demos and viz's drawing commands); this launcher is the one place the core
package names it, and the import contract in pyproject.toml lists it.
"""

from demos.cli import main

raise SystemExit(main())
