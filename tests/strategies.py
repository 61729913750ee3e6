"""The Hypothesis strategies shared by every test module.

Sections: payloads built from the contract (valid and corrupted), arbitrary
JSON values; signing and headers; AWS Lambda request events.
"""
