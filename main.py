"""Entry points, for `functions-framework --source main.py --target <name>`.

Each function lives in functions/<name>.py; this module only re-exports them.
"""

from functions.healthz import healthz
from functions.me import me
from functions.simulate import simulate
from functions.simulation_cleanup import simulation_cleanup

__all__ = ["healthz", "me", "simulate", "simulation_cleanup"]
