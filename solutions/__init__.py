"""Reference solutions (hidden from student code while grading)."""
