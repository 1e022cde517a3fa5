//! `chainward.toml`: rule levels, discovery options, per-plugin sections and `[[ignore]]`
//! entries with reasons. Values keep their spans so that every config error names file, line
//! and column.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::Error;
use crate::severity::{Level, Severity};
use crate::span::LineIndex;

pub const FILE_NAME: &str = "chainward.toml";

/// The span of a config value, when toml_edit knows it.
pub type Span = Option<Range<usize>>;

/// Where a config value came from, for error messages.
#[derive(Debug, Clone)]
struct Source {
    path: PathBuf,
    text: Arc<str>,
    lines: Arc<LineIndex>,
}

impl Source {
    fn error(&self, span: Option<Range<usize>>, message: impl Into<String>) -> Error {
        let at = span.map_or(0, |s| s.start);
        let lc = self.lines.line_col(&self.text, at);
        Error::Config {
            path: self.path.clone(),
            line: lc.line,
            column: lc.column,
            message: message.into(),
        }
    }
}

/// One `[[ignore]]` entry.
#[derive(Debug, Clone)]
pub struct IgnoreEntry {
    /// Rule id, code or plugin id.
    pub rule: String,
    /// The entry's path is outside the scanned root (the config was found above it): it can
    /// match nothing here, and is not reported unused.
    pub elsewhere: bool,
    /// Gitignore-style glob relative to the project root; `None` matches every path.
    pub path: Option<String>,
    pub reason: String,
    /// Span of the entry in the config file, for the unused-ignore finding.
    pub span: Range<usize>,
    pub rule_span: Range<usize>,
}

/// One table of an array of tables: its string values (key, value, span of the value).
#[derive(Debug, Clone)]
pub struct TableEntry {
    pub values: Vec<(String, String, Span)>,
    pub span: Span,
}

impl TableEntry {
    pub fn get(&self, key: &str) -> Option<(&str, Span)> {
        self.values
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, v, s)| (v.as_str(), s.clone()))
    }
}

/// A plugin's section of chainward.toml.
#[derive(Debug, Clone, Default)]
pub struct PluginConfig {
    table: Option<toml_edit::Table>,
    source: Option<Source>,
}

impl PluginConfig {
    /// An empty section (defaults everywhere).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Parse a standalone section, as `[pin-check]` would read in chainward.toml (tests).
    pub fn from_toml(section: &str) -> Result<Self, Error> {
        let text = format!("[section]\n{section}");
        let config = Config::parse(&text, Path::new("<test>"), &["section"])?;
        Ok(config.plugin("section"))
    }

    /// The keys set in this section with their spans.
    pub fn keys(&self) -> Vec<(String, Option<Range<usize>>)> {
        self.table
            .as_ref()
            .map(|t| {
                t.iter()
                    .map(|(k, _)| {
                        let span = t.key(k).and_then(toml_edit::Key::span);
                        (k.to_string(), span)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn get_bool(&self, key: &str) -> Result<Option<bool>, Error> {
        let Some(item) = self.table.as_ref().and_then(|t| t.get(key)) else {
            return Ok(None);
        };
        item.as_bool()
            .map(Some)
            .ok_or_else(|| self.error(item.span(), format!("`{key}` must be true or false")))
    }

    /// A string and the span of its value; `None` when the key is absent.
    pub fn get_string(&self, key: &str) -> Result<Option<(String, Span)>, Error> {
        let Some(item) = self.table.as_ref().and_then(|t| t.get(key)) else {
            return Ok(None);
        };
        item.as_str()
            .map(|v| Some((v.to_string(), item.span())))
            .ok_or_else(|| self.error(item.span(), format!("`{key}` must be a string")))
    }

    /// A whole number in `range`; `None` when the key is absent.
    pub fn get_integer(
        &self,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<Option<i64>, Error> {
        let Some(item) = self.table.as_ref().and_then(|t| t.get(key)) else {
            return Ok(None);
        };
        match item.as_integer() {
            Some(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(self.error(
                item.span(),
                format!(
                    "`{key}` must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )),
        }
    }

    /// An array of strings; `None` when the key is absent.
    pub fn get_string_list(&self, key: &str) -> Result<Option<Vec<String>>, Error> {
        let Some(item) = self.table.as_ref().and_then(|t| t.get(key)) else {
            return Ok(None);
        };
        let Some(arr) = item.as_array() else {
            return Err(self.error(item.span(), format!("`{key}` must be an array of strings")));
        };
        arr.iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| self.error(v.span(), format!("`{key}` entries must be strings")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A table of string values (`"actions/*" = "ref-pin"`), in file order.
    pub fn get_string_table(&self, key: &str) -> Result<Vec<(String, String, Span)>, Error> {
        let Some(item) = self.table.as_ref().and_then(|t| t.get(key)) else {
            return Ok(Vec::new());
        };
        let Some(table) = item.as_table_like() else {
            return Err(self.error(item.span(), format!("`{key}` must be a table")));
        };
        table
            .iter()
            .map(|(k, v)| match v.as_str() {
                Some(s) => Ok((k.to_string(), s.to_string(), v.span())),
                None => Err(self.error(v.span(), format!("`{key}.{k}` must be a string"))),
            })
            .collect()
    }

    /// An array of tables (`[[section.key]]`) whose values are strings: each table's keys with
    /// their values and spans, and the table's own span, in file order.
    pub fn get_table_array(&self, key: &str) -> Result<Vec<TableEntry>, Error> {
        let Some(item) = self.table.as_ref().and_then(|t| t.get(key)) else {
            return Ok(Vec::new());
        };
        let Some(tables) = item.as_array_of_tables() else {
            return Err(self.error(
                item.span(),
                format!("`{key}` must be an array of tables (`[[section.{key}]]`)"),
            ));
        };
        tables
            .iter()
            .map(|t| {
                let mut values = Vec::new();
                for (k, v) in t.iter() {
                    match v.as_str() {
                        Some(s) => values.push((k.to_string(), s.to_string(), v.span())),
                        None => {
                            return Err(
                                self.error(v.span(), format!("`{key}.{k}` must be a string"))
                            );
                        }
                    }
                }
                Ok(TableEntry {
                    values,
                    span: t.span(),
                })
            })
            .collect()
    }

    /// The section as JSON (for external plugins), `{}` when absent.
    pub fn to_json(&self) -> serde_json::Value {
        self.table
            .as_ref()
            .map_or_else(|| serde_json::json!({}), |t| table_to_json(t))
    }

    /// The location of `span` in this section's file (chainward.toml), for findings about a
    /// config entry (an approval nothing needs any more); `None` without a file.
    pub fn location(&self, span: Span) -> Option<crate::finding::Location> {
        let source = self.source.as_ref()?;
        let span = span.unwrap_or(0..0);
        let start = source.lines.line_col(&source.text, span.start);
        let end = source.lines.line_col(&source.text, span.end);
        Some(crate::finding::Location::at(
            source.path.clone(),
            span,
            start,
            end,
        ))
    }

    /// A config error at `span` of this section's file.
    pub fn error(&self, span: Option<Range<usize>>, message: impl Into<String>) -> Error {
        match &self.source {
            Some(source) => source.error(span, message),
            None => Error::Usage(message.into()),
        }
    }

    /// Reject keys not in `known`, naming the closest known one.
    pub fn deny_unknown_keys(&self, section: &str, known: &[&str]) -> Result<(), Error> {
        for (key, span) in self.keys() {
            if !known.contains(&key.as_str()) {
                let known = if known.is_empty() {
                    "it takes no settings".to_string()
                } else {
                    format!("known: {}", known.join(", "))
                };
                return Err(self.error(
                    span,
                    format!("unknown key `{key}` in [{section}] ({known})"),
                ));
            }
        }
        Ok(())
    }
}

/// An array of glob strings (`[files] exclude`, `include`), each checked.
fn glob_list(source: &Source, v: &toml_edit::Item, key: &str) -> Result<Vec<String>, Error> {
    let arr = v
        .as_array()
        .ok_or_else(|| source.error(v.span(), format!("`{key}` must be an array of globs")))?;
    arr.iter()
        .map(|g| {
            let glob = g.as_str().ok_or_else(|| {
                source.error(g.span(), format!("`{key}` entries must be strings"))
            })?;
            globset::Glob::new(glob)
                .map_err(|e| source.error(g.span(), format!("invalid glob: {e}")))?;
            Ok(glob.to_string())
        })
        .collect()
}

/// The whole configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it was read from, if any.
    pub path: Option<PathBuf>,
    /// `[rules]`: level per rule id/code/plugin, with the span of the key.
    pub rules: Vec<(String, Level, Option<Range<usize>>)>,
    /// `[files] exclude`.
    pub exclude: Vec<String>,
    /// `[files] include`: paths inside test-data folders to check all the same.
    pub include: Vec<String>,
    /// `[files] include-node-modules`.
    pub include_node_modules: bool,
    pub max_file_size: Option<u64>,
    pub max_files: Option<usize>,
    /// `severity-threshold` at the top level.
    pub severity_threshold: Option<Severity>,
    /// `external-plugins`: names of `chainward-<name>` executables that `check` also runs.
    pub external_plugins: Vec<(String, Option<Range<usize>>)>,
    pub ignores: Vec<IgnoreEntry>,
    /// The project's chainward.toml is a link that was not followed (see [`Config::find`]).
    pub unsafe_link: Option<crate::links::UnsafeLink>,
    /// Where the scanned root sits below the folder of the config, when the config was found
    /// above it (`packages/cli`); the config's globs are relative to its own folder.
    pub base: Option<String>,
    plugins: BTreeMap<String, PluginConfig>,
    source: Option<Source>,
}

impl Config {
    /// Read `path`; a missing file is an error (use [`Config::find`] for the optional one).
    pub fn load(path: &Path, plugin_ids: &[&str]) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Config::parse(&text, path, plugin_ids)
    }

    /// `chainward.toml` in `root`, if there is one.
    /// A `chainward.toml` that is a link is read only when its target is inside `root`; a
    /// link out of the project, dangling or looping is not read (the default config is used)
    /// and is kept in [`Config::unsafe_link`] for the report.
    pub fn find(root: &Path, plugin_ids: &[&str]) -> Result<Config, Error> {
        if let Some(config) = Self::in_folder(root, root, plugin_ids)? {
            return Ok(config);
        }
        // Then the folders above, up to the repository's root (as ruff and zizmor look): a run
        // from `packages/cli`, or on it, obeys the repository's config. Outside a repository
        // only the root itself is looked at.
        let Ok(absolute) = std::path::absolute(root) else {
            return Ok(Config::default());
        };
        let absolute = crate::project::clean(&absolute);
        let is_repo = |dir: &Path| dir.join(".git").exists();
        if is_repo(&absolute) {
            return Ok(Config::default());
        }
        let Some(repo) = absolute.ancestors().skip(1).find(|dir| is_repo(dir)) else {
            return Ok(Config::default());
        };
        let mut up = root.to_path_buf();
        for dir in absolute.ancestors().skip(1) {
            up.push("..");
            let shown = crate::project::clean(&up);
            if let Some(mut config) = Self::in_folder(&shown, repo, plugin_ids)? {
                let base = absolute
                    .strip_prefix(dir)
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default();
                config.rebase(&base);
                return Ok(config);
            }
            if dir == repo {
                break;
            }
        }
        Ok(Config::default())
    }

    /// `chainward.toml` in `dir`, read only through links that stay inside `boundary`.
    fn in_folder(
        dir: &Path,
        boundary: &Path,
        plugin_ids: &[&str],
    ) -> Result<Option<Config>, Error> {
        let path = if dir == Path::new(".") {
            PathBuf::from(FILE_NAME)
        } else {
            dir.join(FILE_NAME)
        };
        // A root that does not exist has no config; discovery reports the missing path.
        let Ok(boundary) = crate::links::canonical_root(boundary) else {
            return Ok(None);
        };
        match crate::links::resolve(&boundary, &path) {
            crate::links::Resolved::Inside(real) if real.is_file() => {
                let text = std::fs::read_to_string(&real).map_err(|e| Error::io(&path, e))?;
                Config::parse(&text, &path, plugin_ids).map(Some)
            }
            crate::links::Resolved::Unsafe(link) => Ok(Some(Config {
                unsafe_link: Some(link),
                ..Config::default()
            })),
            _ => Ok(None),
        }
    }

    /// The config's globs, written relative to its own folder, made relative to the scanned
    /// root `base` below it; those that can only match elsewhere are dropped (`[[ignore]]`
    /// entries are kept, marked [`IgnoreEntry::elsewhere`]).
    fn rebase(&mut self, base: &str) {
        if base.is_empty() {
            return;
        }
        // A folder named on the command line is checked even where the config excludes it (as
        // ruff checks the paths it is given): an exclusion that covers the whole scanned folder
        // is dropped; those below it apply.
        self.exclude = self
            .exclude
            .iter()
            .filter_map(|g| rebase_gitignore(g, base))
            .filter(|g| g.trim_matches('/') != "**")
            .collect();
        self.include = self
            .include
            .iter()
            .filter_map(|g| rebase_gitignore(g, base))
            .collect();
        for entry in &mut self.ignores {
            if let Some(path) = &entry.path {
                match rebase_glob(path, base) {
                    Some(rebased) => entry.path = Some(rebased),
                    None => entry.elsewhere = true,
                }
            }
        }
        self.base = Some(base.to_string());
    }

    pub fn parse(text: &str, path: &Path, plugin_ids: &[&str]) -> Result<Config, Error> {
        let source = Source {
            path: path.to_path_buf(),
            text: Arc::from(text),
            lines: Arc::new(LineIndex::new(text)),
        };
        let doc = toml_edit::Document::parse(text.to_string())
            .map_err(|e| source.error(e.span(), e.message().trim().to_string()))?;
        let root = doc.as_table();
        let mut config = Config {
            path: Some(path.to_path_buf()),
            source: Some(source.clone()),
            ..Config::default()
        };
        let key_span = |t: &toml_edit::Table, k: &str| t.key(k).and_then(toml_edit::Key::span);

        for (key, item) in root.iter() {
            match key {
                "rules" => {
                    let table = item
                        .as_table_like()
                        .ok_or_else(|| source.error(item.span(), "[rules] must be a table"))?;
                    for (rule, value) in table.iter() {
                        let level = value
                            .as_str()
                            .ok_or_else(|| source.error(value.span(), format!("the level of `{rule}` must be a string: off, info, warning or error")))?
                            .parse::<Level>()
                            .map_err(|m| source.error(value.span(), m))?;
                        let span = root
                            .get("rules")
                            .and_then(|r| r.as_table())
                            .and_then(|t| key_span(t, rule))
                            .or_else(|| value.span());
                        config.rules.push((rule.to_string(), level, span));
                    }
                }
                "files" => {
                    let table = item
                        .as_table()
                        .ok_or_else(|| source.error(item.span(), "[files] must be a table"))?;
                    for (k, v) in table.iter() {
                        match k {
                            "exclude" => config.exclude = glob_list(&source, v, "exclude")?,
                            "include" => config.include = glob_list(&source, v, "include")?,
                            "include-node-modules" => {
                                config.include_node_modules = v.as_bool().ok_or_else(|| {
                                    source.error(
                                        v.span(),
                                        "`include-node-modules` must be true or false",
                                    )
                                })?;
                            }
                            "max-file-size" => {
                                config.max_file_size = Some(positive(&source, v, k)?);
                            }
                            "max-files" => {
                                config.max_files = Some(
                                    usize::try_from(positive(&source, v, k)?).unwrap_or(usize::MAX),
                                );
                            }
                            other => {
                                return Err(source.error(
                                    key_span(table, other),
                                    format!("unknown key `{other}` in [files] (known: exclude, include, include-node-modules, max-file-size, max-files)"),
                                ));
                            }
                        }
                    }
                }
                "external-plugins" => {
                    let arr = item.as_array().ok_or_else(|| {
                        source.error(item.span(), "`external-plugins` must be an array of names")
                    })?;
                    for v in arr.iter() {
                        let name = v.as_str().filter(|n| {
                            !n.is_empty()
                                && n.chars()
                                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                        });
                        let name = name.ok_or_else(|| {
                            source.error(v.span(), "an external plugin is named by a plain name (`foo` runs `chainward-foo`)")
                        })?;
                        config.external_plugins.push((name.to_string(), v.span()));
                    }
                }
                "severity-threshold" => {
                    let s = item.as_str().ok_or_else(|| {
                        source.error(
                            item.span(),
                            "`severity-threshold` must be info, warning or error",
                        )
                    })?;
                    config.severity_threshold =
                        Some(s.parse().map_err(|m| source.error(item.span(), m))?);
                }
                "ignore" => {
                    let arr = item.as_array_of_tables().ok_or_else(|| {
                        source.error(
                            item.span(),
                            "`ignore` must be an array of tables: [[ignore]]",
                        )
                    })?;
                    for entry in arr.iter() {
                        config.ignores.push(ignore_entry(&source, entry)?);
                    }
                }
                id if plugin_ids.contains(&id) || external_section(root, id) => {
                    let table = item.as_table().ok_or_else(|| {
                        source.error(item.span(), format!("[{id}] must be a table"))
                    })?;
                    config.plugins.insert(
                        id.to_string(),
                        PluginConfig {
                            table: Some(table.clone()),
                            source: Some(source.clone()),
                        },
                    );
                }
                other => {
                    let suggestion = crate::rule::did_you_mean(
                        other,
                        [
                            "rules",
                            "files",
                            "ignore",
                            "severity-threshold",
                            "external-plugins",
                        ]
                        .iter()
                        .chain(plugin_ids.iter())
                        .copied(),
                    )
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                    return Err(source.error(
                        key_span(root, other),
                        format!("unknown key `{other}`{suggestion}"),
                    ));
                }
            }
        }
        Ok(config)
    }

    /// A command-line flag that stands for a key of a plugin's section (`--audit-level` for
    /// `[advisories] audit-level`): set over what the file says.
    pub fn set_plugin_string(&mut self, id: &str, key: &str, value: &str) {
        let section = self.plugins.entry(id.to_string()).or_default();
        section
            .table
            .get_or_insert_with(toml_edit::Table::new)
            .insert(key, toml_edit::value(value));
    }

    /// This plugin's section (empty if the file has none).
    pub fn plugin(&self, id: &str) -> PluginConfig {
        self.plugins.get(id).cloned().unwrap_or_default()
    }

    /// A config error at `span` of the config file.
    pub fn error_at(&self, span: Option<Range<usize>>, message: impl Into<String>) -> Error {
        match &self.source {
            Some(source) => source.error(span, message),
            None => Error::Usage(message.into()),
        }
    }

    /// Line/column of a span of the config file, for findings about the config itself.
    pub fn line_col(
        &self,
        span: &Range<usize>,
    ) -> Option<(crate::span::LineCol, crate::span::LineCol)> {
        let s = self.source.as_ref()?;
        Some((
            s.lines.line_col(&s.text, span.start),
            s.lines.line_col(&s.text, span.end),
        ))
    }
}

/// Whether `id` is named in `external-plugins` (its section is then that plugin's config).
fn external_section(root: &toml_edit::Table, id: &str) -> bool {
    root.get("external-plugins")
        .and_then(toml_edit::Item::as_array)
        .is_some_and(|a| a.iter().any(|v| v.as_str() == Some(id)))
}

fn positive(source: &Source, v: &toml_edit::Item, key: &str) -> Result<u64, Error> {
    v.as_integer()
        .and_then(|i| u64::try_from(i).ok())
        .filter(|&i| i > 0)
        .ok_or_else(|| source.error(v.span(), format!("`{key}` must be a positive integer")))
}

fn ignore_entry(source: &Source, entry: &toml_edit::Table) -> Result<IgnoreEntry, Error> {
    let span = entry.span().unwrap_or(0..0);
    let get_str = |key: &str| -> Result<Option<(String, Span)>, Error> {
        match entry.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(|s| Some((s.to_string(), v.span())))
                .ok_or_else(|| source.error(v.span(), format!("`{key}` must be a string"))),
        }
    };
    for (k, _) in entry.iter() {
        if !["rule", "path", "reason"].contains(&k) {
            return Err(source.error(
                entry.key(k).and_then(toml_edit::Key::span),
                format!("unknown key `{k}` in [[ignore]] (known: rule, path, reason)"),
            ));
        }
    }
    let (rule, rule_span) = get_str("rule")?
        .ok_or_else(|| source.error(Some(span.clone()), "[[ignore]] entry without `rule`"))?;
    let path = get_str("path")?;
    if let Some((glob, s)) = &path {
        globset::Glob::new(glob)
            .map_err(|e| source.error(s.clone(), format!("invalid glob: {e}")))?;
    }
    let reason = match get_str("reason")? {
        Some((r, _)) if !r.trim().is_empty() => r,
        Some((_, s)) => {
            return Err(source.error(s, "the `reason` of an [[ignore]] entry must not be empty"));
        }
        None => {
            return Err(source.error(
                Some(span),
                format!(
                    "[[ignore]] entry for `{rule}` has no `reason`: every suppression must say why"
                ),
            ));
        }
    };
    Ok(IgnoreEntry {
        elsewhere: false,
        rule,
        path: path.map(|(p, _)| p),
        reason,
        span: span.clone(),
        rule_span: rule_span.unwrap_or(span),
    })
}

fn table_to_json(table: &dyn toml_edit::TableLike) -> serde_json::Value {
    serde_json::Value::Object(
        table
            .iter()
            .map(|(k, v)| (k.to_string(), item_to_json(v)))
            .collect(),
    )
}

fn item_to_json(item: &toml_edit::Item) -> serde_json::Value {
    match item {
        toml_edit::Item::None => serde_json::Value::Null,
        toml_edit::Item::Value(v) => value_to_json(v),
        toml_edit::Item::Table(t) => table_to_json(t),
        toml_edit::Item::ArrayOfTables(a) => {
            serde_json::Value::Array(a.iter().map(|t| table_to_json(t)).collect())
        }
    }
}

fn value_to_json(value: &toml_edit::Value) -> serde_json::Value {
    use toml_edit::Value;
    match value {
        Value::String(s) => serde_json::Value::String(s.value().clone()),
        Value::Integer(i) => serde_json::Value::from(*i.value()),
        Value::Float(f) => serde_json::Value::from(*f.value()),
        Value::Boolean(b) => serde_json::Value::Bool(*b.value()),
        Value::Datetime(d) => serde_json::Value::String(d.value().to_string()),
        Value::Array(a) => serde_json::Value::Array(a.iter().map(value_to_json).collect()),
        Value::InlineTable(t) => table_to_json(t),
    }
}

/// A gitignore-style glob relative to a folder, made relative to its subfolder `base`
/// (`packages/cli`): `None` when it can match nothing below `base`. A glob without a slash
/// (other than a trailing one) matches at any depth and is kept; an anchored one loses the
/// leading segments that match `base` (by glob, so `packages/*/fixtures/**` applies to every
/// package); a `**` segment matches what is left of `base`, so the rest of the glob is kept
/// after it.
pub fn rebase_glob(glob: &str, base: &str) -> Option<String> {
    let anchored = glob.trim_start_matches('/');
    if !anchored.trim_end_matches('/').contains('/') && !glob.starts_with('/') {
        return Some(glob.to_string());
    }
    let mut segments = anchored.split('/').peekable();
    for part in base.split('/') {
        match segments.peek() {
            Some(&"**") => return Some(segments.collect::<Vec<_>>().join("/")),
            Some(seg) => {
                if !segment_matches(seg, part) {
                    return None;
                }
                segments.next();
            }
            // The glob names a folder above (or at) `base`: everything below it.
            None => return Some("**".to_string()),
        }
    }
    let rest: Vec<&str> = segments.collect();
    if rest.is_empty() || rest == [""] {
        Some("**".to_string())
    } else {
        Some(rest.join("/"))
    }
}

/// Whether one segment of a glob matches one folder name. A segment without a glob's special
/// characters is the name itself: it is compared, not compiled into a matcher (a regex, built
/// on the path of every run that finds its config above the folder it checks).
fn segment_matches(segment: &str, name: &str) -> bool {
    if !segment.contains(['*', '?', '[', ']', '{', '}', '\\']) {
        return segment == name;
    }
    globset::Glob::new(segment)
        .map(|g| g.compile_matcher().is_match(name))
        .unwrap_or(false)
}

/// [`rebase_glob`] for a gitignore-style pattern: what was anchored stays anchored.
fn rebase_gitignore(glob: &str, base: &str) -> Option<String> {
    let rebased = rebase_glob(glob, base)?;
    let anchored = glob.starts_with('/') || glob.trim_end_matches('/').contains('/');
    Some(if anchored && !rebased.starts_with("**") {
        format!("/{rebased}")
    } else {
        rebased
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A segment compared as a name matches exactly the names its compiled glob matches.
    #[test]
    fn plain_segments_match_as_their_globs_do() {
        let names = [
            "",
            "a",
            "A",
            "fixtures",
            "fixture",
            "fixturesx",
            "packages",
            "cli",
            ".git",
            "a.b",
            "a b",
            "@scope",
            "é",
            "-",
            "!a",
            "a/b",
        ];
        for segment in names {
            for name in names {
                let compiled = globset::Glob::new(segment)
                    .map(|g| g.compile_matcher().is_match(name))
                    .unwrap_or(false);
                assert_eq!(
                    segment_matches(segment, name),
                    compiled,
                    "{segment:?} {name:?}"
                );
            }
        }
        // Special characters still go to the matcher.
        assert!(segment_matches("pack*", "packages"));
        assert!(segment_matches("[pq]ackages", "packages"));
        assert!(segment_matches("{apps,packages}", "packages"));
        assert!(!segment_matches("pack?", "packages"));
        assert!(segment_matches("\\*", "*"));
    }

    #[test]
    fn globs_are_rebased_onto_a_subfolder() {
        let r = |g: &str| rebase_glob(g, "packages/cli");
        // Unanchored: any depth, unchanged.
        assert_eq!(r("fixtures").as_deref(), Some("fixtures"));
        assert_eq!(r("*.log").as_deref(), Some("*.log"));
        assert_eq!(r("fixtures/").as_deref(), Some("fixtures/"));
        // Anchored: the leading segments that match the subfolder go, by glob.
        assert_eq!(r("packages/cli/vendor/**").as_deref(), Some("vendor/**"));
        assert_eq!(r("/packages/cli/vendor").as_deref(), Some("vendor"));
        assert_eq!(r("packages/*/fixtures/**").as_deref(), Some("fixtures/**"));
        assert_eq!(r("packages/**/dist").as_deref(), Some("**/dist"));
        assert_eq!(r("**/dist/**").as_deref(), Some("**/dist/**"));
        // The whole subfolder, or a folder above it.
        assert_eq!(r("packages/**").as_deref(), Some("**"));
        assert_eq!(r("packages/cli").as_deref(), Some("**"));
        // Elsewhere.
        assert_eq!(r("packages/web/**"), None);
        assert_eq!(r("apps/cli/x"), None);
        // Gitignore patterns stay anchored.
        assert_eq!(
            rebase_gitignore("packages/cli/vendor", "packages/cli").as_deref(),
            Some("/vendor")
        );
        assert_eq!(
            rebase_gitignore("vendor", "packages/cli").as_deref(),
            Some("vendor")
        );
    }

    #[test]
    fn ignore_without_reason_names_line_and_column() {
        let text = "[[ignore]]\nrule = \"pin-check/range-specifier\"\npath = \"a/package.json\"\n";
        let err = Config::parse(text, Path::new("chainward.toml"), &[]).expect_err("no reason");
        let msg = err.to_string();
        assert!(msg.starts_with("chainward.toml:1:"), "{msg}");
        assert!(msg.contains("no `reason`"), "{msg}");
    }

    #[test]
    fn unknown_level_and_key_point_at_the_value() {
        let err = Config::parse(
            "[rules]\n\"pin-check/dist-tag\" = \"loud\"\n",
            Path::new("c.toml"),
            &[],
        )
        .expect_err("bad level");
        assert!(err.to_string().starts_with("c.toml:2:"), "{err}");
        let err =
            Config::parse("[pin-chek]\n", Path::new("c.toml"), &["pin-check"]).expect_err("typo");
        assert!(
            err.to_string().contains("did you mean `pin-check`"),
            "{err}"
        );
    }

    #[test]
    fn plugin_sections_keep_spans() {
        let cfg = Config::parse(
            "[pin-check]\npeer-dependencies = 3\n",
            Path::new("c.toml"),
            &["pin-check"],
        )
        .expect("valid toml");
        let err = cfg
            .plugin("pin-check")
            .get_bool("peer-dependencies")
            .expect_err("not a bool");
        assert!(err.to_string().starts_with("c.toml:2:21"), "{err}");
    }
}
