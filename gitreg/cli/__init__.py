"""The `gitreg` command line: parse, one library call, render."""
