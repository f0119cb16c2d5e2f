//! MCP calls: what a user would notice of each judgement (the risk, self-protection,
//! the sentence an approver reads), the canonical input, and that a hook and the
//! gateway, which know different things of the same server, agree.

use holdpoint_core::{
    Action, Analysis, AnalysisContext, Environment, McpCall, McpServer, McpServerInfo, NoFiles,
    Risk, Surface, analyse, mcp,
};
use serde_json::{Value, json};

fn ctx() -> AnalysisContext {
    let mut ctx = AnalysisContext::new("/home/dev/project");
    ctx.home = Some("/home/dev".to_owned());
    ctx.holdpoint_home = Some("/home/dev/.holdpoint".to_owned());
    ctx
}

fn server(name: &str, command: &[&str]) -> McpServer {
    McpServer {
        name: name.to_owned(),
        command: command.iter().map(|w| (*w).to_owned()).collect(),
        url: None,
        info: None,
        trusted: false,
    }
}

fn call(server: &McpServer, tool: &str, arguments: Value) -> McpCall {
    McpCall {
        server: server.clone(),
        method: "tools/call".to_owned(),
        name: tool.to_owned(),
        arguments,
        annotations: None,
    }
}

fn judged(call: &McpCall) -> Analysis {
    mcp::analyse(&call.to_input(), &ctx(), &NoFiles)
}

/// One call, the risk and self-protection expected, and words an effect must say.
fn check(call: &McpCall, risk: Risk, self_protection: bool, says: &str) {
    let analysis = judged(call);
    let summaries: Vec<&str> = analysis
        .effects
        .iter()
        .map(|e| e.summary.as_str())
        .collect();
    assert_eq!(analysis.risk(), risk, "{}: {summaries:?}", call.to_input());
    assert_eq!(
        analysis.self_protection(),
        self_protection,
        "{}: {summaries:?}",
        call.to_input()
    );
    assert!(
        summaries.iter().any(|s| s.contains(says)),
        "no effect says {says:?}: {summaries:?}"
    );
}

const FILESYSTEM: &[&str] = &[
    "npx",
    "-y",
    "@modelcontextprotocol/server-filesystem@2025.8.21",
    "/home/dev/project",
];

#[test]
fn reference_servers_are_judged_by_their_arguments() {
    let fs = server("fs", FILESYSTEM);
    check(
        &call(&fs, "read_text_file", json!({"path": "src/main.rs"})),
        Risk::Read,
        false,
        "`read_text_file` on the filesystem server reads `src/main.rs`",
    );
    check(
        &call(
            &fs,
            "write_file",
            json!({"path": "/etc/hosts", "content": ""}),
        ),
        Risk::Destroy,
        false,
        "overwrites `/etc/hosts` outside the workspace",
    );
    check(
        &call(
            &fs,
            "edit_file",
            json!({"path": "/etc/hosts", "edits": [], "dryRun": true}),
        ),
        Risk::Read,
        false,
        "reads `/etc/hosts`",
    );
    check(
        &call(
            &fs,
            "write_file",
            json!({"path": "~/.holdpoint/policies/open.cedar", "content": "permit(principal, action, resource);"}),
        ),
        Risk::Destroy,
        true,
        "which protects holdpoint; only a human may",
    );
    let git = server("repo", &["uvx", "mcp-server-git"]);
    check(
        &call(
            &git,
            "git_commit",
            json!({"repo_path": "/home/dev/project", "message": "x"}),
        ),
        Risk::Workspace,
        false,
        "commits in the workspace's repository",
    );
    check(
        &call(
            &git,
            "git_commit",
            json!({"repo_path": "/srv/app", "message": "x"}),
        ),
        Risk::Change,
        false,
        "outside the workspace",
    );
    // A revision that starts with `-` reaches git as an option (the argument injection
    // once found in the reference git server): `--output` writes where it says.
    check(
        &call(
            &git,
            "git_diff",
            json!({"repo_path": "/home/dev/project", "target": "--output=/home/dev/.claude/settings.json"}),
        ),
        Risk::Destroy,
        true,
        "passes `--output=/home/dev/.claude/settings.json` to git",
    );
    let fetch = server("web", &["uvx", "mcp-server-fetch"]);
    check(
        &call(&fetch, "fetch", json!({"url": "https://example.com/"})),
        Risk::Read,
        false,
        "fetches `https://example.com/`",
    );
    check(
        &call(
            &fetch,
            "fetch",
            json!({"url": "http://127.0.0.1:7800/api/v1/approvals/apr-7kq2mxtd/approve"}),
        ),
        Risk::Destroy,
        true,
        "a route of holdpoint's server that only a human may use",
    );
    let memory = server("kg", &["npx", "@modelcontextprotocol/server-memory"]);
    check(
        &call(&memory, "delete_relations", json!({"relations": []})),
        Risk::Destroy,
        false,
        "deletes relations from the knowledge graph",
    );
}

#[test]
fn sql_tools_are_judged_by_their_sql() {
    let pg = server(
        "readonly",
        &[
            "npx",
            "-y",
            "@modelcontextprotocol/server-postgres",
            "postgresql://db/app",
        ],
    );
    check(
        &call(&pg, "query", json!({"sql": "SELECT 1"})),
        Risk::Read,
        false,
        "only reads",
    );
    check(
        &call(&pg, "query", json!({"sql": "SELECT 1; DROP TABLE x"})),
        Risk::Destroy,
        false,
        "`query` on the PostgreSQL server: drops table `x`",
    );
    // SQLite's write tool says what it is for: at least a change, even for SQL that
    // would only read.
    let lite = server("notes", &["uvx", "mcp-server-sqlite", "--db-path", "x.db"]);
    check(
        &call(&lite, "write_query", json!({"query": "SELECT 1"})),
        Risk::Change,
        false,
        "runs statements that change the database",
    );
    // A configured name is no evidence: `readonly-db` runs what it is given.
    check(
        &call(
            &server("readonly-db", &[]),
            "execute_sql",
            json!({"sql": "DELETE FROM users"}),
        ),
        Risk::Destroy,
        false,
        "deletes every row of table `users`",
    );
}

#[test]
fn unknown_tools_are_at_least_a_change() {
    let any = server("tools", &[]);
    check(
        &call(&any, "list_widgets", json!({})),
        Risk::Change,
        false,
        "`list_widgets` on the MCP server `tools` is a tool holdpoint does not know, so it counts as a change",
    );
    check(
        &call(&any, "purge_cache", json!({})),
        Risk::Destroy,
        false,
        "names a destructive verb (`purge`)",
    );
    check(
        &call(&any, "tidy", json!({"mode": "wipe"})),
        Risk::Destroy,
        false,
        "names a destructive verb (`wipe`)",
    );
    check(
        &call(
            &any,
            "summarise",
            json!({"query": "what was deleted last week"}),
        ),
        Risk::Change,
        false,
        "so it counts as a change",
    );
    check(
        &call(&any, "report", json!({"statement": "TRUNCATE sessions"})),
        Risk::Destroy,
        false,
        "deletes every row of table `sessions`",
    );
    check(
        &call(&any, "exec", json!({"cmd": ["rm", "-r", "/srv/www"]})),
        Risk::Destroy,
        false,
        "`rm` deletes `/srv/www`",
    );
    check(
        &call(
            &any,
            "note",
            json!({"file_path": "/home/dev/project/.mcp.json"}),
        ),
        Risk::Destroy,
        true,
        "names `/home/dev/project/.mcp.json`, which protects holdpoint",
    );
}

#[test]
fn annotations_count_only_for_trusted_servers() {
    let mut untrusted = call(&server("crm", &[]), "list_accounts", json!({}));
    untrusted.annotations = Some(json!({"readOnlyHint": true}));
    check(
        &untrusted,
        Risk::Change,
        false,
        "its server says it only reads, but the server is not configured as trusted",
    );
    let mut trusted = untrusted.clone();
    trusted.server.trusted = true;
    check(
        &trusted,
        Risk::Read,
        false,
        "is declared read-only by its server",
    );
    // A hint that makes a tool riskier counts from any server.
    let mut destructive = call(&server("crm", &[]), "archive", json!({}));
    destructive.annotations = Some(json!({"destructiveHint": true}));
    check(
        &destructive,
        Risk::Destroy,
        false,
        "is declared destructive by its server",
    );
    // Trust covers the tool, not what its arguments name.
    trusted.arguments = json!({"path": "/home/dev/.holdpoint/keys/ledger.key"});
    check(
        &trusted,
        Risk::Destroy,
        true,
        "reads `/home/dev/.holdpoint/keys/ledger.key`",
    );
    // The catalogue outranks a trusted server's hints.
    let mut hinted = call(
        &server("fs", FILESYSTEM),
        "write_file",
        json!({"path": "/etc/motd", "content": ""}),
    );
    hinted.server.trusted = true;
    hinted.annotations = Some(json!({"readOnlyHint": true}));
    check(&hinted, Risk::Destroy, false, "overwrites `/etc/motd`");
}

#[test]
fn servers_are_recognised_by_what_they_are_not_what_they_are_called() {
    // Named like the time server, launched as something else: its tool is unknown.
    let impostor = server("time", &["node", "/home/dev/tools/evil.js"]);
    check(
        &call(&impostor, "wipe_clock", json!({})),
        Risk::Destroy,
        false,
        "`wipe_clock` on the MCP server `time` is a tool holdpoint does not know",
    );
    // Announced as the time server: that tool is read.
    let mut announced = server("x", &[]);
    announced.info = Some(McpServerInfo {
        name: "mcp-time".to_owned(),
        version: "1.0".to_owned(),
    });
    check(
        &call(&announced, "get_current_time", json!({"timezone": "UTC"})),
        Risk::Read,
        false,
        "`get_current_time` on the time server reads the time",
    );
    // Served from GitHub's host.
    let mut remote = server("gh", &[]);
    remote.url = Some("https://api.githubcopilot.com/mcp/".to_owned());
    check(
        &call(
            &remote,
            "delete_file",
            json!({"owner": "a", "repo": "b", "path": "x"}),
        ),
        Risk::Destroy,
        false,
        "`delete_file` on the GitHub server deletes from a repository",
    );
    // The hook path knows only a name and arguments: a known tool with an argument it
    // does not take is not that tool.
    check(
        &call(
            &server("time", &[]),
            "get_current_time",
            json!({"timezone": "UTC", "cmd": "rm -rf /srv"}),
        ),
        Risk::Destroy,
        false,
        "`rm` deletes `/srv`",
    );
}

#[test]
fn resources_and_prompts_are_reads_of_their_server() {
    let fs = server("fs", FILESYSTEM);
    let mut read = call(&fs, "file:///home/dev/%2Eholdpoint/store.db", Value::Null);
    read.method = "resources/read".to_owned();
    check(
        &read,
        Risk::Destroy,
        true,
        "reads `/home/dev/.holdpoint/store.db`",
    );
    read.name = "file:///home/dev/.aws/credentials".to_owned();
    let analysis = judged(&read);
    assert!(analysis.reads_secret(), "{:?}", analysis.effects);
    read.name = "postgres://db/users/schema".to_owned();
    check(
        &read,
        Risk::Read,
        false,
        "reads the resource `postgres://db/users/schema`",
    );
    let mut prompt = call(&fs, "review", json!({"code": "DROP TABLE x"}));
    prompt.method = "prompts/get".to_owned();
    check(
        &prompt,
        Risk::Read,
        false,
        "gets the prompt `review` from the filesystem server",
    );
}

#[test]
fn input_that_is_not_an_mcp_call_is_unanalysable() {
    for input in [
        "mcp__db__query {\"sql\":\"SELECT 1\"}",
        "{}",
        r#"{"server":{"name":"db"},"method":"tools/call","name":"query","arguments":"SELECT 1"}"#,
        r#"{"server":{"name":"db"},"method":"completion/complete","name":"x"}"#,
        r#"{"server":{"name":"db","trusted":true,"extra":1},"method":"tools/call","name":"x"}"#,
    ] {
        let analysis = mcp::analyse(input, &ctx(), &NoFiles);
        assert!(analysis.unanalysable.is_some(), "{input}");
        assert!(analysis.risk() >= Risk::Change, "{input}");
    }
}

#[test]
fn the_input_is_canonical_so_the_digest_is_the_same_however_the_call_was_written() {
    let one = McpCall::from_input(
        r#"{"method":"tools/call","name":"read_text_file","server":{"name":"fs"},"arguments":{"path":"src/main.rs","head":5}}"#,
    )
    .unwrap();
    let two = McpCall::from_input(
        "{ \"arguments\": {\"head\": 5, \"path\": \"src/main.rs\"},\n \"server\": {\"trusted\": false, \"name\": \"fs\", \"command\": []}, \"name\": \"read_text_file\", \"method\": \"tools/call\", \"annotations\": null }",
    )
    .unwrap();
    assert_eq!(one.to_input(), two.to_input());
    assert!(!one.to_input().contains('\n') && !one.to_input().contains(", "));
    let digest = |input: String| action(input).digest();
    assert_eq!(digest(one.to_input()), digest(two.to_input()));
    let mut changed = one.clone();
    changed.arguments = json!({"path": "src/main.rs", "head": 6});
    assert_ne!(digest(one.to_input()), digest(changed.to_input()));
    // The surface's entry point is this analyser.
    let action_analysis = analyse(&action(one.to_input()), &ctx(), &NoFiles);
    assert_eq!(action_analysis.risk(), Risk::Read);
}

fn action(input: String) -> Action {
    Action {
        surface: Surface::Mcp,
        input,
        cwd: "/home/dev/project".to_owned(),
        target: "mcp:fs@production".to_owned(),
        environment: Environment::Production,
        agent: "claude-code".to_owned(),
        session: None,
        executed_content: Vec::new(),
    }
}
