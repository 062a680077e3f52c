"""CI health: GitHub Actions webhooks stored raw, then facts and alerts read from the store.

The same team whose release the cockpit drives built this beside their release tool: GitHub
shows too little about Actions (no queue time, no success rate over weeks, no alert when a
webhook never came). Layout: ``store`` (the interface and the URL parsing), ``schema`` (the
versioned migrations, one list per dialect), ``sqlite``/``postgres`` (the two stores),
``index`` (what a raw delivery says about a run or a job), ``facts`` (the SQL shared by both
stores), ``receiver`` (the webhook endpoint), ``sync`` (gap repair through the REST API),
``alerts`` (rules, firing, notifications).
"""
