"""altool's tests: one folder per stage of the package, end-to-end tests in e2e/."""
