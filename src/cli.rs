//! Command-line interface: clap definitions. Every built-in plugin is also a subcommand that
//! takes the same arguments as `check` and runs that plugin alone.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "chainward",
    version,
    about = "Supply-chain linter for JavaScript/TypeScript projects (npm, pnpm, yarn, bun): pinned versions, lockfiles, install scripts, SBOMs, provenance",
    after_help = "Exit codes: 0 nothing at or above the severity threshold, 1 findings, 2 usage, config or I/O error.\nOther commands: `chainward <name>` runs `chainward-<name>` from PATH."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every enabled plugin on the given paths (default: the current folder)
    Check(CheckArgs),
    /// Apply safe fixes (`check --fix`)
    Fix(CheckArgs),
    /// List every rule: id, code, default severity, fixable, summary
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Print the documentation of a rule
    Explain {
        /// Rule id (`pin-check/range-specifier`) or code (`PIN001`)
        rule: String,
    },
    /// Write the project's SBOM (CycloneDX 1.6 or SPDX 2.3 JSON) from its lockfile, offline
    Sbom(SbomArgs),
    /// Approve a dependency's install script: an entry with its reason in chainward.toml, or
    /// with `--in` the package manager's own allowlist
    AllowScript(AllowScriptArgs),
    #[command(external_subcommand)]
    External(Vec<OsString>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Threshold {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Folders or files to check (default: `.`); the first folder is the project root
    pub paths: Vec<PathBuf>,
    /// Apply safe fixes
    #[arg(long)]
    pub fix: bool,
    /// Print the unified diff of the fixes and write nothing (exit 1 if there is one)
    #[arg(long)]
    pub diff: bool,
    /// Also apply unsafe fixes (e.g. git branches pinned to the locked commit)
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Write the report to FILE instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only these rules (ids, codes or plugin ids; repeatable, comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub select: Vec<String>,
    /// Skip these rules (ids, codes or plugin ids)
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub ignore: Vec<String>,
    /// Config file (default: chainward.toml in the project root, if present)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Lowest severity that makes the exit code 1 [default: warning]
    #[arg(long, value_enum)]
    pub severity_threshold: Option<Threshold>,
    /// Report only what the working tree introduced relative to this git revision (read from
    /// git's objects; nothing is checked out), e.g. `--base origin/main` on a pull request
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// Hide the findings recorded in FILE (written by --write-baseline); entries that match
    /// nothing any more are reported as chainward/stale-baseline
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record every current finding in FILE (JSON, one entry per line) and exit 0; later runs
    /// with --baseline FILE show only new findings
    #[arg(long, value_name = "FILE", conflicts_with_all = ["fix", "diff"])]
    pub write_baseline: Option<PathBuf>,
    /// Print findings only, no summary line
    #[arg(long, short)]
    pub quiet: bool,
    /// Also say on stderr what could not be checked and why (no git repository, ...)
    #[arg(long, short)]
    pub verbose: bool,
    /// `chainward install-scripts --list`: print the install-script inventory (packages with
    /// scripts or unknown status, and what approves each) instead of findings; `--format json`
    #[arg(long)]
    pub list: bool,
    /// Also walk node_modules folders
    #[arg(long)]
    pub include_node_modules: bool,
    /// Ask the npm registry what the lockfile does not record (install scripts in pnpm 9,
    /// yarn, bun and npm v1 lockfiles); responses are cached, so the next run needs no network
    #[arg(long)]
    pub online: bool,
    /// Registry for `--online` [default: `registry` in the project's .npmrc, else
    /// https://registry.npmjs.org/]
    #[arg(long, value_name = "URL", requires = "online")]
    pub registry: Option<String>,
    /// Let `--online` ask a registry over plain http (a local mirror); refused otherwise
    #[arg(long, requires = "online")]
    pub allow_http_registry: bool,
    /// Response cache for `--online` [default: $CHAINWARD_CACHE_DIR, else
    /// $XDG_CACHE_HOME/chainward, else ~/.cache/chainward]
    #[arg(long, value_name = "DIR", requires = "online")]
    pub cache_dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Run the external plugins that chainward.toml's `external-plugins` names (also
    /// CHAINWARD_ALLOW_EXTERNAL_PLUGINS=1). Without it they are not run: a project's own config
    /// never makes chainward execute a program. They are looked up only in absolute PATH
    /// entries outside the scanned tree
    #[arg(long)]
    pub allow_external_plugins: bool,
}

/// Where `allow-script` writes the approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AllowTarget {
    /// `[[install-scripts.allow]]` in chainward.toml, with the reason
    Chainward,
    /// package.json `allowScripts` (`"name@version": true`; the locked version when none is given)
    Npm,
    /// `onlyBuiltDependencies` in pnpm-workspace.yaml, or package.json's `pnpm` field
    Pnpm,
    /// package.json `dependenciesMeta.<name>.built`
    Yarn,
    /// package.json `trustedDependencies`
    Bun,
}

#[derive(Debug, Clone, Args)]
pub struct AllowScriptArgs {
    /// The package, optionally limited to a semver range: `esbuild`, `sharp@^0.33`, `@scope/pkg@1.2.3`
    #[arg(value_name = "PACKAGE[@RANGE]")]
    pub package: String,
    /// Why its install script is trusted (required for chainward.toml)
    #[arg(long)]
    pub reason: Option<String>,
    /// Write to this allowlist instead of chainward.toml
    #[arg(long = "in", value_enum, default_value_t = AllowTarget::Chainward, value_name = "LIST")]
    pub target: AllowTarget,
    /// The project root
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub project: PathBuf,
    /// Config file to edit (default: chainward.toml in the project root; created if missing)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print the unified diff of the edit and write nothing
    #[arg(long)]
    pub diff: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SbomFormat {
    CyclonedxJson,
    SpdxJson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SbomOmit {
    Dev,
    Optional,
}

#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SbomArgs {
    #[command(subcommand)]
    pub command: Option<SbomCommand>,
    #[command(flatten)]
    pub generate: SbomGenerateArgs,
}

#[derive(Debug, Clone, Subcommand)]
pub enum SbomCommand {
    /// Compare two SBOMs (CycloneDX or SPDX JSON), or the SBOM at a git revision with the
    /// working tree's: added, removed, upgraded and downgraded packages, hashes changed at the
    /// same version, install scripts gained, source and licence changes, new dependency edges
    Diff(SbomDiffArgs),
    /// Check a CycloneDX (1.2–1.7) or SPDX (2.2/2.3) JSON document: errors name the value by
    /// JSON pointer, line and column; `--schema` also validates against a JSON schema file
    Validate {
        /// The SBOM file
        file: PathBuf,
        /// A JSON schema to validate against as well (e.g. the official bom-1.6.schema.json;
        /// schemas it refers to are looked up beside it by file name)
        #[arg(long, value_name = "SCHEMA")]
        schema: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
    Markdown,
    Github,
    Sarif,
}

#[derive(Debug, Clone, Args)]
pub struct SbomDiffArgs {
    /// OLD and NEW SBOM files (or, with --base, the project folder, like every other command)
    #[arg(value_name = "FILE", num_args = 0..=2)]
    pub files: Vec<PathBuf>,
    /// Compare the SBOM made from the lockfile at this git revision (read from git's objects)
    /// with the working tree's
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// The project folder, with --base
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub project: PathBuf,
    /// Output: a table, JSON, a Markdown PR comment, or findings as GitHub annotations / SARIF
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Write to FILE instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Lowest finding severity that makes the exit code 1 [default: warning]
    #[arg(long, value_enum)]
    pub severity_threshold: Option<Threshold>,
}

#[derive(Debug, Clone, Args)]
pub struct SbomGenerateArgs {
    /// The project folder (its package.json and the lockfile that covers it)
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Document format
    #[arg(long, value_enum, default_value_t = SbomFormat::CyclonedxJson)]
    pub format: SbomFormat,
    /// CycloneDX spec version
    #[arg(long, value_name = "VERSION", default_value = "1.6", value_parser = ["1.5", "1.6"])]
    pub spec_version: String,
    /// Write to FILE (atomically) instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// No timestamp, and a serial number derived from the content (SPDX's required `created`
    /// is `$SOURCE_DATE_EPOCH`, or 1970-01-01): the same lockfile gives the same bytes
    #[arg(long)]
    pub reproducible: bool,
    /// Leave out dev or optional packages (repeatable)
    #[arg(long, value_enum, value_delimiter = ',')]
    pub omit: Vec<SbomOmit>,
}
