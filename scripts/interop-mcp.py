"""`upjobpilot mcp` under a client nobody here wrote: the official MCP Python SDK (`mcp`).

Starts the server over stdio against a demo database, initializes, lists tools and prompts,
calls every tool with good and bad arguments, validates every structured result against the
tool's declared output schema (jsonschema, as the SDK does), gets both prompts, and checks that
stdout carried nothing but JSON-RPC messages (the server's stdout is teed to a file).

    python scripts/interop-mcp.py UPJOBPILOT_BINARY DEMO_DIR [--transcript FILE]

Exits non-zero on the first failure. With --transcript, writes the calls and (shortened)
answers, for the README.
"""

import asyncio
import json
import os
import sys
import tempfile

import jsonschema
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

UPDATING = "the database is updating"


def fail(message):
    print("FAIL", message)
    sys.exit(1)


def short(value, limit=400):
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + " …"


async def main(binary, demo, transcript_path):
    config = os.path.join(demo, "pipeline.toml")
    tape = os.path.join(tempfile.mkdtemp(), "stdout.jsonl")
    # The server's stdout goes to the client and, through tee, to the tape checked at the end.
    params = StdioServerParameters(
        command="/bin/sh",
        args=["-c", 'exec "$0" --config "$1" mcp | tee "$2"', binary, config, tape],
        env={"PATH": os.environ.get("PATH", ""), "HOME": demo},
    )
    transcript = []

    def note(kind, name, args, answer):
        transcript.append(f"→ {kind} {name} {json.dumps(args, ensure_ascii=False)}")
        transcript.append(f"← {short(answer)}")

    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            if init.server_info.name != "upjobpilot":
                fail(f"server name {init.server_info.name}")
            note("initialize", "", {}, {"serverInfo": init.server_info.model_dump(), "instructions": init.instructions[:120]})
            tools = {t.name: t for t in (await session.list_tools()).tools}
            expected = {"search_postings", "get_posting", "label_posting", "profile",
                        "sync_status", "market_stats", "query"}
            if set(tools) != expected:
                fail(f"tools {sorted(tools)}")
            note("tools/list", "", {}, sorted(tools))
            for tool in tools.values():
                if not tool.output_schema or tool.output_schema.get("type") != "object":
                    fail(f"{tool.name} declares no object output schema")
                jsonschema.Draft202012Validator.check_schema(tool.output_schema)
            prompts = [p.name for p in (await session.list_prompts()).prompts]
            if prompts != ["draft_proposal", "weekly_report"]:
                fail(f"prompts {prompts}")
            note("prompts/list", "", {}, prompts)

            async def good(name, args):
                result = await session.call_tool(name, args)
                if result.is_error:
                    fail(f"{name} {args}: {result.content[0].text}")
                validator = jsonschema.Draft202012Validator(tools[name].output_schema)
                errors = sorted(validator.iter_errors(result.structured_content), key=str)
                if errors:
                    fail(f"{name}: the result does not match the output schema: {errors[0].message}")
                if json.loads(result.content[0].text) != result.structured_content:
                    fail(f"{name}: text and structured content differ")
                note("tools/call", name, args, result.structured_content)
                print("ok  ", name, short(args, 80))
                return result.structured_content

            async def bad(name, args, expected):
                result = await session.call_tool(name, args)
                text = result.content[0].text if result.content else ""
                if not result.is_error or expected not in text:
                    fail(f"{name} {args}: wanted a tool error with {expected!r}, got {text!r}")
                note("tools/call", name, args, {"isError": True, "text": text})
                print("ok  ", name, short(args, 80), "refused:", text[:70])

            listed = await good("search_postings", {"sort": "fit", "limit": 5})
            if not listed["postings"]:
                fail("the demo has postings")
            posting_id = listed["postings"][0]["id"]
            await good("search_postings", {"job_type": "hourly", "rate_min": 30, "verified": True,
                                           "limit": 3, "cursor": "0"})
            await good("get_posting", {"id": posting_id})
            await good("label_posting", {"id": posting_id, "label": "saved", "note": "looks good"})
            await good("profile", {})
            await good("sync_status", {})
            await good("market_stats", {"dimension": "skill", "period": "week", "top": 3})
            await good("query", {"sql": "SELECT job_type, count(*) AS postings FROM jobs GROUP BY ALL ORDER BY 2 DESC"})

            await bad("search_postings", {"limit": 500}, "`limit`")
            await bad("search_postings", {"sort": "random"}, "unknown variant")
            await bad("search_postings", {"nonsense": 1}, "unknown field")
            await bad("get_posting", {"id": "404404"}, "no posting 404404")
            await bad("label_posting", {"id": posting_id, "label": "favourite"}, "unknown label")
            await bad("profile", {"x": 1}, "unknown field")
            await bad("sync_status", {"x": 1}, "unknown field")
            await bad("market_stats", {"since": "last week"}, "`since`")
            await bad("query", {"sql": "SELECT * FROM read_text('/etc/passwd')"}, "")
            await bad("query", {"sql": "SELECT 1; DROP TABLE jobs"}, "only one SELECT")
            await bad("query", {"sql": "COPY jobs TO '/tmp/x.csv'"}, "only one SELECT")

            draft = await session.get_prompt("draft_proposal", {"id": posting_id})
            if len(draft.messages) != 2:
                fail("draft_proposal: an instruction and the data")
            data = json.loads(draft.messages[1].content.text)
            if data["posting"]["id"] != posting_id:
                fail("draft_proposal: the posting")
            note("prompts/get", "draft_proposal", {"id": posting_id},
                 {"instruction": draft.messages[0].content.text[:160], "data": list(data)})
            weekly = await session.get_prompt("weekly_report", {})
            data = json.loads(weekly.messages[1].content.text)
            note("prompts/get", "weekly_report", {}, {"data": list(data)})
            print("ok   prompts draft_proposal, weekly_report")

    with open(tape, encoding="utf-8") as lines:
        count = 0
        for line in lines:
            count += 1
            try:
                message = json.loads(line)
            except ValueError:
                fail(f"stdout carried a line that is not JSON: {line!r}")
            if message.get("jsonrpc") != "2.0":
                fail(f"stdout carried a line that is not JSON-RPC: {line!r}")
    print(f"ok   stdout carried {count} lines, every one a JSON-RPC message")
    if transcript_path:
        with open(transcript_path, "w", encoding="utf-8") as out:
            out.write("\n".join(transcript) + "\n")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        fail("usage: interop-mcp.py UPJOBPILOT_BINARY DEMO_DIR [--transcript FILE]")
    transcript_file = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--transcript" else None
    asyncio.run(main(sys.argv[1], sys.argv[2], transcript_file))
