"""The course's tests, one folder per layer of helpers and one file per module
(helpers/models/gated.py is tested in tests/models/test_gated.py); the library-wide promises sit here
at the top. A package, so that two layers may each have a test file of the same name."""
