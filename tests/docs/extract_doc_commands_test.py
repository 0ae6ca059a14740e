#!/usr/bin/python3
"""Tests of extract_doc_commands.py: which blocks of a page run, which are
written as files, and which make the page fail."""

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import extract_doc_commands as extract  # noqa: E402


def render(page: str) -> str:
    return extract.to_script(extract.parse_blocks(textwrap.dedent(page), "p.md"), "p.md")


class ExtractDocCommandsTest(unittest.TestCase):
    def test_bash_blocks_run_in_order_and_files_are_written_before_later_blocks(self):
        script = render("""\
            Build it:
            ```bash
            echo one >>log
            ```
            ```python
            # file: demo/hello.py
            print("hello from the page")
            ```
            ```text
            echo never-run
            ```
            ```bash
            python3 demo/hello.py >>log
            ```
            """)
        with tempfile.TemporaryDirectory() as root:
            subprocess.run(["bash", "-c", script], cwd=root, check=True, capture_output=True)
            with open(os.path.join(root, "log")) as f:
                self.assertEqual(f.read(), "one\nhello from the page\n")
            with open(os.path.join(root, "demo", "hello.py")) as f:
                self.assertEqual(f.read(), '# file: demo/hello.py\nprint("hello from the page")\n')
        self.assertNotIn("never-run", script)

    def test_a_failing_command_fails_the_script_and_names_the_page_line(self):
        script = render("""\
            ```bash
            true
            ```

            ```bash
            false
            echo after
            ```
            """)
        with tempfile.TemporaryDirectory() as root:
            done = subprocess.run(["bash", "-c", script], cwd=root, capture_output=True, text=True)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("p.md:5 (bash)", done.stderr)
        self.assertNotIn("after", done.stdout)

    def test_untagged_or_unmarked_blocks_are_refused(self):
        for block in ("```\nls\n```", "```python\nprint(1)\n```", "```sh\nls\n```"):
            with self.subTest(block=block):
                with self.assertRaisesRegex(extract.PageError, r"p\.md:4: a ```"):
                    render("```bash\ntrue\n```\n" + block + "\n")

    def test_a_page_without_commands_is_refused(self):
        with self.assertRaisesRegex(extract.PageError, "no ```bash block"):
            render("```text\nonly output\n```\n")

    def test_file_names_stay_inside_the_copy(self):
        for name in ("/etc/passwd", "../outside.py"):
            with self.subTest(name=name):
                with self.assertRaisesRegex(extract.PageError, "inside the repository"):
                    render(f"```bash\ntrue\n```\n```python\n# file: {name}\nx = 1\n```\n")

    def test_an_unclosed_block_is_refused(self):
        with self.assertRaisesRegex(extract.PageError, "never closed"):
            render("```bash\ntrue\n")

    def test_longer_fences_hold_shorter_ones(self):
        script = render("````bash\necho '```'\n````\n")
        self.assertIn("echo '```'", script)


if __name__ == "__main__":
    unittest.main()
