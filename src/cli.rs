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
    /// Each finding with its source snippet
    Text,
    /// One line per finding: `path:line:col: rule message` (`[*]` fixable, `[-]` with
    /// --unsafe-fixes)
    Concise,
    Json,
    Sarif,
    Github,
    /// An unsigned in-toto Statement v1 with a SCAI attribute report: each plugin's result
    /// (PASSED, WARNED, FAILED), counts and rules, for the files checked (by SHA-256); to be
    /// signed by the pipeline and gated on by a policy (docs/ci.md)
    InToto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditLevel {
    Low,
    Moderate,
    High,
    Critical,
}

impl AuditLevel {
    pub fn name(self) -> &'static str {
        match self {
            AuditLevel::Low => "low",
            AuditLevel::Moderate => "moderate",
            AuditLevel::High => "high",
            AuditLevel::Critical => "critical",
        }
    }
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
    #[arg(long, visible_alias = "output-format", value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Count the findings by rule (with how many are fixable) instead of listing them (text or
    /// json)
    #[arg(long)]
    pub statistics: bool,
    /// Also write the SARIF report to FILE; with `--format in-toto` the attestation names it as
    /// evidence, by its SHA-256
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// With `--format in-toto`: record when the check ran (now, or `CHAINWARD_NOW`) as the
    /// producer's `checkedAt`, for policies that refuse stale attestations
    #[arg(long)]
    pub timestamp: bool,
    /// Exit 0 even when findings at or above the threshold were found (usage and read errors
    /// still exit 2)
    #[arg(long)]
    pub exit_zero: bool,
    /// List what the fixes changed, by file and rule (with `fix`, `--fix` or `--diff`), or what
    /// `chainward fix` would change (with `check`); on stderr
    #[arg(long)]
    pub show_fixes: bool,
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
    /// Also walk node_modules folders
    #[arg(long)]
    pub include_node_modules: bool,
    /// Ask the npm registry what the lockfile does not record (install scripts in pnpm 9,
    /// yarn, bun and npm v1 lockfiles; every locked package's metadata for dep-trust);
    /// responses are cached, and runs without --online read the cache
    #[arg(long)]
    pub online: bool,
    /// Registry for `--online`, and whose cached metadata is read without it [default:
    /// `registry` in the project's .npmrc, else https://registry.npmjs.org/]
    #[arg(long, value_name = "URL")]
    pub registry: Option<String>,
    /// Let `--online` ask a registry over plain http (a local mirror); refused otherwise
    #[arg(long)]
    pub allow_http_registry: bool,
    /// With --online: the GitHub API that `fix` asks for the commit an action's tag names
    /// (default https://api.github.com; GITHUB_TOKEN is sent when set)
    #[arg(long, value_name = "URL", requires = "online")]
    pub github_api: Option<String>,
    /// With --online: a container registry `fix` may ask for image digests, besides Docker Hub,
    /// ghcr.io, quay.io, gcr.io, mcr.microsoft.com, public.ecr.aws and registry.gitlab.com
    /// (HOST=URL: images on HOST are asked at URL; repeatable; anonymous pulls only)
    #[arg(long, value_name = "HOST=URL", requires = "online")]
    pub image_registry: Vec<String>,
    /// Response cache for `--online`, read without it too [default: $CHAINWARD_CACHE_DIR,
    /// else $XDG_CACHE_HOME/chainward, else ~/.cache/chainward]
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Advisory database for the advisories plugin: a folder of OSV JSON records (at any depth)
    /// or a zip of them such as osv.dev's npm/all.zip [default: `[advisories] db`, else
    /// `advisories/npm` or `advisories/npm.zip` in the cache folder]
    #[arg(long, value_name = "PATH")]
    pub advisory_db: Option<PathBuf>,
    /// Report vulnerabilities of this grade and above, as `npm audit --audit-level` (malicious
    /// versions always) [default: `[advisories] audit-level`, else low]
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub audit_level: Option<AuditLevel>,
    /// Colour in text output: `auto` (on a terminal, unless NO_COLOR is set), `always` or
    /// `never`
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Run the external plugins that chainward.toml's `external-plugins` names (also
    /// CHAINWARD_ALLOW_EXTERNAL_PLUGINS=1). Without it they are not run: a project's own config
    /// never makes chainward execute a program. They are looked up only in absolute PATH
    /// entries outside the scanned tree
    #[arg(long)]
    pub allow_external_plugins: bool,
}
