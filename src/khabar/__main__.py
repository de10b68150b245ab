"""`python -m khabar ...`: the same as the `khabar` command.

It exists so that launchers that start Python modules can start khabar, e.g.
`torchrun --nproc_per_node=4 -m khabar train CONFIG.yaml`.
"""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
