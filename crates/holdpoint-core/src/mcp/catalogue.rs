//! What holdpoint knows of MCP servers, as data: how each server is recognised (the
//! package or image that launches it, the host it is served from, the name it announces)
//! and what each of its tools does with its arguments.
//!
//! A tool's names may be globs (`get_*`). Its argument list says which arguments it
//! takes, required ones marked `!`: on the hook path, where only the tool's name and
//! arguments are known, a tool is recognised when its name matches, its required
//! arguments are there and (for a tool named exactly) it has no argument the list does
//! not name.

use crate::effect::{ObjectKind, Risk};
use crate::sql::Dialect;

use Risk::{Change, Destroy, Read};

/// An MCP server holdpoint knows.
pub(super) struct Server {
    /// How an effect names it: "the filesystem server".
    pub title: &'static str,
    /// Packages (npm, PyPI, also as a module or a binary) and container images that run
    /// it, without a version.
    pub launch: &'static [&'static str],
    /// Hosts it is served from over HTTP.
    pub hosts: &'static [&'static str],
    /// The names it announces in `serverInfo`.
    pub announces: &'static [&'static str],
    /// The SQL its database tools take, where it has any; `None` for a server that may
    /// stand before more than one kind of database.
    pub dialect: Option<Dialect>,
    pub tools: &'static [Tool],
}

/// One tool (or a family of tools named by a glob) and what it does.
pub(super) struct Tool {
    pub names: &'static [&'static str],
    /// The arguments it takes; `!` marks the required ones, `*` stands for others.
    pub args: &'static [&'static str],
    pub does: Does,
    /// An argument that, when `true`, makes it only show what it would do.
    pub dry_run: Option<&'static str>,
}

/// What a tool does with its arguments.
#[derive(Clone, Copy, Debug)]
pub(super) enum Does {
    /// Always the same: a risk, the kind of thing it acts on, and what it does, as a
    /// verb phrase ("reads issues and pull requests").
    Fixed(Risk, ObjectKind, &'static str),
    /// Shows credentials (an environment, a kubeconfig).
    Secret(&'static str),
    /// A file operation (`read`, `list`, `write`, `edit`, `delete`, as the file surface
    /// knows them) on each path these arguments name.
    Files(&'static str, &'static [&'static str]),
    /// A git operation on the repository at `repo_path`: `Read`, or a write that is
    /// workspace work in the agent's workspace and a change elsewhere. The arguments
    /// listed hold revisions or branch names, which git would take as options if they
    /// started with `-`.
    Git(Risk, &'static str, &'static [&'static str]),
    /// Runs the SQL in one of these arguments, as at least this risk.
    Sql(&'static [&'static str], Risk),
    /// Runs the command line in one of these arguments (a string, or an array of words)
    /// on the machine the server runs on.
    Shell(&'static [&'static str]),
    /// Runs the command in one of these arguments inside a container of the cluster.
    Remote(&'static [&'static str]),
    /// Fetches the URL in one of these arguments.
    Url(&'static [&'static str]),
    /// Reads cluster resources; the resource kind in these arguments may be secrets.
    KubeRead(&'static [&'static str], &'static str),
}

const fn tool(names: &'static [&'static str], args: &'static [&'static str], does: Does) -> Tool {
    Tool {
        names,
        args,
        does,
        dry_run: None,
    }
}

const fn dry(
    names: &'static [&'static str],
    args: &'static [&'static str],
    does: Does,
    flag: &'static str,
) -> Tool {
    Tool {
        names,
        args,
        does,
        dry_run: Some(flag),
    }
}

use Does::{Files, Fixed, Git, KubeRead, Remote, Secret, Shell, Sql, Url};
use ObjectKind as K;

/// The servers holdpoint knows, most specific first: a tool recognised by its name and
/// arguments alone is looked up in this order.
pub(super) const SERVERS: &[Server] = &[
    Server {
        title: "the filesystem server",
        launch: &["@modelcontextprotocol/server-filesystem", "mcp/filesystem"],
        hosts: &[],
        announces: &["secure-filesystem-server"],
        dialect: None,
        tools: &[
            tool(
                &["read_file", "read_text_file"],
                &["!path", "head", "tail"],
                Files("read", &["path"]),
            ),
            tool(&["read_media_file"], &["!path"], Files("read", &["path"])),
            tool(
                &["read_multiple_files"],
                &["!paths"],
                Files("read", &["paths"]),
            ),
            tool(
                &["list_directory", "list_directory_with_sizes"],
                &["!path", "sortBy"],
                Files("list", &["path"]),
            ),
            tool(
                &["directory_tree"],
                &["!path", "excludePatterns"],
                Files("list", &["path"]),
            ),
            tool(
                &["search_files"],
                &["!path", "!pattern", "excludePatterns"],
                Files("list", &["path"]),
            ),
            tool(&["get_file_info"], &["!path"], Files("list", &["path"])),
            tool(
                &["list_allowed_directories"],
                &[],
                Fixed(Read, K::File, "lists the directories it may reach"),
            ),
            tool(
                &["write_file"],
                &["!path", "!content"],
                Files("write", &["path"]),
            ),
            dry(
                &["edit_file"],
                &["!path", "!edits", "dryRun"],
                Files("edit", &["path"]),
                "dryRun",
            ),
            tool(&["create_directory"], &["!path"], Files("edit", &["path"])),
            tool(
                &["move_file"],
                &["!source", "!destination"],
                Files("edit", &["source", "destination"]),
            ),
        ],
    },
    Server {
        title: "the git server",
        launch: &["mcp-server-git", "mcp/git"],
        hosts: &[],
        announces: &["mcp-git"],
        dialect: None,
        tools: &[
            tool(&["git_status"], &["!repo_path"], Git(Read, "status", &[])),
            tool(
                &["git_diff_unstaged", "git_diff_staged"],
                &["!repo_path", "context_lines"],
                Git(Read, "diff", &[]),
            ),
            tool(
                &["git_diff"],
                &["!repo_path", "!target", "context_lines"],
                Git(Read, "diff", &["target"]),
            ),
            tool(
                &["git_log"],
                &[
                    "!repo_path",
                    "max_count",
                    "start_timestamp",
                    "end_timestamp",
                ],
                Git(Read, "log", &[]),
            ),
            tool(
                &["git_show"],
                &["!repo_path", "!revision"],
                Git(Read, "show", &["revision"]),
            ),
            tool(
                &["git_branch"],
                &["!repo_path", "branch_type", "contains", "not_contains"],
                Git(Read, "branch", &["contains", "not_contains"]),
            ),
            tool(
                &["git_add"],
                &["!repo_path", "!files"],
                Git(Change, "add", &["files"]),
            ),
            tool(
                &["git_commit"],
                &["!repo_path", "!message"],
                Git(Change, "commit", &[]),
            ),
            tool(
                &["git_create_branch"],
                &["!repo_path", "!branch_name", "base_branch"],
                Git(Change, "branch", &["branch_name", "base_branch"]),
            ),
            tool(
                &["git_checkout"],
                &["!repo_path", "!branch_name"],
                Git(Change, "checkout", &["branch_name"]),
            ),
            // The server's reset unstages everything and keeps the working tree.
            tool(&["git_reset"], &["!repo_path"], Git(Change, "reset", &[])),
            tool(&["git_init"], &["!repo_path"], Git(Change, "init", &[])),
        ],
    },
    Server {
        title: "the memory server",
        launch: &["@modelcontextprotocol/server-memory", "mcp/memory"],
        hosts: &[],
        announces: &["memory-server"],
        dialect: None,
        tools: &[
            tool(
                &["read_graph"],
                &[],
                Fixed(Read, K::Storage, "reads the knowledge graph"),
            ),
            tool(
                &["search_nodes"],
                &["!query"],
                Fixed(Read, K::Storage, "searches the knowledge graph"),
            ),
            tool(
                &["open_nodes"],
                &["!names"],
                Fixed(Read, K::Storage, "reads entities of the knowledge graph"),
            ),
            tool(
                &["create_entities"],
                &["!entities"],
                Fixed(Change, K::Storage, "adds entities to the knowledge graph"),
            ),
            tool(
                &["create_relations"],
                &["!relations"],
                Fixed(Change, K::Storage, "adds relations to the knowledge graph"),
            ),
            tool(
                &["add_observations"],
                &["!observations"],
                Fixed(
                    Change,
                    K::Storage,
                    "adds observations to the knowledge graph",
                ),
            ),
            tool(
                &["delete_entities"],
                &["!entityNames"],
                Fixed(
                    Destroy,
                    K::Storage,
                    "deletes entities and their relations from the knowledge graph",
                ),
            ),
            tool(
                &["delete_observations"],
                &["!deletions"],
                Fixed(
                    Destroy,
                    K::Storage,
                    "deletes observations from the knowledge graph",
                ),
            ),
            tool(
                &["delete_relations"],
                &["!relations"],
                Fixed(
                    Destroy,
                    K::Storage,
                    "deletes relations from the knowledge graph",
                ),
            ),
        ],
    },
    Server {
        title: "the fetch server",
        launch: &["mcp-server-fetch", "mcp/fetch"],
        hosts: &[],
        announces: &["mcp-fetch"],
        dialect: None,
        tools: &[tool(
            &["fetch"],
            &["!url", "max_length", "start_index", "raw"],
            Url(&["url"]),
        )],
    },
    Server {
        title: "the time server",
        launch: &["mcp-server-time", "mcp/time"],
        hosts: &[],
        announces: &["mcp-time"],
        dialect: None,
        tools: &[
            tool(
                &["get_current_time"],
                &["!timezone"],
                Fixed(Read, K::Host, "reads the time"),
            ),
            tool(
                &["convert_time"],
                &["!source_timezone", "!time", "!target_timezone"],
                Fixed(Read, K::Host, "converts a time between time zones"),
            ),
        ],
    },
    Server {
        title: "the everything test server",
        launch: &["@modelcontextprotocol/server-everything", "mcp/everything"],
        hosts: &[],
        announces: &[
            "example-servers/everything",
            "mcp-servers/everything",
            "everything",
        ],
        dialect: None,
        tools: &[
            tool(
                &[
                    "echo",
                    "add",
                    "get-sum",
                    "longRunningOperation",
                    "trigger-long-running-operation",
                    "getTinyImage",
                    "get-tiny-image",
                    "annotatedMessage",
                    "get-annotated-message",
                    "getResourceReference",
                    "get-resource-reference",
                    "getResourceLinks",
                    "get-resource-links",
                    "structuredContent",
                    "get-structured-content",
                    "listRoots",
                    "get-roots-list",
                    "sampleLLM",
                    "trigger-sampling-request",
                    "startElicitation",
                    "trigger-elicitation-request",
                    "trigger-elicitation-request-async",
                ],
                &[],
                Fixed(Read, K::Service, "returns test data and changes nothing"),
            ),
            tool(
                &["printEnv", "get-env"],
                &[],
                Secret("prints the server's environment, which may hold credentials"),
            ),
            tool(
                &["toggle-simulated-logging", "toggle-subscriber-updates"],
                &[],
                Fixed(
                    Change,
                    K::Service,
                    "changes what the server sends this session",
                ),
            ),
            tool(
                &["zip", "gzip-file-as-resource"],
                &[],
                Url(&["data", "files", "uri"]),
            ),
        ],
    },
    Server {
        title: "the PostgreSQL server",
        launch: &[
            "@modelcontextprotocol/server-postgres",
            "mcp/postgres",
            "postgres-mcp",
            "crystaldba/postgres-mcp",
            "mcp-postgres",
        ],
        hosts: &[],
        announces: &["example-servers/postgres", "postgres-mcp", "postgres"],
        dialect: Some(Dialect::Postgres),
        tools: &[
            // The reference server runs it in a read-only transaction, which `COMMIT;`
            // ends: the SQL is judged by what it says.
            tool(&["query"], &["!sql"], Sql(&["sql"], Read)),
            tool(&["execute_sql"], &["!sql"], Sql(&["sql"], Read)),
            tool(
                &["explain_query"],
                &["!sql", "analyze", "hypothetical_indexes"],
                Sql(&["sql"], Read),
            ),
            tool(
                &[
                    "list_schemas",
                    "list_objects",
                    "get_object_details",
                    "analyze_workload_indexes",
                    "analyze_query_indexes",
                    "analyze_db_health",
                    "get_top_queries",
                ],
                &[],
                Fixed(
                    Read,
                    K::Database,
                    "reads the database's catalog and statistics",
                ),
            ),
        ],
    },
    Server {
        title: "the SQLite server",
        launch: &["mcp-server-sqlite", "mcp/sqlite"],
        hosts: &[],
        announces: &["sqlite"],
        dialect: Some(Dialect::Sqlite),
        tools: &[
            tool(&["read_query"], &["!query"], Sql(&["query"], Read)),
            tool(&["write_query"], &["!query"], Sql(&["query"], Change)),
            tool(&["create_table"], &["!query"], Sql(&["query"], Change)),
            tool(
                &["list_tables"],
                &[],
                Fixed(Read, K::Database, "lists the tables"),
            ),
            tool(
                &["describe_table"],
                &["!table_name"],
                Fixed(Read, K::Table, "reads a table's columns"),
            ),
            tool(
                &["append_insight"],
                &["!insight"],
                Fixed(Change, K::Storage, "adds a note to the server's memo"),
            ),
        ],
    },
    Server {
        title: "the MySQL server",
        launch: &[
            "@benborla29/mcp-server-mysql",
            "mysql-mcp-server",
            "mcp-server-mysql",
        ],
        hosts: &[],
        announces: &["mysql_server", "mysql-mcp-server"],
        dialect: Some(Dialect::MySql),
        tools: &[
            tool(&["mysql_query"], &["!sql"], Sql(&["sql"], Read)),
            tool(&["execute_sql"], &["!query"], Sql(&["query"], Read)),
        ],
    },
    Server {
        title: "the Supabase server",
        launch: &["@supabase/mcp-server-supabase"],
        hosts: &["mcp.supabase.com"],
        announces: &["supabase"],
        dialect: Some(Dialect::Postgres),
        tools: &[
            tool(
                &["execute_sql"],
                &["!project_id", "!query"],
                Sql(&["query"], Read),
            ),
            tool(
                &["apply_migration"],
                &["!project_id", "!name", "!query"],
                Sql(&["query"], Change),
            ),
            tool(
                &[
                    "list_tables",
                    "list_extensions",
                    "list_migrations",
                    "list_projects",
                    "list_organizations",
                    "list_branches",
                    "list_edge_functions",
                    "list_storage_buckets",
                    "get_project",
                    "get_organization",
                    "get_cost",
                    "get_logs",
                    "get_advisors",
                    "get_project_url",
                    "get_anon_key",
                    "get_publishable_keys",
                    "get_edge_function",
                    "get_storage_config",
                    "generate_typescript_types",
                    "search_docs",
                    "confirm_cost",
                ],
                &["*"],
                Fixed(
                    Read,
                    K::Database,
                    "reads the project's settings, logs or documentation",
                ),
            ),
            tool(
                &[
                    "create_project",
                    "pause_project",
                    "restore_project",
                    "create_branch",
                    "merge_branch",
                    "rebase_branch",
                    "deploy_edge_function",
                    "update_storage_config",
                ],
                &["*"],
                Fixed(Change, K::Infrastructure, "changes the Supabase project"),
            ),
            tool(
                &["delete_branch", "reset_branch"],
                &["*"],
                Fixed(
                    Destroy,
                    K::Database,
                    "deletes a development branch or resets its data",
                ),
            ),
        ],
    },
    Server {
        title: "the GitHub server",
        launch: &[
            "@modelcontextprotocol/server-github",
            "ghcr.io/github/github-mcp-server",
            "github-mcp-server",
            "mcp/github",
        ],
        hosts: &["api.githubcopilot.com"],
        announces: &["github-mcp-server", "github"],
        dialect: None,
        tools: &[
            tool(
                &["delete_*"],
                &["!owner", "!repo"],
                Fixed(Destroy, K::Repository, "deletes from a repository"),
            ),
            tool(
                &["get_*", "list_*", "search_*", "download_*"],
                &["!owner", "!repo"],
                Fixed(
                    Read,
                    K::Repository,
                    "reads a repository's files, issues, pull requests or runs",
                ),
            ),
            tool(
                &[
                    "get_me",
                    "search_repositories",
                    "search_code",
                    "search_users",
                    "search_issues",
                    "search_pull_requests",
                    "search_orgs",
                    "list_notifications",
                    "get_notification_details",
                ],
                &[
                    "query",
                    "q",
                    "sort",
                    "order",
                    "page",
                    "perPage",
                    "per_page",
                    "owner",
                    "repo",
                    "filter",
                    "since",
                    "before",
                    "notificationID",
                    "minimal_output",
                ],
                Fixed(Read, K::Repository, "searches GitHub"),
            ),
            tool(
                &[
                    "create_*",
                    "update_*",
                    "add_*",
                    "merge_pull_request",
                    "push_files",
                    "fork_repository",
                    "request_*",
                    "submit_*",
                    "assign_*",
                    "run_workflow",
                    "rerun_*",
                    "cancel_workflow_run",
                    "manage_*",
                    "mark_*",
                    "dismiss_*",
                    "reprioritize_*",
                ],
                &["!owner", "!repo"],
                Fixed(Change, K::Repository, "changes a repository"),
            ),
        ],
    },
    Server {
        title: "the Kubernetes server",
        launch: &[
            "mcp-server-kubernetes",
            "kubernetes-mcp-server",
            "flux159/mcp-server-kubernetes",
            "quay.io/containers/kubernetes_mcp_server",
        ],
        hosts: &[],
        announces: &[
            "kubernetes",
            "kubernetes-mcp-server",
            "mcp-server-kubernetes",
        ],
        dialect: None,
        tools: &[
            tool(
                &[
                    "kubectl_get",
                    "kubectl_describe",
                    "resources_get",
                    "resources_list",
                ],
                &[
                    "!resourceType",
                    "name",
                    "namespace",
                    "output",
                    "allNamespaces",
                    "labelSelector",
                    "fieldSelector",
                    "sortBy",
                    "context",
                    "apiVersion",
                    "kind",
                ],
                KubeRead(&["resourceType", "kind"], "reads cluster resources"),
            ),
            tool(
                &[
                    "kubectl_logs",
                    "pods_log",
                    "pods_list",
                    "pods_list_in_namespace",
                    "pods_get",
                    "pods_top",
                    "namespaces_list",
                    "projects_list",
                    "events_list",
                    "helm_list",
                    "list_api_resources",
                    "explain_resource",
                    "ping",
                ],
                &["*"],
                Fixed(Read, K::Cluster, "reads the cluster's state or logs"),
            ),
            tool(
                &["configuration_view"],
                &["*"],
                Secret("shows the cluster configuration, which may hold credentials"),
            ),
            dry(
                &["kubectl_apply", "kubectl_create", "kubectl_patch"],
                &["*"],
                Fixed(Change, K::Cluster, "changes cluster resources"),
                "dryRun",
            ),
            tool(
                &[
                    "kubectl_scale",
                    "kubectl_rollout",
                    "kubectl_context",
                    "resources_create_or_update",
                    "pods_run",
                    "install_helm_chart",
                    "upgrade_helm_chart",
                    "helm_install",
                    "port_forward",
                    "stop_port_forward",
                    "node_management",
                ],
                &["*"],
                Fixed(Change, K::Cluster, "changes the cluster"),
            ),
            tool(
                &[
                    "kubectl_delete",
                    "pods_delete",
                    "resources_delete",
                    "uninstall_helm_chart",
                    "helm_uninstall",
                ],
                &["*"],
                Fixed(Destroy, K::Cluster, "deletes cluster resources"),
            ),
            tool(
                &["exec_in_pod", "pods_exec"],
                &[
                    "!name",
                    "!command",
                    "namespace",
                    "container",
                    "shell",
                    "timeout",
                ],
                Remote(&["command"]),
            ),
        ],
    },
    Server {
        title: "the AWS server",
        launch: &[
            "awslabs.aws-api-mcp-server",
            "awslabs.core-mcp-server",
            "awslabs.aws-documentation-mcp-server",
            "awslabs.cloudwatch-mcp-server",
            "awslabs.ccapi-mcp-server",
        ],
        hosts: &[],
        announces: &["awslabs.aws-api-mcp-server", "aws-api-mcp-server"],
        dialect: None,
        tools: &[
            tool(
                &["call_aws"],
                &["!cli_command", "max_results"],
                Shell(&["cli_command"]),
            ),
            tool(
                &[
                    "suggest_aws_commands",
                    "read_documentation",
                    "search_documentation",
                    "recommend",
                    "get_resource",
                    "list_resources",
                    "get_resource_schema_information",
                    "describe_*",
                    "get_metric_*",
                    "get_active_alarms",
                    "get_alarm_history",
                    "execute_log_insights_query",
                    "get_logs_insight_query_results",
                ],
                &[],
                Fixed(
                    Read,
                    K::Infrastructure,
                    "reads AWS resources or documentation",
                ),
            ),
            tool(
                &["create_resource", "update_resource"],
                &["*"],
                Fixed(Change, K::Infrastructure, "changes AWS resources"),
            ),
            tool(
                &["delete_resource"],
                &["*"],
                Fixed(Destroy, K::Infrastructure, "deletes AWS resources"),
            ),
        ],
    },
    Server {
        title: "the terminal server",
        launch: &[
            "mcp-server-commands",
            "@wonderwhy-er/desktop-commander",
            "mcp-shell-server",
            "mcp-server-shell",
        ],
        hosts: &[],
        announces: &[
            "desktop-commander",
            "mcp-server-commands",
            "mcp-shell-server",
        ],
        dialect: None,
        tools: &[
            tool(
                &[
                    "run_command",
                    "execute_command",
                    "start_process",
                    "shell",
                    "shell_execute",
                    "shell_exec",
                    "run_shell_command",
                    "exec_command",
                    "run_in_terminal",
                    "terminal_execute",
                ],
                &[
                    "!command",
                    "stdin",
                    "cwd",
                    "workdir",
                    "directory",
                    "timeout",
                    "timeout_ms",
                    "shell",
                ],
                Shell(&["command"]),
            ),
            tool(
                &["run_script"],
                &["!script", "interpreter", "workdir", "cwd"],
                Shell(&["script"]),
            ),
            tool(
                &["read_file"],
                &["!path", "offset", "length", "isUrl"],
                Files("read", &["path"]),
            ),
            tool(
                &["read_multiple_files"],
                &["!paths"],
                Files("read", &["paths"]),
            ),
            tool(
                &["write_file"],
                &["!path", "!content", "mode"],
                Files("write", &["path"]),
            ),
            tool(
                &["edit_block"],
                &[
                    "!file_path",
                    "!old_string",
                    "!new_string",
                    "expected_replacements",
                ],
                Files("edit", &["file_path"]),
            ),
            tool(&["create_directory"], &["!path"], Files("edit", &["path"])),
            tool(
                &["move_file"],
                &["!source", "!destination"],
                Files("edit", &["source", "destination"]),
            ),
            tool(
                &[
                    "list_directory",
                    "get_file_info",
                    "search_files",
                    "start_search",
                ],
                &["!path", "pattern", "searchType", "timeout_ms", "depth"],
                Files("list", &["path"]),
            ),
            tool(
                &["search_code"],
                &[
                    "!path",
                    "!pattern",
                    "filePattern",
                    "ignoreCase",
                    "maxResults",
                ],
                Files("search", &["path"]),
            ),
            tool(
                &[
                    "list_processes",
                    "list_sessions",
                    "read_process_output",
                    "read_output",
                    "get_config",
                    "list_searches",
                    "get_more_search_results",
                ],
                &["*"],
                Fixed(
                    Read,
                    K::Process,
                    "reads processes, their output or the server's settings",
                ),
            ),
            tool(
                &["interact_with_process", "send_input"],
                &["*"],
                Fixed(
                    Change,
                    K::Process,
                    "types input into a running program, which may run anything",
                ),
            ),
            tool(
                &["set_config_value"],
                &["*"],
                Fixed(
                    Change,
                    K::Service,
                    "changes the server's settings, which may widen what it may run",
                ),
            ),
            tool(
                &["kill_process", "force_terminate", "stop_search"],
                &["*"],
                Fixed(Destroy, K::Process, "ends a running process"),
            ),
        ],
    },
];

/// Whether a tool's name matches one of an entry's names.
pub(super) fn names(tool: &Tool, name: &str) -> bool {
    tool.names
        .iter()
        .any(|pattern| crate::pattern::glob_match(pattern, name))
}

/// Whether an entry is named by globs: its arguments then only name what must be there.
pub(super) fn named_by_glob(tool: &Tool, name: &str) -> bool {
    !tool.names.contains(&name)
}
