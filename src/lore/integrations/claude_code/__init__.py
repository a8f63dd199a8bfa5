"""Claude Code: hook handling (``hook``), spooled capture (``spool``, ``drain``) and transcript
import (``transcripts``). ``steps`` turns a tool call into a step event for both."""
