"""`hotline12348 config check`: asterisklint over the dialplan plus the project's own cross-checks.

`cross_check(directory, files, prompt_exists, agi_scripts)` is pure (rendered texts in, findings out);
`lint_dialplan` and `prompt_finder` are the I/O edges.
"""
from __future__ import annotations

import os
import re
import shutil
import string
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from hotline.config_render import FASTAGI_SCRIPTS
from hotline.directory import Directory

PROMPT_EXTENSIONS = (".wav", ".sln", ".sln16", ".gsm", ".alaw", ".ulaw", ".g722", ".WAV")
_SECTION = re.compile(r"^\[([^\]]+)\]", re.M)
_AGI = re.compile(r"AGI\(\$\{FASTAGI\}/([^),]+)\)|AGI\(agi://[^/)]+/([^),]+)\)")
_FILTER = re.compile(r"FILTER\(([^,]*),")
FILTER_SAFE = set(string.ascii_letters + string.digits + "-_./")
_PROMPT_APPS = re.compile(r"\b(?:Playback|Background|ControlPlayback)\(([^),]+)")
_PROMPT_KEYS = re.compile(r"^(?:periodic-announce|announce|queue-[a-z-]+)\s*=\s*(\S+)", re.M)


@dataclass(frozen=True)
class Finding:
    """One problem: `where` names the file or directory entry, `what` says what is wrong."""

    level: str  # "error" | "warning"
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.level}: {self.where}: {self.what}"


def sections(text: str) -> list[str]:
    """Section names of an Asterisk config file, templates included, in order."""
    return _SECTION.findall(text)


def parse_sections(text: str) -> list[tuple[str, list[str], dict[str, list[str]]]]:
    """(name, template options, {key: [values]}) for every section, in order; comments dropped."""
    out: list[tuple[str, list[str], dict[str, list[str]]]] = []
    for raw in text.splitlines():
        line = raw.split(";", 1)[0].strip()
        m = re.match(r"^\[([^\]]+)\](?:\(([^)]*)\))?$", line)
        if m:
            out.append((m.group(1), [o.strip() for o in (m.group(2) or "").split(",") if o.strip()], {}))
        elif out and "=" in line:
            key, _, value = line.partition("=")
            out[-1][2].setdefault(key.strip().rstrip(">").strip(), []).append(value.strip())
    return out


def endpoints(pjsip: str) -> set[str]:
    """Names of the non-template `type=endpoint` sections (directly or through their templates)."""
    kinds: dict[str, str] = {}
    out = set()
    for name, opts, body in parse_sections(pjsip):
        kind = (body.get("type") or [""])[-1]
        if not kind:
            kind = next((kinds[p] for p in opts if p in kinds), "")
        if "!" in opts:
            kinds[name] = kind
        elif kind == "endpoint":
            out.add(name)
    return out


def cross_check(directory: Directory, files: dict[str, str], prompt_exists: Callable[[str], bool],
                agi_scripts: Iterable[str] = FASTAGI_SCRIPTS) -> list[Finding]:
    """The project's own checks: queues, seats, endpoints, AGI routes and prompts agree."""
    out: list[Finding] = []
    queue_sections = set(sections(files.get("queues.conf", "")))
    for queue in directory.queue_names():
        if queue not in queue_sections:
            out.append(Finding("error", "queues.conf", f"queue {queue} (routing may choose it) is not defined"))
        if not directory.queue_members(queue):
            out.append(Finding("error", f"directory: {queue}",
                               f"queue {queue} has no seat serving it (no seat of center "
                               f"{queue.split('-')[1]} has skill {queue.split('-', 2)[2]})"))
    defined = endpoints(files.get("pjsip.conf", ""))
    for seat in directory.seats:
        if f"seat-{seat.extension}" not in queue_sections:
            out.append(Finding("error", "queues.conf", f"seat {seat.extension} has no personal queue seat-{seat.extension} "
                                                       "(首问负责制 would send its repeat callers to the skill queue)"))
        if seat.endpoint not in defined:
            out.append(Finding("error", "pjsip.conf", f"seat {seat.extension} has no endpoint {seat.endpoint}"))
    for phone in directory.supervisor_phones:
        if f"sup{phone.extension}" not in defined:
            out.append(Finding("error", "pjsip.conf", f"supervisor phone {phone.extension} has no endpoint"))
    carrier = directory.trunks.carrier.name
    aors = [b for n, _, b in parse_sections(files.get("pjsip.conf", "")) if n == carrier and b.get("type") == ["aor"]]
    aor = aors[0] if aors else None
    if aor is not None and not aor.get("contact"):
        out.append(Finding("warning", "pjsip.conf", f"trunk {carrier} has no contact: 回访 callbacks cannot be "
                                                    "dialled (set HOTLINE_ASTERISK_CARRIER_CONTACT)"))
    dialplan = files.get("extensions.conf", "")
    scripts = set(agi_scripts)
    for m in _AGI.finditer(dialplan):
        script = m.group(1) or m.group(2)
        if script not in scripts:
            out.append(Finding("error", "extensions.conf", f"AGI script {script!r} is not served by the IVR"))
    out += filter_problems(dialplan)
    for prompt in sorted(referenced_prompts(files)):
        if not prompt_exists(prompt):
            out.append(Finding("error", "prompts", f"prompt {prompt} is referenced but no audio file exists"))
    return out


def filter_allowed(spec: str) -> set[str]:
    """What Asterisk's FILTER(spec,...) lets through. 'x-y' is a range; a '-' right after a character
    always opens one, up to the next character — at the end of the set that wraps around to NUL,
    i.e. everything from 'x' upwards."""
    out: set[str] = set()
    i = 0
    while i < len(spec):
        c1 = ord(spec[i])
        i += 1
        if i < len(spec) and spec[i] == "-":
            c2 = ord(spec[i + 1]) if i + 1 < len(spec) else 0
            i += 2
            codes = range(c1, c2 + 1) if c2 >= c1 else [*range(c1, 256), *range(0, c2 + 1)]
            out.update(chr(c) for c in codes)
        else:
            out.add(chr(c1))
    return out


def filter_problems(dialplan: str) -> list[Finding]:
    """Every FILTER() set in the dialplan may only let identifier characters through."""
    out = []
    code = "\n".join(line.split(";", 1)[0] for line in dialplan.splitlines())
    for spec in sorted(set(_FILTER.findall(code))):
        extra = filter_allowed(spec) - FILTER_SAFE
        if extra:
            shown = "".join(sorted(c for c in extra if c.isprintable()))[:20]
            out.append(Finding("error", "extensions.conf", f"FILTER({spec},…) also lets through {shown!r}…"))
    return out


def referenced_prompts(files: dict[str, str]) -> set[str]:
    """Sound names the dialplan and queues play (variables and absolute paths skipped)."""
    names = set()
    for m in _PROMPT_APPS.finditer(files.get("extensions.conf", "")):
        names.update(p for p in m.group(1).split("&") if p and "$" not in p)
    for m in _PROMPT_KEYS.finditer(files.get("queues.conf", "")):
        names.add(m.group(1))
    return {n for n in names if not n.startswith("/")}


def prompt_finder(prompts_dir: Path) -> Callable[[str], bool]:
    """A predicate: does `<prompts_dir>/<name>.<ext>` (or the language subdirectory zh/) exist."""
    def exists(name: str) -> bool:
        for base in (prompts_dir / name, prompts_dir / "zh" / name, prompts_dir / Path(name).name):
            if any(base.with_name(base.name + ext).is_file() for ext in PROMPT_EXTENSIONS):
                return True
        return False
    return exists


def modules_problems(modules_conf: str, used: set[str]) -> list[Finding]:
    """Modules the dialplan uses must be neither `noload`ed nor left out of `require`."""
    entries = {name: body for name, _, body in parse_sections(modules_conf)}.get("modules", {})
    noload, required = set(entries.get("noload", [])), set(entries.get("require", []))
    out = [Finding("error", "modules.conf", f"noload={m} but the dialplan uses it") for m in sorted(used & noload)]
    out += [Finding("warning", "modules.conf", f"the dialplan uses {m}; add require={m}")
            for m in sorted(used - required - noload)]
    return out


def dialplan_modules(config_dir: Path) -> set[str]:
    """Modules providing the applications and functions extensions.conf uses (asterisklint modules-show).
    asterisklint attributes PJSIP_HEADER() to res_pjsip; Asterisk 22 has it in res_pjsip_header_funcs."""
    proc = subprocess.run([_asterisklint(), "modules-show", "extensions.conf"], cwd=config_dir, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    found = set(re.findall(r"^load => (\S+\.so)$", proc.stdout, re.M))
    if "res_pjsip.so" in found and "PJSIP_HEADER()" in proc.stdout:
        found.add("res_pjsip_header_funcs.so")
    return found


def _asterisklint() -> str:
    exe = shutil.which("asterisklint", path=str(Path(sys.executable).parent)) or shutil.which("asterisklint")
    if exe is None:
        raise FileNotFoundError("asterisklint is not installed (pip install asterisklint)")
    return exe


def lint_dialplan(config_dir: Path) -> list[Finding]:
    """Run asterisklint's dialplan-check over `config_dir/extensions.conf`."""
    try:
        exe = _asterisklint()
    except FileNotFoundError as exc:
        return [Finding("error", "asterisklint", str(exc))]
    proc = subprocess.run([exe, "dialplan-check", "extensions.conf"], cwd=config_dir, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    findings = []
    for line in (proc.stdout + proc.stderr).splitlines():
        line = line.strip()
        if not line:
            continue
        findings.append(Finding("error" if proc.returncode else "warning", "asterisklint", line))
    if proc.returncode and not findings:
        findings.append(Finding("error", "asterisklint", f"exited with status {proc.returncode}"))
    return findings
