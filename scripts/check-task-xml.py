#!/usr/bin/env python3
"""Checks a Task Scheduler task XML file as `upjobpilot schedule install` registers it.

Usage: check-task-xml.py FILE [FILE...]

Each file must be UTF-16 with a byte order mark and declare encoding="UTF-16" (what
`schtasks /Create /XML` reads), parse as XML in Task Scheduler's namespace, and hold the elements
Task Scheduler requires and the settings upjobpilot promises: RegistrationInfo, a trigger (a
repeating TimeTrigger, or a LogonTrigger for `watch`), Principals/Principal with LogonType
InteractiveToken, Settings (StartWhenAvailable, IgnoreNew, on battery, a time limit), and
Actions/Exec with Command and Arguments. Used by tests/it/scheduling.rs and scripts/windows-check.
Get a file with: upjobpilot schedule show upjobpilot-sync.xml > task.xml
Exit status 0 when every file passes, 1 otherwise (each problem is printed).
"""

import re
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}


def check(path):
    problems = []
    raw = open(path, "rb").read()
    if not raw.startswith(b"\xff\xfe"):
        return [f"{path}: no UTF-16LE byte order mark (starts with {raw[:4]!r})"]
    text = raw[2:].decode("utf-16-le")
    if not re.match(r'<\?xml version="1.0" encoding="UTF-16"\?>', text):
        problems.append(f'{path}: the declaration does not say encoding="UTF-16"')
    try:
        # ElementTree refuses a str with an encoding declaration; hand it UTF-8 bytes instead.
        root = ET.fromstring(re.sub(r"^<\?xml[^>]*\?>", "", text).encode("utf-8"))
    except ET.ParseError as e:
        return problems + [f"{path}: not well-formed XML: {e}"]
    if root.tag != "{%s}Task" % NS["t"]:
        problems.append(f"{path}: the root is {root.tag}, not Task in {NS['t']}")

    def one(xpath, expected=None):
        found = root.findall(xpath, NS)
        if len(found) != 1:
            problems.append(f"{path}: {len(found)} elements at {xpath}, expected 1")
            return None
        value = (found[0].text or "").strip()
        if expected is not None and value != expected:
            problems.append(f"{path}: {xpath} is {value!r}, expected {expected!r}")
        return value

    one("t:RegistrationInfo")
    one("t:RegistrationInfo/t:Description")
    one("t:Principals/t:Principal/t:LogonType", "InteractiveToken")
    if root.findall("t:Principals/t:Principal/t:Password", NS):
        problems.append(f"{path}: a stored password")
    one("t:Settings/t:StartWhenAvailable", "true")
    one("t:Settings/t:MultipleInstancesPolicy", "IgnoreNew")
    one("t:Settings/t:DisallowStartIfOnBatteries", "false")
    limit = one("t:Settings/t:ExecutionTimeLimit")
    if limit is not None and not re.fullmatch(r"P(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?", limit):
        problems.append(f"{path}: ExecutionTimeLimit {limit!r} is not an ISO 8601 duration")
    command = one("t:Actions/t:Exec/t:Command")
    if command is not None and not command:
        problems.append(f"{path}: an empty Command")
    arguments = one("t:Actions/t:Exec/t:Arguments")
    if arguments is not None and "--config" not in arguments:
        problems.append(f"{path}: Arguments {arguments!r} has no --config")
    one("t:Actions/t:Exec/t:WorkingDirectory")
    time = root.findall("t:Triggers/t:TimeTrigger", NS)
    logon = root.findall("t:Triggers/t:LogonTrigger", NS)
    if len(time) + len(logon) != 1:
        problems.append(f"{path}: expected one TimeTrigger or LogonTrigger")
    if time:
        one("t:Triggers/t:TimeTrigger/t:StartBoundary")
        interval = one("t:Triggers/t:TimeTrigger/t:Repetition/t:Interval")
        if interval is not None and not re.fullmatch(r"P(1D|T\d+[HM])", interval):
            problems.append(f"{path}: repetition interval {interval!r}")
        if root.findall("t:Triggers/t:TimeTrigger/t:Repetition/t:Duration", NS):
            problems.append(f"{path}: a repetition Duration (it must repeat indefinitely)")
    return problems


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    problems = [p for path in sys.argv[1:] for p in check(path)]
    for problem in problems:
        print(problem)
    if not problems:
        print(f"ok: {len(sys.argv) - 1} task file(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
