"""The command line: parses options, calls the library, turns problems into messages and exit
codes. Nothing outside this package imports click."""
