"""Kinds declared so playbooks validate; the cockpit reports them as not implemented yet."""
