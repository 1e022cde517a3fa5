//! What a discovered file is, from its path.

/// What a discovered file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    PackageJson,
    /// `package-lock.json`.
    NpmLock,
    /// `npm-shrinkwrap.json` (takes precedence over package-lock.json).
    NpmShrinkwrap,
    PnpmLock,
    YarnLock,
    BunLock,
    /// `bun.lockb` (binary; never read as text).
    BunLockb,
    Npmrc,
    PnpmWorkspace,
    YarnRc,
    /// `bunfig.toml` (bun's settings; TOML).
    Bunfig,
    /// `.github/workflows/*.yml`.
    Workflow,
    /// `action.yml` of a composite/JavaScript/Docker action.
    Action,
    Dockerfile,
    /// A shell script a workflow runs (`run: ./scripts/ci.sh`); never discovered by name, only
    /// loaded through [`Project::file_as`].
    ShellScript,
    /// A provenance bundle next to an artifact: `*.sigstore.json`, `*.intoto.jsonl`.
    ProvenanceBundle,
    /// `server.json`: an MCP server's entry for the MCP registry (a file of that name that is
    /// not one — no MCP `$schema` — is left alone by the plugins that read it).
    McpServer,
    /// An MCP bundle (`*.mcpb`, a zip archive; binary, never read as text).
    McpBundle,
    /// `pyproject.toml` (PEP 621 metadata, dependency groups, `[tool.uv]`).
    PyProject,
    /// `uv.lock`.
    UvLock,
    /// `pylock.toml` / `pylock.<name>.toml` (PEP 751).
    PyLock,
    /// `poetry.lock` (read for the SBOM and hashes).
    PoetryLock,
    /// A pip requirements file: `requirements*.txt`, `requirements*.in`, `constraints*.txt`,
    /// or a `.txt`/`.in` file in a `requirements/` folder.
    Requirements,
}

impl FileKind {
    /// Every kind, in declaration order.
    pub const ALL: [FileKind; 23] = [
        FileKind::PackageJson,
        FileKind::NpmLock,
        FileKind::NpmShrinkwrap,
        FileKind::PnpmLock,
        FileKind::YarnLock,
        FileKind::BunLock,
        FileKind::BunLockb,
        FileKind::Npmrc,
        FileKind::PnpmWorkspace,
        FileKind::YarnRc,
        FileKind::Bunfig,
        FileKind::Workflow,
        FileKind::Action,
        FileKind::Dockerfile,
        FileKind::ShellScript,
        FileKind::ProvenanceBundle,
        FileKind::McpServer,
        FileKind::McpBundle,
        FileKind::PyProject,
        FileKind::UvLock,
        FileKind::PyLock,
        FileKind::PoetryLock,
        FileKind::Requirements,
    ];

    /// The kind's stable name on the wire (the external-plugin protocol, docs/json-format.md):
    /// kebab-case, independent of how the enum is spelled in Rust.
    pub fn name(self) -> &'static str {
        match self {
            FileKind::PackageJson => "package-json",
            FileKind::NpmLock => "npm-lock",
            FileKind::NpmShrinkwrap => "npm-shrinkwrap",
            FileKind::PnpmLock => "pnpm-lock",
            FileKind::YarnLock => "yarn-lock",
            FileKind::BunLock => "bun-lock",
            FileKind::BunLockb => "bun-lockb",
            FileKind::Npmrc => "npmrc",
            FileKind::PnpmWorkspace => "pnpm-workspace",
            FileKind::YarnRc => "yarnrc",
            FileKind::Bunfig => "bunfig",
            FileKind::Workflow => "workflow",
            FileKind::Action => "action",
            FileKind::Dockerfile => "dockerfile",
            FileKind::ShellScript => "shell-script",
            FileKind::ProvenanceBundle => "provenance-bundle",
            FileKind::McpServer => "mcp-server",
            FileKind::McpBundle => "mcp-bundle",
            FileKind::PyProject => "pyproject",
            FileKind::UvLock => "uv-lock",
            FileKind::PyLock => "pylock",
            FileKind::PoetryLock => "poetry-lock",
            FileKind::Requirements => "requirements",
        }
    }

    /// Classify a file by its path relative to the project root (`/`-separated).
    pub fn classify(rel: &str) -> Option<FileKind> {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let kind = match name {
            "package.json" => FileKind::PackageJson,
            "package-lock.json" => FileKind::NpmLock,
            "npm-shrinkwrap.json" => FileKind::NpmShrinkwrap,
            "pnpm-lock.yaml" => FileKind::PnpmLock,
            "yarn.lock" => FileKind::YarnLock,
            "bun.lock" => FileKind::BunLock,
            "bun.lockb" => FileKind::BunLockb,
            ".npmrc" => FileKind::Npmrc,
            "pnpm-workspace.yaml" => FileKind::PnpmWorkspace,
            ".yarnrc.yml" => FileKind::YarnRc,
            "bunfig.toml" => FileKind::Bunfig,
            "action.yml" | "action.yaml" => FileKind::Action,
            "server.json" => FileKind::McpServer,
            "pyproject.toml" => FileKind::PyProject,
            "uv.lock" => FileKind::UvLock,
            "pylock.toml" => FileKind::PyLock,
            "poetry.lock" => FileKind::PoetryLock,
            _ if name.starts_with("pylock.") && name.ends_with(".toml") && name.len() > 12 => {
                FileKind::PyLock
            }
            _ if is_requirements(rel, name) => FileKind::Requirements,
            _ if name.len() > 5 && name.ends_with(".mcpb") => FileKind::McpBundle,
            _ if crate::dockerfile::is_dockerfile_name(name) => FileKind::Dockerfile,
            _ if is_workflow(rel) => FileKind::Workflow,
            _ if name.ends_with(".sigstore.json") || name.ends_with(".intoto.jsonl") => {
                FileKind::ProvenanceBundle
            }
            _ => return None,
        };
        Some(kind)
    }

    /// A lockfile read as text: npm's, pnpm's, yarn's or bun's (`bun.lockb` is binary).
    pub fn is_lockfile(self) -> bool {
        matches!(
            self,
            FileKind::NpmLock
                | FileKind::NpmShrinkwrap
                | FileKind::PnpmLock
                | FileKind::YarnLock
                | FileKind::BunLock
        )
    }

    /// A binary file, never read as text: `bun.lockb`, an MCP bundle.
    pub fn is_binary(self) -> bool {
        matches!(self, FileKind::BunLockb | FileKind::McpBundle)
    }

    /// package.json or a lockfile: what the npm model (`chainward-npm`) reads.
    pub fn is_npm_model(self) -> bool {
        self == FileKind::PackageJson || self.is_lockfile()
    }

    /// pyproject.toml, uv.lock or a requirements file: what the Python model
    /// (`chainward-python`) reads.
    pub fn is_python_model(self) -> bool {
        matches!(
            self,
            FileKind::PyProject
                | FileKind::UvLock
                | FileKind::PyLock
                | FileKind::PoetryLock
                | FileKind::Requirements
        )
    }

    /// A workflow or a composite action: what the workflow model reads.
    pub fn is_workflow_model(self) -> bool {
        matches!(self, FileKind::Workflow | FileKind::Action)
    }

    pub fn is_npm_lockfile(self) -> bool {
        matches!(self, FileKind::NpmLock | FileKind::NpmShrinkwrap)
    }

    pub fn is_yaml(self) -> bool {
        matches!(
            self,
            FileKind::Workflow
                | FileKind::Action
                | FileKind::PnpmLock
                | FileKind::PnpmWorkspace
                | FileKind::YarnRc
        )
    }

    /// Whether the format has `#` comments, so that inline suppressions can be written in it.
    pub fn has_hash_comments(self) -> bool {
        self.is_yaml()
            || matches!(
                self,
                FileKind::Dockerfile
                    | FileKind::Npmrc
                    | FileKind::ShellScript
                    | FileKind::Bunfig
                    | FileKind::PyProject
                    | FileKind::UvLock
                    | FileKind::PyLock
                    | FileKind::PoetryLock
                    | FileKind::Requirements
            )
    }
}

/// A pip requirements file by its name: `requirements*.txt`/`.in`, `constraints*.txt`/`.in`,
/// or any `.txt`/`.in` directly in a folder named `requirements` (`requirements/dev.txt`).
fn is_requirements(rel: &str, name: &str) -> bool {
    let Some(stem) = name
        .strip_suffix(".txt")
        .or_else(|| name.strip_suffix(".in"))
    else {
        return false;
    };
    stem.starts_with("requirements")
        || stem.starts_with("constraints")
        || rel
            .rsplit('/')
            .nth(1)
            .is_some_and(|dir| dir == "requirements")
}

/// A workflow GitHub runs: `.github/workflows/*.yml` at the root of the scanned tree. A
/// `.github/workflows` folder further down (a package split out to its own repository, a
/// template) is not run by GitHub for this repository; scan that folder to check it.
pub(super) fn is_workflow(rel: &str) -> bool {
    let mut parts = rel.split('/');
    let (Some(".github"), Some("workflows"), Some(name), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    name.ends_with(".yml") || name.ends_with(".yaml")
}

/// `…/.github/workflows/*.yml` at any depth.
pub(super) fn is_any_workflow(rel: &str) -> bool {
    let mut parts = rel.rsplit('/');
    let (Some(name), Some("workflows"), Some(".github")) =
        (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    name.ends_with(".yml") || name.ends_with(".yaml")
}
