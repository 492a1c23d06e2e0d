"""environment.yml and pyproject.toml name the same packages with the same version ranges."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _split(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*$", requirement.split("#")[0])
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in ("test", "grading", "oracle"):
        requirements += project["optional-dependencies"][extra]
    return dict(_split(r) for r in requirements)


def _environment() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    found = {}
    for entry in env["dependencies"]:
        items = entry["pip"] if isinstance(entry, dict) else [entry]
        for item in items:
            if not item.startswith("-"):
                name, spec = _split(item)
                found[name] = spec
    return found


def test_every_pyproject_requirement_is_in_environment_yml_with_the_same_range():
    env = _environment()
    for name, spec in _pyproject().items():
        assert name in env, f"{name} missing from environment.yml"
        assert env[name] == spec, f"{name}: pyproject {spec!r} vs environment.yml {env[name]!r}"


def test_environment_yml_installs_the_package_and_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = next(e["pip"] for e in env["dependencies"] if isinstance(e, dict))
    assert "-e ." in pip
    assert any(str(e).startswith("python>=3.11") for e in env["dependencies"])
    extra = set(_environment()) - set(_pyproject()) - {"python", "pip"}
    assert not extra, f"environment.yml has packages pyproject.toml lacks: {extra}"
