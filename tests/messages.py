"""The house style of a refusal (helpers/core/checks.py): its message starts by naming the argument a
reader got wrong. Shared by tests/core/test_checks.py, tests/test_bad_input.py and the module tests
that check a refusal's wording."""
import re


def names(parameter):
    """A `match` pattern: the message starts by naming `parameter`."""
    return r"^" + re.escape(parameter) + r"\b"
