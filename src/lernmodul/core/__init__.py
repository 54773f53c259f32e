"""The pure core: course model, Markdown compiler, grading and progress rules (no I/O)."""
