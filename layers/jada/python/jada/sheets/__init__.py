"""The port sheet sync: Google token, Sheets read, error classification, row mirror (issue 5).

`sync.run_sync` is the domain entry point; `functions/sheet_sync/handler.py` wires it to AWS.
Importing this package is cheap: google-auth and googleapiclient load on first use.
"""
