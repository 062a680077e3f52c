"""The GitHub API the sandbox serves, one module per resource.

- ``api``: what every REST handler shares (``Ctx``, ``identity``, auth / rate limit /
  ETag wrapping in ``as_endpoint``, ``paginate``); error bodies are ``sandbox.http``'s.
- ``meta`` (user, rate limit), ``repos`` (branches, commits, compare, contents, tags),
  ``refs`` (the Git database), ``issues`` (+ comments, milestones, search), ``pulls``
  (+ reviews), ``releases``, ``actions`` (workflows, runs, jobs), ``hooks``: handlers and
  their ``ROUTES``.
- ``routes``: the one table of all of them, served under ``/api/v3``.
- ``graphql``: the one GraphQL mutation REST cannot do, at ``/api/graphql``.

Importing the package imports none of them (the server imports ``routes``).
"""
