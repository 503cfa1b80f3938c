"""Counts lines, words and characters of the request body; answers JSON."""
import json
import sys

text = sys.stdin.read()
json.dump({"lines": text.count("\n"), "words": len(text.split()), "chars": len(text)}, sys.stdout)
print("counted %d words" % len(text.split()), file=sys.stderr)
