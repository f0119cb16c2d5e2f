//! `holdpoint install mcp` and `uninstall mcp`: the agents' MCP configuration files, in
//! each agent's documented shape, rewritten to go through the gateway and restored.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::setup::Setup;
use crate::{stderr, stdout};

const HOLDPOINT: &str = env!("CARGO_BIN_EXE_holdpoint");

fn json_file(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn toml_file(path: &Path) -> toml::Table {
    std::fs::read_to_string(path).unwrap().parse().unwrap()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Runs `holdpoint ARGS` and asserts it succeeded; its standard output and error.
fn ok(setup: &Setup, args: &[&str]) -> (String, String) {
    let output = setup.run(args, "");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        stderr(&output)
    );
    (stdout(&output), stderr(&output))
}

/// What an entry rewritten for server `name` launches: holdpoint by its absolute path,
/// then the gateway's arguments before the original command.
fn assert_wrapped(entry: &Value, name: &str, original: &[&str]) {
    assert_eq!(entry["command"], HOLDPOINT, "{entry}");
    let mut args = vec!["mcp", "--name", name, "--"];
    args.extend(original);
    assert_eq!(entry["args"], json!(args), "{entry}");
}

#[test]
fn a_claude_code_project_mcp_json_goes_through_holdpoint_and_comes_back() {
    let setup = Setup::new("mcp-install-project");
    let project = setup.work().to_str().unwrap().to_owned();
    let path = setup.work().join(".mcp.json");
    // Claude Code's documented shapes: stdio with env, `type`, an entry with no args,
    // a remote HTTP server and an SSE one, and a key Claude Code may add later.
    let original = json!({
        "mcpServers": {
            "files": {
                "command": "npx",
                "args": ["-y", "@modelcontextprotocol/server-filesystem", "/srv/app"],
                "env": {"DEBUG": "1"}
            },
            "db": {
                "type": "stdio",
                "command": "/usr/local/bin/postgres-mcp",
                "args": ["--access-mode=restricted"],
                "env": {"DATABASE_URI": "${DATABASE_URI}"},
                "futureField": {"kept": true}
            },
            "bare": {"command": "mcp-server-time"},
            "github": {
                "type": "http",
                "url": "https://api.githubcopilot.com/mcp/",
                "headers": {"Authorization": "Bearer ${GITHUB_TOKEN}"}
            },
            "events": {"type": "sse", "url": "https://example.com/sse"}
        },
        "comment": "kept"
    });
    let text = serde_json::to_string_pretty(&original).unwrap();
    write(&path, &text);

    let (out, err) = ok(
        &setup,
        &["install", "mcp", "claude-code", "--project", &project],
    );
    let installed = json_file(&path);
    let servers = &installed["mcpServers"];
    assert_wrapped(
        &servers["files"],
        "files",
        &[
            "npx",
            "-y",
            "@modelcontextprotocol/server-filesystem",
            "/srv/app",
        ],
    );
    assert_eq!(servers["files"]["env"], json!({"DEBUG": "1"}));
    assert_wrapped(
        &servers["db"],
        "db",
        &["/usr/local/bin/postgres-mcp", "--access-mode=restricted"],
    );
    assert_eq!(servers["db"]["type"], "stdio");
    assert_eq!(servers["db"]["futureField"], json!({"kept": true}));
    assert_eq!(servers["db"]["env"], original["mcpServers"]["db"]["env"]);
    assert_wrapped(&servers["bare"], "bare", &["mcp-server-time"]);
    // The remote server is reached through the gateway with the agent's credential; its
    // token, from a variable, is holdpoint's to send now.
    assert_eq!(
        servers["github"],
        json!({"type": "http", "url": "http://127.0.0.1:7900/mcp/github",
               "headers": {"Authorization": "Bearer ${HOLDPOINT_AGENT_TOKEN}"}})
    );
    let config = toml_file(&setup.home.join("holdpoint.toml"));
    let github = config["mcp"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"].as_str() == Some("github"))
        .unwrap();
    assert_eq!(
        github["url"].as_str(),
        Some("https://api.githubcopilot.com/mcp/")
    );
    assert_eq!(github["bearer"].as_str(), Some("env:GITHUB_TOKEN"));
    assert_eq!(servers["events"], original["mcpServers"]["events"]);
    assert_eq!(installed["comment"], "kept");
    for name in ["files", "db", "bare"] {
        assert!(
            out.contains(&format!("{name}: now goes through holdpoint mcp")),
            "{out}"
        );
    }
    assert!(
        out.contains(
            "github: now reached through holdpoint's gateway at http://127.0.0.1:7900/mcp/github"
        ),
        "{out}"
    );
    // One line on standard error for the server left as it is, naming it and why.
    let remote: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("remote server"))
        .collect();
    assert_eq!(remote.len(), 1, "{err}");
    assert!(
        remote[0].contains("events") && remote[0].contains("HTTP+SSE"),
        "{err}"
    );

    // Installing again changes nothing, not even the bytes.
    let once = std::fs::read_to_string(&path).unwrap();
    let (out, _) = ok(
        &setup,
        &["install", "mcp", "claude-code", "--project", &project],
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), once);
    assert!(
        out.contains("files: already goes through holdpoint mcp"),
        "{out}"
    );

    // Uninstall gives back exactly the servers there were, from the file alone.
    let (out, _) = ok(
        &setup,
        &["uninstall", "mcp", "claude-code", "--project", &project],
    );
    assert_eq!(json_file(&path), original);
    assert!(
        out.contains(
            "files: restored to `npx -y @modelcontextprotocol/server-filesystem /srv/app`"
        ),
        "{out}"
    );
    // ...and a second uninstall finds nothing of holdpoint's.
    let (out, _) = ok(
        &setup,
        &["uninstall", "mcp", "claude-code", "--project", &project],
    );
    assert_eq!(json_file(&path), original);
    assert!(
        out.contains("files: does not go through holdpoint"),
        "{out}"
    );
}

#[test]
fn every_agents_user_configuration_round_trips() {
    let setup = Setup::new("mcp-install-agents");
    let home = &setup.user_home;
    // Claude Code's ~/.claude.json: the user's servers and each project's (local scope),
    // among the many other keys Claude Code keeps there.
    let claude = json!({
        "numStartups": 42,
        "mcpServers": {"memory": {"type": "stdio", "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-memory"], "env": {}}},
        "projects": {
            "/home/me/app": {
                "allowedTools": [],
                "mcpServers": {
                    "git": {"type": "stdio", "command": "uvx", "args": ["mcp-server-git"]},
                    "docs": {"type": "http", "url": "https://mcp.example.com/mcp"}
                }
            },
            "/home/me/other": {"allowedTools": ["Bash(ls)"]}
        }
    });
    // Cursor's mcp.json: stdio with env and envFile, and a remote server.
    let cursor = json!({"mcpServers": {
        "shell": {"command": "node", "args": ["/opt/shell-mcp/index.js"],
                  "env": {"SHELL_MODE": "safe"}, "envFile": ".env"},
        "linear": {"url": "https://mcp.linear.app/sse"}
    }});
    // Gemini CLI's settings.json: cwd, timeout, trust, tool filters; httpUrl is remote.
    let gemini = json!({
        "theme": "Dracula",
        "mcp": {"allowed": ["py"]},
        "mcpServers": {
            "py": {"command": "python", "args": ["-m", "my_server"], "cwd": "./srv",
                   "env": {"API_KEY": "$MY_TOKEN"}, "timeout": 30000, "trust": false,
                   "includeTools": ["a"], "excludeTools": ["b"]},
            "hosted": {"httpUrl": "https://mcp.context7.com/mcp", "headers": {"X": "y"}}
        }
    });
    let codex = r#"model = "gpt-5-codex"
approval_policy = "on-request"

[mcp_servers.docs]
command = "npx"
args = ["-y", "mcp-server"]
startup_timeout_sec = 20
tool_timeout_sec = 60
enabled = true

[mcp_servers.docs.env]
API_KEY = "value"

[mcp_servers.time]
command = "mcp-server-time"

[mcp_servers.figma]
url = "https://mcp.figma.com/mcp"
bearer_token_env_var = "FIGMA_TOKEN"

[mcp_servers.legacy]
url = "https://legacy.example.com/mcp"
bearer_token = "legacy-token-123"

[profiles.fast]
model = "gpt-5-mini"
"#;
    let files = [
        ("claude-code", home.join(".claude.json")),
        ("cursor", home.join(".cursor/mcp.json")),
        ("gemini", home.join(".gemini/settings.json")),
    ];
    for ((_, path), value) in files.iter().zip([&claude, &cursor, &gemini]) {
        write(path, &serde_json::to_string_pretty(value).unwrap());
    }
    let codex_path = home.join(".codex/config.toml");
    write(&codex_path, codex);
    let codex_value: toml::Table = codex.parse().unwrap();

    for (agent, path) in &files {
        ok(&setup, &["install", "mcp", agent]);
        let once = std::fs::read_to_string(path).unwrap();
        ok(&setup, &["install", "mcp", agent]);
        assert_eq!(std::fs::read_to_string(path).unwrap(), once, "{agent}");
    }
    let (out, err) = ok(&setup, &["install", "mcp", "codex"]);
    assert!(out.contains("comments and layout"), "{out}");
    assert!(
        out.contains("figma: now reached through holdpoint's gateway"),
        "{out}"
    );
    assert!(!err.contains("figma"), "{err}");

    let installed = json_file(&files[0].1);
    assert_wrapped(
        &installed["mcpServers"]["memory"],
        "memory",
        &["npx", "-y", "@modelcontextprotocol/server-memory"],
    );
    let app = &installed["projects"]["/home/me/app"];
    assert_wrapped(&app["mcpServers"]["git"], "git", &["uvx", "mcp-server-git"]);
    assert_eq!(
        app["mcpServers"]["docs"],
        json!({"type": "http", "url": "http://127.0.0.1:7900/mcp/docs",
               "headers": {"Authorization": "Bearer ${HOLDPOINT_AGENT_TOKEN}"}})
    );
    assert_eq!(installed["numStartups"], 42);
    assert_eq!(
        installed["projects"]["/home/me/other"],
        claude["projects"]["/home/me/other"]
    );

    let installed = json_file(&files[1].1);
    assert_wrapped(
        &installed["mcpServers"]["shell"],
        "shell",
        &["node", "/opt/shell-mcp/index.js"],
    );
    assert_eq!(installed["mcpServers"]["shell"]["envFile"], ".env");
    // An address ending in /sse is the older transport's: left as it is.
    assert_eq!(
        installed["mcpServers"]["linear"],
        cursor["mcpServers"]["linear"]
    );

    let installed = json_file(&files[2].1);
    let py = &installed["mcpServers"]["py"];
    assert_wrapped(py, "py", &["python", "-m", "my_server"]);
    for field in [
        "cwd",
        "env",
        "timeout",
        "trust",
        "includeTools",
        "excludeTools",
    ] {
        assert_eq!(py[field], gemini["mcpServers"]["py"][field], "{field}");
    }
    // Gemini CLI's variables are `$NAME`; the header written out is kept by holdpoint.
    assert_eq!(
        installed["mcpServers"]["hosted"],
        json!({"httpUrl": "http://127.0.0.1:7900/mcp/hosted",
               "headers": {"Authorization": "Bearer ${HOLDPOINT_AGENT_TOKEN}"}})
    );
    assert_eq!(
        std::fs::read_to_string(setup.home.join("credentials/mcp-hosted.header-x")).unwrap(),
        "y\n"
    );
    assert_eq!(installed["theme"], "Dracula");

    let installed = toml_file(&codex_path);
    let docs = installed["mcp_servers"]["docs"].as_table().unwrap();
    assert_eq!(docs["command"].as_str(), Some(HOLDPOINT));
    let args: Vec<&str> = docs["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        args,
        ["mcp", "--name", "docs", "--", "npx", "-y", "mcp-server"]
    );
    assert_eq!(docs["startup_timeout_sec"].as_integer(), Some(20));
    assert_eq!(docs["env"]["API_KEY"].as_str(), Some("value"));
    let figma = installed["mcp_servers"]["figma"].as_table().unwrap();
    assert_eq!(
        figma["url"].as_str(),
        Some("http://127.0.0.1:7900/mcp/figma")
    );
    assert_eq!(
        figma["bearer_token_env_var"].as_str(),
        Some("HOLDPOINT_AGENT_TOKEN")
    );
    assert_eq!(installed["profiles"], codex_value["profiles"]);
    // A token written out (as earlier Codex releases took it) leaves the agent's file.
    assert!(
        !std::fs::read_to_string(&codex_path)
            .unwrap()
            .contains("legacy-token-123")
    );
    assert_eq!(
        std::fs::read_to_string(setup.home.join("credentials/mcp-legacy.bearer")).unwrap(),
        "legacy-token-123\n"
    );
    let once = std::fs::read_to_string(&codex_path).unwrap();
    ok(&setup, &["install", "mcp", "codex"]);
    assert_eq!(std::fs::read_to_string(&codex_path).unwrap(), once);

    for (agent, _) in &files {
        ok(&setup, &["uninstall", "mcp", agent]);
    }
    ok(&setup, &["uninstall", "mcp", "codex"]);
    assert_eq!(json_file(&files[0].1), claude);
    assert_eq!(json_file(&files[1].1), cursor);
    assert_eq!(json_file(&files[2].1), gemini);
    // It comes back as Codex takes a written-out header today.
    let mut restored = toml_file(&codex_path);
    let servers = restored["mcp_servers"].as_table_mut().unwrap();
    let legacy = servers.remove("legacy").unwrap();
    assert_eq!(
        legacy["http_headers"]["Authorization"].as_str(),
        Some("Bearer legacy-token-123")
    );
    let mut expected = codex_value.clone();
    expected["mcp_servers"]
        .as_table_mut()
        .unwrap()
        .remove("legacy");
    assert_eq!(restored, expected);
}

#[test]
fn a_configuration_that_does_not_parse_is_left_alone() {
    let setup = Setup::new("mcp-install-broken");
    let project = setup.work().to_str().unwrap().to_owned();
    let broken_json = "{\"mcpServers\": {\"files\": {\"command\": \"npx\",}}}";
    let path = setup.work().join(".mcp.json");
    write(&path, broken_json);
    let output = setup.run(
        &["install", "mcp", "claude-code", "--project", &project],
        "",
    );
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("is not valid JSON"), "{err}");
    assert!(err.contains("fix it by hand"), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken_json);

    let broken_toml = "[mcp_servers.docs]\ncommand = \"npx\nargs = []\n";
    let path = setup.user_home.join(".codex/config.toml");
    write(&path, broken_toml);
    let output = setup.run(&["install", "mcp", "codex"], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is not valid TOML"),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken_toml);

    // A server table of the wrong kind is refused the same way.
    let odd = "{\"mcpServers\": [\"files\"]}";
    let path = setup.user_home.join(".cursor/mcp.json");
    write(&path, odd);
    let output = setup.run(&["uninstall", "mcp", "cursor"], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`mcpServers`"),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), odd);

    // A gateway address or a credential variable that cannot be one is refused before
    // any file is read.
    for (option, value, said) in [
        (
            "--gateway",
            "127.0.0.1:7900",
            "not an http:// or https:// address",
        ),
        (
            "--credential-env",
            "HOLDPOINT-TOKEN",
            "not an environment variable's name",
        ),
    ] {
        let output = setup.run(&["install", "mcp", "cursor", option, value], "");
        assert_eq!(output.status.code(), Some(2), "{option}");
        assert!(stderr(&output).contains(said), "{}", stderr(&output));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), odd);
    }
}

#[test]
fn installing_hooks_still_takes_the_agent_first() {
    // `mcp` before the agent is a subcommand; the agent alone is still the hooks.
    let setup = Setup::new("mcp-install-shape");
    let (out, _) = ok(&setup, &["install", "claude-code"]);
    assert!(out.contains("holdpoint's hooks for claude-code"), "{out}");
    assert!(setup.user_home.join(".claude/settings.json").exists());
    let output = setup.run(&["install", "mcp", "--help"], "");
    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    for file in [
        "~/.claude.json",
        ".mcp.json",
        "~/.cursor/mcp.json",
        "~/.gemini/settings.json",
        "~/.codex/config.toml",
    ] {
        assert!(help.contains(file), "{file}: {help}");
    }
    let (out, _) = ok(&setup, &["install", "mcp", "gemini"]);
    assert!(out.contains("does not exist"), "{out}");
}

#[test]
fn a_rewritten_entry_starts_the_gateway_in_front_of_the_server() {
    let setup = Setup::new("mcp-install-run");
    let project = setup.work().to_str().unwrap().to_owned();
    let server = crate::mcp_gateway::filesystem_server();
    let path = setup.work().join(".mcp.json");
    write(
        &path,
        &json!({"mcpServers": {"files": {
            "command": "node", "args": [server.to_str().unwrap(), &project]
        }}})
        .to_string(),
    );
    ok(
        &setup,
        &["install", "mcp", "claude-code", "--project", &project],
    );
    let entry = &json_file(&path)["mcpServers"]["files"];

    // As the agent runs it: the program and its arguments, no shell.
    let args: Vec<&str> = entry["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let mut command = Command::new(entry["command"].as_str().unwrap());
    command.args(&args);
    setup.environment(&mut command);
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "install-test", "version": "1"}
    }});
    writeln!(input, "{initialize}").unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    drop(input);
    let status = child.wait().unwrap();
    let answer: Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}, status {status}"));
    assert_eq!(answer["id"], 1, "{answer}");
    assert_eq!(
        answer["result"]["serverInfo"]["name"], "secure-filesystem-server",
        "{answer}"
    );
    assert_eq!(
        status.code(),
        Some(0),
        "the session ends cleanly when the agent closes it"
    );
}

#[test]
fn a_remote_server_uses_holdpoints_entry_for_its_address_and_never_takes_anothers_name() {
    let setup = Setup::new("mcp-install-names");
    let project = setup.work().to_str().unwrap().to_owned();
    // holdpoint.toml already serves `docs` at the same address, and `tickets` elsewhere.
    let config = setup.home.join("holdpoint.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(
        "\n[[mcp]]\nname = \"docs\"\nurl = \"https://docs.example.com/mcp\"\nbearer = \"env:DOCS_TOKEN\"\n\
         \n[[mcp]]\nname = \"tickets\"\nurl = \"https://tickets.internal/mcp\"\n",
    );
    std::fs::write(&config, &text).unwrap();
    let path = setup.work().join(".cursor/mcp.json");
    let original = json!({"mcpServers": {
        "docs": {"url": "https://docs.example.com/mcp",
                 "headers": {"Authorization": "Bearer ${env:MY_DOCS_TOKEN}"}},
        "tickets": {"url": "https://tickets.example.com/mcp"}
    }});
    write(&path, &serde_json::to_string_pretty(&original).unwrap());
    let (out, err) = ok(&setup, &["install", "mcp", "cursor", "--project", &project]);
    assert!(
        out.contains("docs: now reached through holdpoint's gateway at http://127.0.0.1:7900/mcp/docs, as the [[mcp]] entry holdpoint.toml already had"),
        "{out}"
    );
    assert!(
        err.contains("tickets") && err.contains("already gives another server"),
        "{err}"
    );
    // holdpoint.toml is as it was: nothing appended, nothing replaced.
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
    let installed = json_file(&path);
    assert_eq!(
        installed["mcpServers"]["docs"],
        json!({"url": "http://127.0.0.1:7900/mcp/docs",
               "headers": {"Authorization": "Bearer ${env:HOLDPOINT_AGENT_TOKEN}"}})
    );
    assert_eq!(
        installed["mcpServers"]["tickets"],
        original["mcpServers"]["tickets"]
    );
    // Uninstalling gives `docs` what holdpoint's entry holds, in Cursor's syntax.
    ok(
        &setup,
        &["uninstall", "mcp", "cursor", "--project", &project],
    );
    assert_eq!(
        json_file(&path)["mcpServers"]["docs"],
        json!({"url": "https://docs.example.com/mcp",
               "headers": {"Authorization": "Bearer ${env:DOCS_TOKEN}"}})
    );
}

/// Where hooks ask holdpoint's server (`[server] url`, the system layout), this home
/// is a client's, readable by the agent's own user, and the gateway is the server's: a
/// remote server's credential moved here would still be the agent's to read, and the
/// gateway would not know the server. It is left as it is, saying what to do; stdio
/// servers still go through holdpoint.
#[test]
fn a_clients_home_never_receives_a_remote_servers_credentials() {
    let setup = Setup::new("mcp-install-client");
    setup.use_server("hpa.not-used-here");
    let config = setup.home.join("holdpoint.toml");
    let before = std::fs::read_to_string(&config).unwrap();
    let project = setup.work().to_str().unwrap().to_owned();
    let path = setup.work().join(".mcp.json");
    let original = json!({"mcpServers": {
        "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/srv/app"]},
        "tickets": {"type": "http", "url": "https://tickets.example.com/mcp",
                    "headers": {"Authorization": "Bearer tickets-secret-42"}}
    }});
    write(&path, &serde_json::to_string_pretty(&original).unwrap());
    let (out, err) = ok(
        &setup,
        &["install", "mcp", "claude-code", "--project", &project],
    );
    assert!(
        err.contains("tickets in")
            && err.contains("a client's home (`[server] url`)")
            && err.contains("have holdpoint's administrator add it to the server's holdpoint.toml"),
        "{err}"
    );
    assert!(
        out.contains("files: now goes through holdpoint mcp"),
        "{out}"
    );
    let installed = json_file(&path);
    assert_eq!(
        installed["mcpServers"]["tickets"],
        original["mcpServers"]["tickets"]
    );
    // Nothing of the server's reached this home.
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
    assert!(!setup.home.join("credentials").exists());
}
