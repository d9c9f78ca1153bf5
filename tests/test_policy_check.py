"""Policy edits are checked (issue 21 §7): `kefu policy check FILE` names file:line and key of
every mistake and exits 2; nonsensical numbers and unknown time zones are refused by the same
validation the loader runs; a process that is running keeps its last good policy, warning
once, when the file on disk stops validating."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from policy.load import DEFAULT_POLICY, PolicyError, check_policy, load_policy

DEFAULT_TEXT = DEFAULT_POLICY.read_text(encoding="utf-8")
# Three kinds of typo an admin makes, each on one line of the shipped policy.
TYPOS = {
    "bad duration": ("    handling: 3 working days", "    handling: three working days",
                     "complaint.deadlines.handling", "'three working days' is not a duration"),
    "negative number": ("    unconditional_return_days: 15", "    unconditional_return_days: -15",
                        "complaint.return_rule.unconditional_return_days", "must not be negative"),
    "bad time zone": ("  timezone: Asia/Shanghai", "  timezone: Asia/Shangai",
                      "calendar.timezone", "unknown time zone 'Asia/Shangai'"),
}


def _line_of(text: str, needle: str) -> int:
    [line] = [n for n, row in enumerate(text.splitlines(), 1) if row.startswith(needle)]
    return line


def _edited(*kinds: str) -> str:
    text = DEFAULT_TEXT
    for kind in kinds:
        good, bad, _, _ = TYPOS[kind]
        assert text.count(good) == 1, good
        text = text.replace(good, bad)
    return text


def _write(path: Path, text: str) -> Path:
    """Write and give the file a new modification time (a quick edit may keep the old one)."""
    before = path.stat().st_mtime if path.exists() else 0.0
    path.write_text(text, encoding="utf-8")
    os.utime(path, (before + 10, before + 10))
    return path


@pytest.mark.parametrize("kind", sorted(TYPOS))
def test_policy_check_names_file_line_and_key_and_exits_2(offline_kefu, tmp_path, kind):
    path = _write(tmp_path / "policy.yaml", _edited(kind))
    _, bad, key, words = TYPOS[kind]
    done = offline_kefu.run("policy", "check", str(path), check=False)
    assert done.returncode == 2
    [line] = done.stdout.splitlines()
    assert line.startswith(f"{path}:{_line_of(path.read_text(), bad)}: {key}: ")
    assert words in line


def test_policy_check_lists_every_problem_of_the_file(tmp_path):
    path = _write(tmp_path / "policy.yaml", _edited(*TYPOS))
    problems = check_policy(path)
    assert [p.split(": ")[1] for p in problems] == [
        "calendar.timezone", "complaint.return_rule.unconditional_return_days",
        "complaint.deadlines.handling"]
    assert all(p.startswith(f"{path}:") for p in problems)


def test_a_good_policy_file_checks_ok(offline_kefu):
    done = offline_kefu.run("policy", "check", str(DEFAULT_POLICY), check=False)
    assert done.returncode == 0
    assert "ok" in done.stdout and "distillery-d2" in done.stdout


@pytest.mark.parametrize(("good", "bad", "key", "words"), [
    ("    points_per_complaint: 1", "    points_per_complaint: 0",
     "complaint.scoring.points_per_complaint", "at least 1"),
    ("    points_per_complaint: 1", "    points_per_complaint: -1",
     "complaint.scoring.points_per_complaint", "at least 1"),
    ("    feedback: 24h", "    feedback: -24h", "complaint.deadlines.feedback", "must not be negative"),
    ("  link_ttl: 72h", "  link_ttl: 0h", "approvals.link_ttl", "longer than zero"),
])
def test_nonsensical_numbers_are_refused_naming_the_key(tmp_path, good, bad, key, words):
    assert DEFAULT_TEXT.count(good) == 1
    path = _write(tmp_path / "policy.yaml", DEFAULT_TEXT.replace(good, bad))
    [problem] = check_policy(path)
    assert problem.startswith(f"{path}:{_line_of(path.read_text(), bad)}: {key}: ")
    assert words in problem


def test_people_are_counted_from_one_by_their_key_and_quotes_stay_closed(offline_kefu, tmp_path):
    assert DEFAULT_TEXT.count("superior: liu.quality,") == 1  # chen.qe, the 7th person
    text = DEFAULT_TEXT.replace("superior: liu.quality,", "superior: ghost.boss,")
    path = _write(tmp_path / "policy.yaml", text)
    [problem] = check_policy(path)
    assert "organisation.people #7 (chen.qe).superior: unknown person 'ghost.boss'" in problem
    assert "people[" not in problem and "people.6" not in problem
    # A command's one-line error says the same, closing quote included.
    offline_kefu.env["KEFU_POLICY"] = str(path)
    refused = offline_kefu.run("escalations", "run", check=False)
    assert refused.returncode == 2
    assert "people #7 (chen.qe).superior: unknown person 'ghost.boss'" in refused.stderr


# --- a running process keeps its last good policy -------------------------------------------

def test_a_running_process_keeps_its_last_good_policy_when_the_file_goes_bad(tmp_path, caplog):
    path = _write(tmp_path / "live.yaml", DEFAULT_TEXT)
    good = load_policy(path)
    _write(path, _edited("bad duration"))
    with caplog.at_level(logging.WARNING, logger="kefu.policy"):
        assert load_policy(path) is good
        assert load_policy(path) is good  # the sweep every 15 minutes: no new warning
    [warning] = [r for r in caplog.records if r.name == "kefu.policy"]
    assert warning.levelno == logging.WARNING
    line = _line_of(path.read_text(), TYPOS["bad duration"][1])
    assert f"{path}:{line}: complaint.deadlines.handling" in warning.getMessage()
    assert "last good policy" in warning.getMessage()

    caplog.clear()
    _write(path, _edited("bad duration", "bad time zone"))  # another bad edit: warned again
    with caplog.at_level(logging.WARNING, logger="kefu.policy"):
        assert load_policy(path) is good
    assert len([r for r in caplog.records if r.name == "kefu.policy"]) == 1

    _write(path, DEFAULT_TEXT.replace("name: distillery-d2", "name: distillery-fixed"))
    assert load_policy(path).name == "distillery-fixed"  # the fix is picked up


def test_a_fresh_process_with_a_bad_file_refuses_to_start_naming_the_line(tmp_path):
    path = _write(tmp_path / "fresh.yaml", _edited("bad time zone"))
    with pytest.raises(PolicyError) as refused:
        load_policy(path)
    line = _line_of(path.read_text(), TYPOS["bad time zone"][1])
    assert f"{path}:{line}: calendar.timezone: unknown time zone 'Asia/Shangai'" in str(refused.value)
