#!/usr/bin/env python
"""Write python/tessera/_C.pyi (type stubs of the extension module) with nanobind's stubgen.
Private members are included: the in-place ops (fill_, normal_ ...) end in an underscore.

Usage: python scripts/gen_stubs.py [-o OUTPUT]   (run after building; imports tessera._C)
"""
import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYDIR = os.path.join(ROOT, "python")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-o", "--output", default=os.path.join(PYDIR, "tessera", "_C.pyi"))
    args = ap.parse_args(argv)
    env = dict(os.environ)
    if any(f.startswith("_C") for f in os.listdir(os.path.join(PYDIR, "tessera"))):  # in-place build
        env["PYTHONPATH"] = PYDIR + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-m", "nanobind.stubgen", "-q", "--include-private", "-m", "tessera._C", "-o", args.output]
    subprocess.run(cmd, check=True, env=env, cwd=ROOT)
    # Tensor.__repr__/__str__ are installed from Python (tessera/_tensor_str.py); stubgen renders
    # them as a module-level import, which would shadow nothing useful: drop it.
    with open(args.output) as f:
        lines = [ln for ln in f if not ln.startswith("from tessera._tensor_str import")]
    with open(args.output, "w") as f:
        f.writelines(lines)
    print(args.output)
    return args.output


if __name__ == "__main__":
    main()
