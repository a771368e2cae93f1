"""The README's tour runs as written: its ```sh blocks marked `<!-- tour -->`, in order, in one bash shell
(`bash -e -u -o pipefail`), against a real `coso serve` on a fresh database, with only KEY set — what a new user
does after `make run`. (Blocks without the mark are illustrations and are not run.)

Every curl of the tour must answer what the README says of it: a 2xx, unless its trailing comment says `HTTP 4xx`
(then that status, as a problem+json). A JSON answer listing `items` must list some: an example that quietly finds
nothing (a search that no longer matches) is broken too. The test wraps curl in a shell function that records each
answer; the README itself is run unchanged, but for the port of the server."""

import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.cli import _announce_first_key
from app.demo.load import demo_units
from app.demo.members import demo_members
from app.demo.plan import PLAN_CODE
from tests.support.serve import admin_key, coso_serve

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
README_BASE = "http://127.0.0.1:8000"  # where the README's examples expect `make run`
TOUR_SECONDS = 120

# Each curl of the tour goes through this function: the answer is printed as curl would print it, and its status and
# content type are appended to $TOUR_LOG (the body kept in $TOUR_DIR/<n>.body); an answer other than the README's
# stops the tour at once.
WRAPPER = r"""
curl() {
    local n answer status expected
    n=$(wc -l < "$TOUR_LOG")
    : > "$TOUR_DIR/$n.body"  # curl writes no file for an answer without a body (a 304)
    answer=$(command curl -o "$TOUR_DIR/$n.body" -w '%{http_code} %{content_type}' "$@") || {
        echo "tour: curl #$((n + 1)) failed to get an answer" >&2; return 1; }
    cat "$TOUR_DIR/$n.body"
    echo "$answer" >> "$TOUR_LOG"
    status=${answer%% *}
    expected=${TOUR_EXPECT[$n]:-none}
    if [[ $status != $expected ]]; then
        echo "tour: curl #$((n + 1)) answered $status, the README expects $expected" >&2
        return 1
    fi
}
"""


@dataclass(frozen=True)
class Block:
    line: int  # README line of the block's first line of code
    code: str


@dataclass(frozen=True)
class Call:
    line: int  # README line where the curl command starts
    text: str  # that line
    expected: str  # a bash pattern for the status: "2??" or "422"


def tour_blocks(readme: str) -> list[Block]:
    blocks = []
    for match in re.finditer(r"^<!-- tour -->\n```sh\n(.*?)^```$", readme, flags=re.MULTILINE | re.DOTALL):
        blocks.append(Block(line=readme.count("\n", 0, match.start(1)) + 1, code=match.group(1)))
    return blocks


def tour_calls(block: Block) -> list[Call]:
    """The curl commands of a block, in order, each with the status its trailing comment announces (`# HTTP 422`)
    or any 2xx. A comment on a line of its own introduces what follows and announces nothing."""
    code = block.code
    calls: list[Call] = []
    quote: str | None = None
    line, code_on_line, i = block.line, False, 0
    while i < len(code):
        char = code[i]
        if quote:
            if char == quote:
                quote = None
            elif char == "\\" and quote == '"':
                i += 1
        elif char in "'\"":
            quote = char
        elif char == "\\":
            i += 1
            if code[i : i + 1] == "\n":
                line += 1
        elif char == "#" and (i == 0 or code[i - 1].isspace()):
            end = code.find("\n", i)
            end = len(code) if end < 0 else end
            said = re.search(r"\bHTTP ([1-5][0-9][0-9])\b", code[i:end])
            if said and code_on_line and calls:
                calls[-1] = Call(calls[-1].line, calls[-1].text, said.group(1))
            i = end
            continue
        elif (
            code.startswith("curl", i)
            and code[i + 4 : i + 5].isspace()
            and (i == 0 or not (code[i - 1].isalnum() or code[i - 1] in "_-./"))
        ):
            calls.append(Call(line, code.splitlines()[line - block.line].strip(), "2??"))
        if char == "\n":
            line, code_on_line = line + 1, False
        elif not char.isspace():
            code_on_line = True
        i += 1
    assert quote is None, f"README.md line {block.line}: a quote of the tour block is never closed"
    return calls


@dataclass(frozen=True)
class TourRun:
    returncode: int
    stdout: str
    stderr: str
    answers: list[tuple[str, str, bytes]]  # status, content type, body of each curl, in order


def run_tour(readme: str, base: str, key: str, workdir: Path) -> tuple[list[Call], TourRun]:
    blocks = tour_blocks(readme)
    assert blocks, "README.md has no block marked <!-- tour -->"
    calls = [call for block in blocks for call in tour_calls(block)]
    script = "\n".join(block.code for block in blocks)
    assert README_BASE in script, f"the tour no longer talks to {README_BASE}"
    log, bodies = workdir / "answers.log", workdir / "answers"
    log.touch()
    bodies.mkdir()
    expect = " ".join(shlex.quote(call.expected) for call in calls)
    preamble = f"KEY={shlex.quote(key)}\nTOUR_EXPECT=({expect})\n{WRAPPER}\n"
    path = workdir / "tour.sh"
    path.write_text(preamble + script.replace(README_BASE, base), encoding="utf-8")
    env = {**os.environ, "TOUR_LOG": str(log), "TOUR_DIR": str(bodies), "LC_ALL": "C.UTF-8"}
    done = subprocess.run(  # noqa: S603 - the README's own tour
        ["bash", "-e", "-u", "-o", "pipefail", str(path)],  # noqa: S607 - our own script
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=TOUR_SECONDS,
        check=False,
    )
    answers = []
    for n, entry in enumerate(log.read_text().splitlines()):
        status, _, content_type = entry.partition(" ")
        answers.append((status, content_type, (bodies / f"{n}.body").read_bytes()))
    return calls, TourRun(
        done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace"), answers
    )


def tour_problems(calls: list[Call], run: TourRun) -> list[str]:
    """What went wrong, each naming the README line of the example; empty when the tour ran as written."""
    found = []
    for n, (call, (status, content_type, body)) in enumerate(zip(calls, run.answers, strict=False), start=1):
        where = f"README.md line {call.line} (curl #{n}: {call.text})"
        shown = body.decode(errors="replace")[:1500]
        if not re.fullmatch(call.expected.replace("?", "[0-9]"), status):
            found.append(f"{where}: answered {status}, expected {call.expected}: {shown}")
        elif status.startswith(("4", "5")) and not content_type.startswith("application/problem+json"):
            found.append(f"{where}: a {status} that is not a problem+json ({content_type}): {shown}")
        elif content_type.startswith("application/json"):
            answer = json.loads(body)
            if isinstance(answer, dict) and answer.get("items") == []:
                found.append(f"{where}: answered an empty list; the example shows nothing")
    if len(run.answers) != len(calls):
        found.append(f"the README's tour has {len(calls)} curl commands but {len(run.answers)} were made")
    if run.returncode != 0:
        found.append(f"the tour stopped (bash exited with {run.returncode}): {run.stderr.strip()[-3000:]}")
    return found


@pytest.fixture
def service(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A `coso serve` process on the test database (empty: every test leaves it so) on a free port, and an
    administrator's key with `pii`, like the local admin key of `make run`."""
    token = admin_key(database_url, "README tour")
    with coso_serve(database_url, tmp_path) as base:
        yield base, token


def test_the_tour_runs_as_written(service: tuple[str, str], tmp_path: Path) -> None:
    base, key = service
    calls, run = run_tour(README.read_text(encoding="utf-8"), base, key, tmp_path)
    problems = tour_problems(calls, run)
    assert not problems, "the README's tour does not run as written:\n* " + "\n* ".join(problems)
    assert len(calls) > 50, "the tour lost most of its examples"
    statuses = [status for status, _, _ in run.answers]
    assert any(s.startswith("4") for s in statuses), "the tour shows no error (problem+json) any more"


def test_a_broken_example_fails_the_tour(service: tuple[str, str], tmp_path: Path) -> None:
    """The harness itself: an example that stops working (here a misspelt path) fails, naming its README line."""
    base, key = service
    readme = README.read_text(encoding="utf-8")
    broken = readme.replace("$API/reference/organizations", "$API/reference/organisations", 1)
    assert broken != readme
    line = readme.count("\n", 0, readme.index("$API/reference/organizations")) + 1
    calls, run = run_tour(broken, base, key, tmp_path)
    problems = tour_problems(calls, run)
    assert run.returncode != 0, "the tour went on after a broken example"
    assert any(f"README.md line {line} " in p and "answered 404" in p for p in problems), problems


def test_the_tour_leaves_room_for_the_demo_data() -> None:
    """A user may load `coso demo-data` before the tour or after it: no code of the tour's units and plan is the
    demo's, and no member of the tour has the name and birth date of a demo member (a 409 either way)."""
    tour = "\n".join(block.code for block in tour_blocks(README.read_text(encoding="utf-8")))
    codes = set(re.findall(r'"code": "([^"]+)"', tour)) | set(re.findall(r"[?&]code=([^&\"\s]+)", tour))
    assert {"NB", "NB-GH", "86-KH/TU"} <= codes, codes
    taken = {unit.code for unit in demo_units()} | {PLAN_CODE}
    assert not codes & taken, f"the tour uses codes of the demo data: {sorted(codes & taken)}"
    people = set(re.findall(r'"full_name": "([^"]+)"[^}]*?"birth_date": "([0-9-]{10})"', tour))
    assert len(people) >= 3, people
    demo_people = {(m.record["full_name"], m.record["birth_date"].isoformat()) for m in demo_members(demo_units())}
    assert not people & demo_people, f"the tour's members are demo members: {sorted(people & demo_people)}"


def test_the_first_local_key_is_printed_alone(
    database_url: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """On a fresh embedded database `coso serve` prints the local admin key alone on a line of stdout, to be copied
    into KEY; the warning goes to the log, without the key."""
    _announce_first_key(database_url, embedded=True)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 1 and re.fullmatch(r"coso_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}", printed[0]), printed
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("LOCAL DEMO ONLY" in w for w in warnings), warnings
    assert not any(printed[0] in w for w in warnings), "the key is in the log"
    _announce_first_key(database_url, embedded=True)  # once only: the database has a key now
    assert capsys.readouterr().out == ""
