"""scripts/gen_stubs.py produces a .pyi for tessera._C that parses and covers the bound API."""
import ast
import os
import subprocess
import sys
from helpers import subprocess_env

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_gen_stubs_produces_parseable_pyi(tmp_path):
    out = tmp_path / "_C.pyi"
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_stubs.py"), "-o", str(out)], check=True,
                   capture_output=True, timeout=120, env=subprocess_env())
    assert out.exists()
    text = out.read_text()
    tree = ast.parse(text)
    names = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    for expected in ["Tensor", "Generator", "zeros", "full", "arange", "linspace", "eye", "rand", "randn", "randint",
                     "randperm", "manual_seed", "item", "tolist", "normal_", "fill_"]:
        assert expected in names, expected
    compile(text, str(out), "exec")
