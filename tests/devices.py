"""Running a script on several simulated JAX devices: XLA's host-platform flag must be set
before jax starts, so the script runs in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_on_devices(folder: Path, source: str, devices: int = 4) -> subprocess.CompletedProcess:
    """``source`` (dedented) run as a script that sees ``devices`` CPU devices."""
    script = folder / "on_devices.py"
    script.write_text(textwrap.dedent(source))
    env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, check=False
    )
