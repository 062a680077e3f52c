"""The GitHub REST API subset the sandbox serves, one module per resource."""
