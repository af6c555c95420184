//! `upjobpilot mcp --print-config`: the snippet an MCP client's configuration needs to start
//! this server, with this binary's absolute path and the config's.

use serde_json::{Value, json};
use std::path::Path;

/// The clients whose configuration is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Client {
    /// Claude Desktop (`claude_desktop_config.json`).
    Claude,
    /// Cursor (`~/.cursor/mcp.json` or a project's `.cursor/mcp.json`).
    Cursor,
    /// VS Code (a workspace's `.vscode/mcp.json`, or the user's `mcp.json`).
    Vscode,
}

/// The snippet for `client`, starting `binary --config config mcp`.
pub fn snippet(client: Client, binary: &Path, config: &Path) -> Value {
    let command = binary.display().to_string();
    let args = json!(["--config", config.display().to_string(), "mcp"]);
    match client {
        Client::Claude | Client::Cursor => json!({
            "mcpServers": { "upjobpilot": { "command": command, "args": args } }
        }),
        Client::Vscode => json!({
            "servers": { "upjobpilot": { "type": "stdio", "command": command, "args": args } }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_gets_its_own_shape_with_absolute_paths() {
        let binary = Path::new("/opt/bin/upjobpilot");
        let config = Path::new("/home/me/pipeline.toml");
        let claude = snippet(Client::Claude, binary, config);
        assert_eq!(
            claude["mcpServers"]["upjobpilot"]["command"],
            "/opt/bin/upjobpilot"
        );
        assert_eq!(
            claude["mcpServers"]["upjobpilot"]["args"],
            json!(["--config", "/home/me/pipeline.toml", "mcp"])
        );
        assert_eq!(snippet(Client::Cursor, binary, config), claude);
        let vscode = snippet(Client::Vscode, binary, config);
        assert_eq!(vscode["servers"]["upjobpilot"]["type"], "stdio");
    }
}
