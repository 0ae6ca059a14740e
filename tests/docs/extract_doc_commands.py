#!/usr/bin/python3
"""Turns one documentation page into the bash script that runs it as written.

The client pages in docs/clients/*.md are executed in CI (issue #16: "each
page's commands run in CI exactly as written"). The page convention:

  * a fenced block tagged ``bash`` is run, in document order, by one bash
    process (so a `cd` or an `export` carries over, as in a reader's terminal);
  * a fenced block in any other language whose first line is ``# file: NAME``
    or ``// file: NAME`` is written to NAME, relative to the root of the copy
    of the repository the page runs in, at that point of the page;
  * blocks tagged text, console, json or textproto are shown, not run;
  * any other block is an error: an example nobody runs goes stale unseen.

Usage: extract_doc_commands.py PAGE.md OUT_SCRIPT
The script starts with `set -euo pipefail` and echoes where each block of the
page starts, so a failure names the page line.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from typing import List

DISPLAY_ONLY = {"text", "console", "json", "textproto"}
FILE_LINE = re.compile(r"^\s*(?:#|//)\s*file:\s*(\S+)\s*$")
FENCE_OPEN = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^`\s]*)[^`]*$")


@dataclass
class Block:
    line: int  # 1-based line of the opening fence
    info: str
    body: List[str]


class PageError(Exception):
    pass


def parse_blocks(text: str, page: str) -> List[Block]:
    """Every fenced code block of a CommonMark page, in order."""
    blocks: List[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opened = FENCE_OPEN.match(lines[i])
        if not opened:
            i += 1
            continue
        indent, fence, info = opened.group(1), opened.group(2), opened.group(3)
        start = i + 1
        body: List[str] = []
        i += 1
        while i < len(lines):
            closing = lines[i].strip()
            if closing.startswith(fence[0] * len(fence)) and set(closing) == {fence[0]}:
                break
            # CommonMark strips up to the fence's own indentation from content.
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        else:
            raise PageError(f"{page}:{start}: code block never closed")
        blocks.append(Block(start, info.lower(), body))
        i += 1
    return blocks


def to_script(blocks: List[Block], page: str) -> str:
    out = ["#!/usr/bin/env bash", f"# Generated from {page} by extract_doc_commands.py.",
           "set -euo pipefail", 'doc_root="$PWD"']
    commands = 0
    for block in blocks:
        where = f"{page}:{block.line}"
        target = FILE_LINE.match(block.body[0]) if block.body else None
        if block.info == "bash":
            commands += 1
            out.append(f"echo {shlex.quote('--- ' + where + ' (bash)')} >&2")
            out.extend(block.body)
        elif target and block.info not in DISPLAY_ONLY:
            name = target.group(1)
            if name.startswith("/") or ".." in name.split("/"):
                raise PageError(f"{where}: file name must stay inside the repository: {name}")
            marker = "BRAZESYNC_DOC_FILE_END"
            if any(marker in line for line in block.body):
                raise PageError(f"{where}: block contains {marker}")
            path = '"$doc_root"/' + shlex.quote(name)
            out.append(f"echo {shlex.quote('--- ' + where + ' (file ' + name + ')')} >&2")
            out.append(f'mkdir -p "$(dirname {path})"')
            out.append(f"cat >{path} <<'{marker}'")
            out.extend(block.body)
            out.append(marker)
        elif block.info in DISPLAY_ONLY:
            continue
        else:
            raise PageError(
                f"{where}: a ```{block.info or '(untagged)'} block is neither run (```bash, or "
                "a first line '# file: NAME' / '// file: NAME') nor display only "
                f"({', '.join(sorted(DISPLAY_ONLY))})")
    if commands == 0:
        raise PageError(f"{page}: no ```bash block: nothing of the page would be checked")
    out.append("echo " + shlex.quote(f"--- {page}: every command ran") + " >&2")
    return "\n".join(out) + "\n"


def main(argv: List[str]) -> int:
    if len(argv) != 3:
        print("usage: extract_doc_commands.py PAGE.md OUT_SCRIPT", file=sys.stderr)
        return 2
    page, script = argv[1], argv[2]
    try:
        with open(page, encoding="utf-8") as f:
            text = f.read()
        rendered = to_script(parse_blocks(text, page), page)
    except (OSError, PageError) as error:
        print(f"extract_doc_commands: {error}", file=sys.stderr)
        return 1
    with open(script, "w", encoding="utf-8") as f:
        f.write(rendered)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
