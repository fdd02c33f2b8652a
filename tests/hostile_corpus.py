"""Reads the hostile corpus of tests/hostile/ (format in tests/hostile/README.md)."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

HOSTILE = Path(__file__).resolve().parent / "hostile"


@dataclass(frozen=True)
class Payload:
    id: str
    kind: str
    expected: str
    text: str


def payloads(name: str) -> list[Payload]:
    """The blocks of ``refused.txt`` or ``runtime.txt``."""
    found: list[Payload] = []
    head, lines = None, []

    def close():
        while lines and lines[-1].startswith("#"):
            lines.pop()  # comments before the next block belong to it, not to this payload
        found.append(Payload(*head, "\n".join(lines)))

    for line in (HOSTILE / name).read_text(encoding="utf-8").splitlines():
        if line.startswith("=== "):
            if head:
                close()
            head, lines = [part.strip() for part in line[4:].split("|")], []
        elif head is not None:
            lines.append(line)
    if head:
        close()
    return found


def reserved_names() -> list[str]:
    return [line.strip() for line in (HOSTILE / "reserved_names.txt").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def name_templates() -> list[tuple[str, str]]:
    rows = []
    for line in (HOSTILE / "name_templates.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, template = line.split("\t", 1)
            rows.append((kind, template.replace("\\n", "\n")))
    return rows


# --------------------------------------------------------------------------- look-alikes

def _alphabet(base: int):
    def convert(ch: str) -> str:
        if "A" <= ch <= "Z":
            return chr(base + ord(ch) - ord("A"))
        if "a" <= ch <= "z":
            return chr(base + 26 + ord(ch) - ord("a"))
        return ch
    return convert


def _fullwidth(ch: str) -> str:
    return chr(0xFF01 + ord(ch) - 0x21) if "!" <= ch <= "~" else ch


LIGATURES = {"ffi": "\ufb03", "ffl": "\ufb04", "ff": "\ufb00", "fi": "\ufb01", "fl": "\ufb02", "st": "\ufb06"}


def _ligatures(name: str) -> str:
    for plain, ligature in LIGATURES.items():
        name = name.replace(plain, ligature)
    return name


TRANSFORMS = {
    "full-width": lambda name: "".join(map(_fullwidth, name)),
    "one full-width letter": lambda name: next(
        (name[:i] + _fullwidth(c) + name[i + 1:] for i, c in enumerate(name) if c.isalpha()), name),
    "mathematical bold": lambda name: "".join(map(_alphabet(0x1D400), name)),
    "mathematical sans-serif": lambda name: "".join(map(_alphabet(0x1D5A0), name)),
    "mathematical monospace": lambda name: "".join(map(_alphabet(0x1D670), name)),
    "long s": lambda name: name.replace("s", "\u017f"),
    "ligatures": _ligatures,
    "full-width low line": lambda name: name.replace("_", "\uff3f"),
}


def lookalikes(name: str) -> dict[str, str]:
    """Variants of ``name`` that NFKC folds back to it (only those that differ from it)."""
    variants = {}
    for label, transform in TRANSFORMS.items():
        variant = transform(name)
        if variant != name:
            assert unicodedata.normalize("NFKC", variant) == name, (label, variant)
            variants[label] = variant
    return variants


# --------------------------------------------------------------------------- carrier files

DEFAULTS = {"CONDITION": "${x > 1}", "SCRIPT": "y = 1", "ASSIGNEE": "xfj:handler", "TIMER": "P30D",
            "OUTPUT": '"ok"', "INPUT": "-"}
# Where a payload of each kind goes, and the element a deploy error must name.
PLACES = {"condition": ("CONDITION", "Flow_yes"), "expression": ("CONDITION", "Flow_yes"),
          "text": ("ASSIGNEE", "Task_handle"), "timeDate": ("TIMER", "Timer_1"), "timer": ("TIMER", "Timer_1"),
          "script": ("SCRIPT", "Task_script"), "dmn_output": ("OUTPUT", "Rule_1"),
          "unary_tests": ("INPUT", "Rule_1"), "dmn_input": ("CONDITION", "Flow_yes")}


def carrier(**payloads: str) -> list[tuple[str, bytes]]:
    """carrier.bpmn and carrier.dmn with the given placeholders filled (XML-escaped)."""
    values = {**DEFAULTS, **payloads}
    resources = []
    for name in ("carrier.bpmn", "carrier.dmn"):
        text = (HOSTILE / name).read_text(encoding="utf-8")
        for key, value in values.items():
            marker = f"@@{key}@@"
            if f'"{marker}"' in text:
                text = text.replace(f'"{marker}"', quoteattr(value))
            text = text.replace(marker, escape(value))
        resources.append((name, text.encode("utf-8")))
    return resources


def place(kind: str, text: str) -> tuple[list[tuple[str, bytes]], str, str]:
    """The carrier with ``text`` where a ``kind`` goes; also the file and element to be named."""
    slot, element = PLACES[kind]
    file = "carrier.dmn" if slot in ("OUTPUT", "INPUT") else "carrier.bpmn"
    return carrier(**{slot: text}), file, element
