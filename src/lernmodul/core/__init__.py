"""The pure core: course model, Markdown compiler, grading and progress rules (no I/O).

Internal to lernmodul: library users import the public names from `lernmodul` (docs/api);
the modules here may change between releases."""
