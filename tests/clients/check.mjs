// Drives godot-mcp with the official MCP TypeScript SDK, a client we did not
// write, and compiles every input schema with Ajv in strict mode.
//
// Run by tests/e2e/clients.rs: argv[2] is the shim; CHECK_EXPECT holds the
// tool names each selection must list (in order), CHECK_EDITOR_ENV the
// environment that reaches a running editor, CHECK_EMPTY_DIR a folder with no
// editor and no project. Prints one line per check; exits 1 on any failure.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport, getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import Ajv from "ajv";

const shim = process.argv[2];
const expect = JSON.parse(process.env.CHECK_EXPECT);
const editorEnv = JSON.parse(process.env.CHECK_EDITOR_ENV);
const empty = process.env.CHECK_EMPTY_DIR;
const selections = {
  default: {},
  all: { GODOT_MCP_TOOLSETS: "all" },
  "read-only": { GODOT_MCP_TOOLSETS: "all", GODOT_MCP_READ_ONLY: "1" },
};
let failures = 0;

function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures++;
}

async function connect(env) {
  const transport = new StdioClientTransport({
    command: shim,
    env: { ...getDefaultEnvironment(), ...env },
    cwd: empty,
    stderr: "ignore",
  });
  const client = new Client({ name: "godot-mcp-ts-check", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

// The answer's one text block as JSON; every answer has that shape.
function oneJsonText(result, what) {
  check(result.structuredContent === undefined, `${what}: no structuredContent`);
  const blocks = result.content.map((b) => b.type);
  check(blocks.length === 1 && blocks[0] === "text", `${what}: one text block (${blocks})`);
  return blocks[0] === "text" ? JSON.parse(result.content[0].text) : {};
}

function sameNames(tools, expected) {
  return JSON.stringify(tools.map((t) => t.name)) === JSON.stringify(expected);
}

for (const [name, extra] of Object.entries(selections)) {
  const client = await connect({ GODOT_MCP_RUNTIME_DIR: empty, ...extra });
  const { tools } = await client.listTools();
  check(sameNames(tools, expect[name]), `${name}: ${tools.length} tools in catalog order`);
  const ajv = new Ajv({ strict: true, allErrors: true });
  let compiled = 0;
  for (const tool of tools) {
    try {
      ajv.compile(tool.inputSchema);
      compiled++;
    } catch (e) {
      check(false, `${name}: ${tool.name} schema does not compile strictly: ${e.message}`);
    }
    const a = tool.annotations ?? {};
    const complete =
      typeof a.title === "string" && a.title.length > 0 &&
      typeof a.readOnlyHint === "boolean" &&
      // Meaningful only for tools that change something (MCP spec).
      (a.readOnlyHint
        ? a.destructiveHint === undefined && a.idempotentHint === undefined
        : [a.destructiveHint, a.idempotentHint].every((h) => typeof h === "boolean")) &&
      a.openWorldHint === false;
    if (!complete) check(false, `${name}: ${tool.name} annotations ${JSON.stringify(a)}`);
    if (name === "read-only" && a.readOnlyHint !== true) check(false, `read-only lists ${tool.name}`);
    if (tool.outputSchema) check(false, `${name}: ${tool.name} declares an outputSchema`);
  }
  check(compiled === tools.length, `${name}: ${compiled} schemas compile with Ajv strict`);
  if (name === "default") {
    // Enabling a toolset announces a new tool list.
    let changed = false;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed = true;
    });
    const r = await client.callTool({ name: "toolsets", arguments: { enable: "docs" } });
    const body = oneJsonText(r, "toolsets");
    const docs = (body.toolsets ?? []).find((t) => t.name === "docs");
    check(docs?.enabled === true && docs.tools.includes("get_class_info"), "toolsets enables docs");
    for (let i = 0; i < 50 && !changed; i++) await new Promise((r) => setTimeout(r, 20));
    check(changed, "toolsets sends notifications/tools/list_changed");
    const after = (await client.listTools()).tools.map((t) => t.name);
    check(after.includes("get_class_info") && after.length > tools.length, "the new list has the docs tools");
  }
  if (name === "read-only") {
    const r = await client.callTool({ name: "add_node", arguments: { type: "Node2D", name: "A" } });
    const body = oneJsonText(r, "read-only add_node");
    check(r.isError === true && body.error?.code === "INVALID_OPERATION", `read-only refuses add_node: ${JSON.stringify(body)}`);
  }
  await client.close();
}

{
  const client = await connect({ GODOT_MCP_RUNTIME_DIR: empty });
  const r = await client.callTool({ name: "get_editor_state", arguments: {} });
  const body = oneJsonText(r, "without an editor");
  check(
    r.isError === true && body.error?.code === "EDITOR_NOT_CONNECTED" && !!body.error?.hint,
    "without an editor: a tool error with code and hint",
  );
  await client.close();
}
{
  const client = await connect(editorEnv);
  const r = await client.callTool({ name: "get_editor_state", arguments: {} });
  const body = oneJsonText(r, "with an editor");
  check(!r.isError && String(body.godot_version).startsWith("4."), `with an editor: get_editor_state answers (${body.godot_version})`);
  const info = oneJsonText(await client.callTool({ name: "get_project_info", arguments: {} }), "get_project_info");
  check(!!info.name && Array.isArray(info.scenes), `with an editor: get_project_info answers (${info.name})`);
  await client.close();
}

console.log(`${failures} failed`);
process.exit(failures ? 1 : 0);
