"""Collection for the whole checkout: without PyTorch (an optional extra),
the torch bridge's modules cannot be imported for their doctests, so they
are left out; its tests skip themselves (pytest.importorskip)."""

import importlib.util

collect_ignore_glob = []
if importlib.util.find_spec("torch") is None:
    collect_ignore_glob.append("tinygrad_edu/torch_bridge/*.py")
