#!/usr/bin/env python3
"""Lists functions in src/ longer than a limit (default 120 lines), by brace matching."""
import re, sys, pathlib
limit = int(sys.argv[1]) if len(sys.argv) > 1 else 120
root = pathlib.Path(__file__).resolve().parent.parent / "src"
fn_re = re.compile(r'^\s*(pub(\([^)]*\))?\s+)?(async\s+)?(const\s+)?(unsafe\s+)?fn\s+(\w+)')
found = 0
for path in sorted(root.rglob("*.rs")):
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        m = fn_re.match(lines[i])
        if m:
            depth, started, j = 0, False, i
            while j < len(lines):
                # Strings first: a "//" inside one (an s3:// URI) is no comment.
                code = re.sub(r'"(\\.|[^"\\])*"', '""', lines[j]).split("//")[0]
                code = re.sub(r"'(\\.|[^'\\])'", "''", code)
                if not started and ";" in code and "{" not in code:
                    break
                depth += code.count("{") - code.count("}")
                if "{" in code:
                    started = True
                if started and depth <= 0:
                    break
                j += 1
            n = j - i + 1
            if started and n > limit:
                found += 1
                print(f"{n:5} {path.relative_to(root.parent)}:{i+1} {m.group(6)}")
        i += 1
sys.exit(1 if found else 0)
