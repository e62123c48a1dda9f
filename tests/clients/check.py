"""Drives godot-mcp with the official MCP Python SDK, a client we did not write.

Run by tests/e2e/clients.rs: argv[1] is the shim; CHECK_EXPECT holds the tool
names each selection must list (in order), CHECK_EDITOR_ENV the environment
that reaches a running editor, CHECK_EMPTY_DIR a folder with no editor and no
project. Prints one line per check and exits non-zero on any failure.
"""

import asyncio
import json
import os
import sys

from mcp import Client
from mcp.client.stdio import StdioServerParameters

SHIM = sys.argv[1]
EXPECT = json.loads(os.environ["CHECK_EXPECT"])
EDITOR_ENV = json.loads(os.environ["CHECK_EDITOR_ENV"])
EMPTY = os.environ["CHECK_EMPTY_DIR"]
SELECTIONS = {
    "default": {},
    "all": {"GODOT_MCP_TOOLSETS": "all"},
    "read-only": {"GODOT_MCP_TOOLSETS": "all", "GODOT_MCP_READ_ONLY": "1"},
}
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def one_json_text(result, what):
    """The answer's one text block as JSON; every answer has that shape."""
    check(result.structured_content is None, f"{what}: no structuredContent")
    blocks = [b.type for b in result.content]
    check(blocks == ["text"], f"{what}: one text block ({blocks})")
    return json.loads(result.content[0].text) if blocks == ["text"] else {}


def client(env, mode):
    params = StdioServerParameters(command=SHIM, env=env, cwd=EMPTY)
    return Client(params, mode=mode, read_timeout_seconds=60)


async def listing(mode):
    for name, extra in SELECTIONS.items():
        async with client({"GODOT_MCP_RUNTIME_DIR": EMPTY, **extra}, mode) as c:
            tools = (await c.list_tools()).tools
            names = [t.name for t in tools]
            check(names == EXPECT[name], f"{mode} {name}: {len(names)} tools in catalog order")
            for t in tools:
                a = t.annotations
                complete = (
                    a is not None
                    and bool(a.title)
                    and a.read_only_hint is not None
                    # Meaningful only for tools that change something (MCP spec).
                    and (
                        (a.destructive_hint, a.idempotent_hint) == (None, None)
                        if a.read_only_hint
                        else None not in (a.destructive_hint, a.idempotent_hint)
                    )
                    and a.open_world_hint is False
                )
                if not complete:
                    check(False, f"{mode} {name}: {t.name} annotations {a}")
                if name == "read-only" and not a.read_only_hint:
                    check(False, f"{mode} read-only lists {t.name}")
                if t.output_schema is not None:
                    check(False, f"{mode} {name}: {t.name} declares an outputSchema")
            if name == "read-only":
                r = await c.call_tool("add_node", {"type": "Node2D", "name": "A"})
                body = one_json_text(r, "read-only add_node")
                check(r.is_error and body.get("error", {}).get("code") == "INVALID_OPERATION",
                      f"{mode} read-only refuses add_node: {body}")


async def calls(mode):
    async with client({"GODOT_MCP_RUNTIME_DIR": EMPTY}, mode) as c:
        r = await c.call_tool("get_editor_state", {})
        body = one_json_text(r, f"{mode} without an editor")
        error = body.get("error", {})
        check(r.is_error and error.get("code") == "EDITOR_NOT_CONNECTED" and error.get("hint"),
              f"{mode} without an editor: a tool error with code and hint")
    async with client(EDITOR_ENV, mode) as c:
        r = await c.call_tool("get_editor_state", {})
        body = one_json_text(r, f"{mode} with an editor")
        check(not r.is_error and body.get("godot_version", "").startswith("4."),
              f"{mode} with an editor: get_editor_state answers ({body.get('godot_version')})")
        r = await c.call_tool("get_project_info", {})
        body = one_json_text(r, f"{mode} get_project_info")
        check(not r.is_error and body.get("name") and "scenes" in body,
              f"{mode} get_project_info answers: {str(body)[:200]}")


async def main():
    # `legacy` opens with initialize; `auto` probes server/discover first.
    for mode in ["legacy", "auto"]:
        await listing(mode)
        await calls(mode)
    print(f"{len(failures)} failed", flush=True)
    sys.exit(1 if failures else 0)


asyncio.run(main())
