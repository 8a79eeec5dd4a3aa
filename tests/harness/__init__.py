"""What the tests, the benches and the screenshots share: a running app, a class of students,
a real browser."""
