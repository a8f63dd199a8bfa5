"""Integrations with coding agents: Claude Code hooks and transcripts, MCP client setup, rules files.

Modules here that run inside an agent's hooks import only the standard library (see
``claude_code.hook``), so they start fast.
"""
