//! mcp: a release gate for MCP servers. server.json (the MCP registry's entry for a server)
//! against the registry's schema, the versions it names against the packages that publish them,
//! the ownership markers the registry checks (npm `mcpName`, `mcp-name:` in a README, the OCI
//! label), the `io.github.<owner>` namespace against the repository's owner, `.mcpb` bundles
//! against their `fileSha256`, and how workflows install `mcp-publisher`. Offline.

mod bundle;
mod manifest;
mod namespace;
mod ownership;
mod publisher;
mod schema;
mod version;

use chainward_core::config::PluginConfig;
use chainward_core::{Check, Error, FileKind, Finding, Plugin, Project, Rule};

/// The mcp plugin.
#[derive(Debug, Default, Clone, Copy)]
pub struct Mcp;

/// Every rule of this plugin, in code order.
pub static RULES: &[&Rule] = &[
    &schema::INVALID_SERVER_JSON,
    &version::VERSION_MISMATCH,
    &ownership::OWNERSHIP_MISSING,
    &namespace::NAMESPACE_OWNER,
    &bundle::BUNDLE_HASH,
    &publisher::UNPINNED_PUBLISHER,
];

struct Options;

impl Plugin for Mcp {
    fn id(&self) -> &'static str {
        "mcp"
    }

    fn summary(&self) -> &'static str {
        "MCP servers' release gate: server.json valid and in step with the packages it names, the registry's ownership markers, bundle hashes, mcp-publisher pinned"
    }

    fn rules(&self) -> &'static [&'static Rule] {
        RULES
    }

    fn configure(&self, config: &PluginConfig) -> Result<Box<dyn Check>, Error> {
        config.deny_unknown_keys("mcp", &[])?;
        Ok(Box::new(Options))
    }

    fn coverage(&self, project: &Project) -> chainward_core::Coverage {
        // An MCP server: a server.json of the registry's, or a workflow that publishes one.
        let server = project
            .files_of(FileKind::McpServer)
            .any(|f| chainward_core::mcp::server_json(f).is_some());
        let publishes = project
            .files_of(FileKind::Workflow)
            .any(|f| f.text().is_ok_and(|t| t.contains("mcp-publisher")));
        if server || publishes {
            chainward_core::Coverage::Checked
        } else {
            chainward_core::Coverage::NotApplicable
        }
    }

    fn reads(&self, kind: FileKind) -> bool {
        matches!(
            kind,
            FileKind::McpServer
                | FileKind::McpBundle
                | FileKind::PackageJson
                | FileKind::Dockerfile
                | FileKind::Workflow
        )
    }
}

impl Check for Options {
    fn check(&self, project: &Project) -> Vec<Finding> {
        let mut out = Vec::new();
        let servers: Vec<_> = project
            .files_of(FileKind::McpServer)
            .filter(|f| chainward_core::mcp::server_json(f).is_some())
            .cloned()
            .collect();
        // What the workflows do around `mcp-publisher publish` matters only to a server.json.
        let publishing = if servers.is_empty() {
            publisher::Publishing::default()
        } else {
            publisher::Publishing::of(project)
        };
        for file in &servers {
            let Some(server) = chainward_core::mcp::server_json(file) else {
                continue;
            };
            if !chainward_core::mcp::is_registry_format(server) {
                project.note(format!(
                    "mcp: {} names another registry's `$schema`, not the MCP registry's: not checked",
                    file.rel
                ));
                continue;
            }
            if chainward_core::mcp::is_template(server) {
                project.note(format!(
                    "mcp: {} is a template (its name, version or an identifier is a placeholder a build fills in): not checked",
                    file.rel
                ));
                continue;
            }
            schema::check(file, server, &mut out);
            version::check(project, file, server, &publishing, &mut out);
            ownership::check(project, file, server, &mut out);
            namespace::check(project, file, server, &mut out);
            bundle::check(project, file, server, &mut out);
        }
        publisher::check(project, &mut out);
        out
    }
}
