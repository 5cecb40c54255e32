"""The README does what it says (issue #12, items 7 and 8).

Blocks are marked by an HTML comment on the line before them (invisible on GitHub):

* `<!-- readme-test: run -->` before a shell block: every line is a command, run with bash in a copy of
  `examples/` with `migrate` on the PATH (this checkout, whatever the editable install points at).  Exit 0
  unless the line ends in a `# exit N` comment.  A `python3 -m pip install ...` step of a `&&` chain is
  skipped: the tests run against the checkout.
* `<!-- readme-test: python -->` before a Python block: run as a script there.
* `<!-- readme-test: output -->` before a block: exactly the stdout of the command or script before it.
* `<!-- readme-test: excerpt FILE -->`: each line, in order, is a line of FILE, where `...` stands for any
  text (a lone `...` line skips lines).
* `<!-- readme-test: cluster -->` before a shell block needing a cluster: the local files it names exist
  after the walk, and the objects it patches, waits for or deletes are those of the plan and the estate.
* `<!-- readme-test: files DIR -->` before a table: its first column names exactly the files under DIR.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from migrate.yamlio import load_yaml_stream
from tests.support import REPO, run_cli

README = REPO / "README.md"
SETUP_INSTALL = "python3 -m pip install -e . && migrate convert examples/ingress.yaml"
SETUP_TEST = "python3 -m pip install -e '.[test]' && python3 -m pytest"
MARK = re.compile(r"^<!-- readme-test: (\w+)(?: (.*?))? -->$")
EXIT_COMMENT = re.compile(r"\s#\s*exit (\d+)\b")
HEADING = re.compile(r"^(#{1,6}) (.*)$")


@dataclass
class Block:
    mark: str  # "" when unmarked
    arg: str
    lang: str
    lines: list[str]  # the block's content, or the table's rows
    line: int  # 1-based line of the opening fence / first table row
    section: str  # the nearest ## heading above


@dataclass
class Walk:
    root: Path
    failures: list[str] = field(default_factory=list)
    commands: int = 0


def parse(text: str) -> tuple[list[Block], list[tuple[int, str]]]:
    """The README's fenced blocks and marked tables, and its headings (level, title) outside code."""
    blocks: list[Block] = []
    headings: list[tuple[int, str]] = []
    lines = text.split("\n")
    mark, arg, section = "", "", ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if m := MARK.match(line.strip()):
            mark, arg = m.group(1), m.group(2) or ""
            i += 1
            continue
        if line.startswith("```"):
            start, lang = i, line[3:].strip()
            i += 1
            body: list[str] = []
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            blocks.append(Block(mark, arg, lang, body, start + 1, section))
            mark, arg = "", ""
        elif line.startswith("|") and mark:
            start, rows = i, []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            blocks.append(Block(mark, arg, "table", rows, start + 1, section))
            mark, arg = "", ""
            continue
        elif h := HEADING.match(line):
            headings.append((len(h.group(1)), h.group(2)))
            if len(h.group(1)) == 2:
                section = h.group(2)
        elif line.strip() and mark:
            mark, arg = "", ""  # a marker only applies to the block right after it
        i += 1
    return blocks, headings


BLOCKS, HEADINGS = parse(README.read_text(encoding="utf-8"))


def commands(block: Block) -> list[str]:
    """One command per line (a trailing backslash continues it); blank and comment-only lines skipped."""
    out: list[str] = []
    pending = ""
    for raw in block.lines:
        line = pending + raw
        if line.rstrip().endswith("\\"):
            pending = line.rstrip()[:-1] + " "
            continue
        pending = ""
        if line.strip() and not line.lstrip().startswith("#"):
            out.append(line.strip())
    return out


def expected_exit(command: str) -> int:
    m = EXIT_COMMENT.search(command)
    return int(m.group(1)) if m else 0


def offline(command: str) -> str:
    """The command as run by the test: `python3 -m pip install` steps of a `&&` chain dropped."""
    steps = [s.strip() for s in command.split("&&")]
    return " && ".join(s for s in steps if not s.startswith("python3 -m pip install"))


def _excerpt_problems(excerpt: list[str], actual: list[str], where: str) -> list[str]:
    pos = 0
    for line in excerpt:
        if line.strip() == "...":
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in line.split("...")))
        for j in range(pos, len(actual)):
            if pattern.fullmatch(actual[j]):
                pos = j + 1
                break
        else:
            return [f"{where}: line not found (in order): {line!r}"]
    return []


def _env(bin_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.pop("MIGRATE_REGEN_GOLDEN", None)
    return env


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Walk:
    """Run every marked block of the README in order, in one copy of `examples/`, and collect what differs."""
    root = tmp_path_factory.mktemp("readme")
    shutil.copytree(REPO / "examples", root / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    bin_dir = tmp_path_factory.mktemp("bin")
    wrapper = bin_dir / "migrate"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m migrate "$@"\n')
    wrapper.chmod(0o755)
    env = _env(bin_dir)
    result = Walk(root)
    last_stdout: str | None = None
    for block in BLOCKS:
        where = f"README.md:{block.line} ({block.section})"
        if block.mark == "run":
            for command in commands(block):
                run = subprocess.run(["bash", "-c", offline(command)], cwd=root, env=env, capture_output=True,
                                     text=True, timeout=600)
                result.commands += 1
                last_stdout = run.stdout
                if run.returncode != expected_exit(command):
                    result.failures.append(f"{where}: `{command}` exited {run.returncode}, the README says "
                                           f"{expected_exit(command)}\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
        elif block.mark == "python":
            script = root / f"readme_{block.line}.py"
            script.write_text("\n".join(block.lines) + "\n")
            run = subprocess.run([sys.executable, str(script)], cwd=root, env=env, capture_output=True, text=True,
                                 timeout=600)
            result.commands += 1
            last_stdout = run.stdout
            if run.returncode != 0:
                result.failures.append(f"{where}: the Python example failed\n{run.stderr[-3000:]}")
        elif block.mark == "output":
            want = [line.rstrip() for line in block.lines]
            got = [line.rstrip() for line in (last_stdout or "").rstrip("\n").split("\n")]
            if last_stdout is None or want != got:
                result.failures.append(f"{where}: the block is not what was printed:\n{last_stdout}")
    return result


def _blocks(mark: str) -> list[Block]:
    return [b for b in BLOCKS if b.mark == mark]


def test_markers_are_known_and_used() -> None:
    assert {b.mark for b in BLOCKS} - {""} <= {"run", "python", "output", "excerpt", "cluster", "files"}
    for mark in ("run", "python", "output", "excerpt", "cluster", "files"):
        assert _blocks(mark), f"no README block is marked {mark!r}"


def test_readme_commands_run_as_written(walk: Walk) -> None:
    assert walk.commands >= 10
    assert not walk.failures, "\n\n".join(walk.failures)


def test_excerpts_are_in_the_files_the_walk_wrote(walk: Walk) -> None:
    problems: list[str] = []
    for block in _blocks("excerpt"):
        path = walk.root / block.arg
        where = f"README.md:{block.line}"
        if not path.is_file():
            problems.append(f"{where}: {block.arg} was not written by the commands before it")
            continue
        problems += _excerpt_problems(block.lines, path.read_text().split("\n"), where)
    assert not problems, "\n".join(problems)


def test_file_tables_list_exactly_the_files(walk: Walk) -> None:
    for block in _blocks("files"):
        directory = block.arg.rstrip("/")
        listed: set[str] = set()
        for row in block.lines[2:]:  # header and separator rows first
            first = row.strip("|").split("|")[0]
            for name in re.findall(r"`([^`]+)`", first):
                listed.add(name[len(directory) + 1:] if name.startswith(directory + "/") else name)
        present = {str(p.relative_to(walk.root / directory)) for p in (walk.root / directory).rglob("*") if p.is_file()}
        assert listed == present, f"README.md:{block.line}: the table lists {sorted(listed)}, {directory}/ holds " \
                                  f"{sorted(present)}"
    # the copy the walk ran in is the repository's examples/, nothing added
    in_repo = {str(p.relative_to(REPO)) for p in (REPO / "examples").rglob("*") if p.is_file()
               and "__pycache__" not in p.parts}
    copied = {str(p.relative_to(walk.root)) for p in (walk.root / "examples").rglob("*") if p.is_file()}
    assert in_repo == copied


def _objects(paths: list[Path]) -> set[tuple[str, str, str]]:
    out = set()
    for path in paths:
        for doc in load_yaml_stream(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind"):
                meta = doc.get("metadata") or {}
                out.add((str(doc["kind"]).lower(), str(meta.get("namespace") or ""), str(meta.get("name"))))
    return out


def test_cluster_commands_use_what_the_walk_produced(walk: Walk) -> None:
    """The placeholders of the kubectl/helm steps are the plan's and the estate's real files and objects."""
    estate = _objects(sorted((walk.root / "examples" / "estate").glob("*.yaml")))
    problems: list[str] = []
    checked = 0
    for block in _blocks("cluster"):
        for command in commands(block):
            argv = shlex.split(command, comments=True)
            where = f"README.md:{block.line}: `{command}`"
            namespace = argv[argv.index("-n") + 1] if "-n" in argv else ""
            for flag in ("-f", "--patch-file"):
                for i, arg in enumerate(argv[:-1]):
                    if arg == flag and "://" not in argv[i + 1]:
                        checked += 1
                        if not (walk.root / argv[i + 1]).is_file():
                            problems.append(f"{where}: {argv[i + 1]} does not exist after the walk")
            if argv[:2] == ["kubectl", "patch"]:
                patch = walk.root / argv[argv.index("--patch-file") + 1]
                if patch.is_file() and (argv[2], namespace, argv[3]) not in _objects([patch]):
                    problems.append(f"{where}: {patch.name} holds no {argv[2]} {namespace}/{argv[3]}")
            if argv[:2] == ["kubectl", "delete"]:
                checked += 1
                if (argv[2], namespace, argv[3]) not in estate:
                    problems.append(f"{where}: the estate has no {argv[2]} {namespace}/{argv[3]}")
            if argv[:2] == ["kubectl", "wait"]:
                kind, name = argv[2].split("/")
                plan = _objects(sorted((walk.root / "plan").glob("*.yaml")))
                if (kind, namespace, name) not in plan:
                    problems.append(f"{where}: the plan has no {kind} {namespace}/{name}")
    assert checked >= 8
    assert not problems, "\n".join(problems)


def _section(title: str) -> list[Block]:
    return [b for b in BLOCKS if b.section == title and b.lang != "table"]


def test_setup_has_exactly_the_two_commands() -> None:
    assert ["\n".join(b.lines) for b in _section("Set-up")] == [SETUP_INSTALL, SETUP_TEST]
    assert _section("Set-up")[0].mark == "run"  # runs (its install step skipped) with the walk
    text = README.read_text()
    setup = text[text.index("## Set-up"):text.index("## A migration, step by step")]
    assert "Python >= 3.11" in setup and "virtualenv" in setup
    assert 'requires-python = ">=3.11"' in (REPO / "pyproject.toml").read_text()


def test_ci_runs_the_readme_test_command() -> None:
    ci = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith("#") and not line.startswith(("set ", "cd "))]
    install, test = (s.strip() for s in SETUP_TEST.split("&&"))
    quiet = ci[0].replace(" --quiet", "").replace(" --disable-pip-version-check", "")
    assert [quiet, ci[1]] == [install, test], ci


def _anchor(title: str) -> str:
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def test_structure_and_table_of_contents() -> None:
    text = README.read_text()
    top = [title for level, title in HEADINGS if level == 2]
    assert top[:4] == ["Contents", "Set-up", "A migration, step by step", "Command reference"]
    assert top[-1] == "Development", "developer material comes last"
    intro = text[:text.index("## Contents")]
    for command in ("convert", "helm-values", "check", "verify", "scan"):
        assert f"`migrate {command}`" in intro
    contents = text[text.index("## Contents"):text.index("## Set-up")]
    toc = re.findall(r"^( *)- \[(.*)\]\(#(.*)\)$", contents, re.M)
    wanted = [(level, title) for level, title in HEADINGS if level in (2, 3) and title != "Contents"]
    assert [(2 if not indent else 3, title) for indent, title, _ in toc] == wanted
    assert all(anchor == _anchor(title) for _, title, anchor in toc)
    anchors = {_anchor(title) for _, title in HEADINGS}
    for link in re.findall(r"\]\(#([^)]+)\)", text):
        assert link in anchors, f"link to a missing section: #{link}"
    development = text[text.index("## Development"):]
    for topic in ("### Golden tests", "### Performance", "python3 -m benchmarks.run", "MIGRATE_REGEN_GOLDEN"):
        assert topic in development


def test_the_predictor_example_is_the_runnable_block() -> None:
    check = text_of_section("### `migrate check`")
    assert "migrate.kongstatus.predict_listener_status" in check
    python = _blocks("python")
    assert len(python) == 1 and "predict_listener_status(" in "\n".join(python[0].lines)
    assert python[0].section == "Command reference"


def text_of_section(heading: str) -> str:
    text = README.read_text()
    start = text.index(heading + "\n")
    level = heading.split(" ")[0]
    nxt = re.search(rf"^#{{2,{len(level)}}} ", text[start + len(heading):], re.M)
    return text[start:start + len(heading) + (nxt.start() if nxt else len(text))]


@pytest.mark.parametrize("args", [["check"], ["check", "--values", "my-values.yaml"], ["check", "-o", "json"]])
def test_bare_check_says_what_it_needs(args: list[str]) -> None:
    result = run_cli(args)
    assert result.exit_code == 2 and result.stdout == ""
    for needed in ("GATEWAY-INPUT", "--values FILE", "--service", "--proxy-listen", "--stream-listen"):
        assert needed in result.stderr
