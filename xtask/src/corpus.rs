//! `cargo xtask corpus [--corpus DIR]`: chainward over a local corpus of real repositories,
//! its `npm-ci/lockfile-out-of-sync` verdict per lockfile compared with the package manager's own
//! frozen install, recorded below. A table, and exit 1 on any disagreement that is not listed as
//! a known, explained exception.
//!
//! The corpus stays out of the repository: each repository is a snapshot of the commit named
//! here, unpacked as `<DIR>/<owner>+<name>/` (the search tool's `fetch`, then `git archive`).
//! The verdicts were recorded with the package managers on 2026-12-04 and 2026-12-07
//! (`--ignore-scripts`, pnpm `--ignore-pnpmfile`, the official yarn with `yarnPath`/`plugins`
//! removed from a copy and constraints checks off; nothing of the repositories executed;
//! docs/development.md has the commands); the oracles need the registry, so they are recorded
//! rather than run here. 110
//! lockfiles of 54 repositories, 18 of them MCP servers; and 91 uv.lock files of 24 Python MCP
//! server repositories, judged by uv 0.13.9 on 2026-12-05 (`uv lock --check --offline` on a copy,
//! empty cache: uv accepts a lock without resolving, or re-resolves and fails offline).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// What the package manager's frozen install said of one lockfile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Installs: chainward must report no out-of-sync error for it.
    Accepts,
    /// Refuses as out of sync: chainward must report at least one.
    Rejects,
    /// Could not be judged here (a registry or package missing from the mirror).
    Unavailable,
    /// Not read by any install (shadowed by a workspace root's lockfile).
    NotRead,
}

struct Case {
    repo: &'static str,
    commit: &'static str,
    lockfile: &'static str,
    manager: &'static str,
    verdict: Verdict,
    /// Why a disagreement is expected, if one is.
    exception: Option<&'static str>,
}

const fn case(
    repo: &'static str,
    commit: &'static str,
    lockfile: &'static str,
    manager: &'static str,
    verdict: Verdict,
) -> Case {
    Case {
        repo,
        commit,
        lockfile,
        manager,
        verdict,
        exception: None,
    }
}

/// A disagreement that is expected, and why.
const fn known(
    repo: &'static str,
    commit: &'static str,
    lockfile: &'static str,
    manager: &'static str,
    verdict: Verdict,
    why: &'static str,
) -> Case {
    Case {
        exception: Some(why),
        ..case(repo, commit, lockfile, manager, verdict)
    }
}

use Verdict::*;

const CASES: &[Case] = &[
    case(
        "Effect-TS/effect",
        "1144032cedda",
        "pnpm-lock.yaml",
        "pnpm 11.20.0",
        Unavailable,
    ),
    case(
        "GLips/Figma-Context-MCP",
        "c083d65c7e00",
        "pnpm-lock.yaml",
        "pnpm 10.10.0",
        Accepts,
    ),
    case(
        "TanStack/query",
        "40321a0b1b3b",
        "pnpm-lock.yaml",
        "pnpm 11.9.0",
        Accepts,
    ),
    case(
        "apify/actors-mcp-server",
        "6216fa406386",
        "package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "exa-labs/exa-mcp-server",
        "15ffb50519e7",
        "package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "heroku/heroku-mcp-server",
        "de94a9c50cbf",
        "package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "microsoft/playwright-mcp",
        "7e0457a7cbf8",
        "package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "mochajs/mocha",
        "e6b9ee773481",
        "package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "mochajs/mocha",
        "e6b9ee773481",
        "docs/package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "modelcontextprotocol/servers",
        "76d64c822f51",
        "package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "modelcontextprotocol/inspector",
        "86d5f58ec8c3",
        "package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "modelcontextprotocol/inspector",
        "86d5f58ec8c3",
        "clients/tui/package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "modelcontextprotocol/inspector",
        "86d5f58ec8c3",
        "clients/web/package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "modelcontextprotocol/inspector",
        "86d5f58ec8c3",
        "clients/launcher/package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "modelcontextprotocol/inspector",
        "86d5f58ec8c3",
        "clients/cli/package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "mongodb-js/mongodb-mcp-server",
        "36a405e33817",
        "pnpm-lock.yaml",
        "pnpm 11.5.1",
        Accepts,
    ),
    case(
        "prettier/prettier",
        "4f84a9342013",
        "yarn.lock",
        "yarn 4.18.1",
        Accepts,
    ),
    case(
        "punkpeye/fastmcp",
        "a97c5eb2f0c5",
        "pnpm-lock.yaml",
        "pnpm 10",
        Accepts,
    ),
    case(
        "shadcn-ui/ui",
        "1773ecfeeb4a",
        "pnpm-lock.yaml",
        "pnpm 10.33.4",
        Accepts,
    ),
    case(
        "shadcn-ui/ui",
        "1773ecfeeb4a",
        "templates/next-monorepo/pnpm-lock.yaml",
        "pnpm 10.33.4",
        Rejects,
    ),
    case(
        "shadcn-ui/ui",
        "1773ecfeeb4a",
        "templates/react-router-monorepo/pnpm-lock.yaml",
        "pnpm 10.33.4",
        Rejects,
    ),
    case(
        "shadcn-ui/ui",
        "1773ecfeeb4a",
        "templates/start-monorepo/pnpm-lock.yaml",
        "pnpm 10.33.4",
        Rejects,
    ),
    case(
        "shadcn-ui/ui",
        "1773ecfeeb4a",
        "templates/vite-monorepo/pnpm-lock.yaml",
        "pnpm 10.33.4",
        Rejects,
    ),
    case(
        "shadcn-ui/ui",
        "1773ecfeeb4a",
        "templates/astro-app/pnpm-lock.yaml",
        "pnpm 10.33.4",
        Accepts,
    ),
    case(
        "solidjs/solid",
        "f47845f9cc16",
        "pnpm-lock.yaml",
        "pnpm 9.15.0",
        Accepts,
    ),
    case(
        "tavily-ai/tavily-mcp",
        "7bcf90750ef5",
        "package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "vercel/hyper",
        "63795530f0b2",
        "yarn.lock",
        "yarn 1",
        Accepts,
    ),
    case(
        "vercel/hyper",
        "63795530f0b2",
        "app/yarn.lock",
        "yarn 1",
        Accepts,
    ),
    case(
        "vercel/mcp-handler",
        "7c8fe0a6d18e",
        "pnpm-lock.yaml",
        "pnpm 9.4.0",
        Accepts,
    ),
    case(
        "vitest-dev/vitest",
        "c3ba16b35847",
        "pnpm-lock.yaml",
        "pnpm 11.22.0",
        Accepts,
    ),
    case(
        "vueuse/vueuse",
        "1354e69588f6",
        "pnpm-lock.yaml",
        "pnpm 11.17.0",
        Accepts,
    ),
    case(
        "vueuse/vueuse",
        "1354e69588f6",
        "packages/integrations/pnpm-lock.yaml",
        "pnpm 11.17.0",
        NotRead,
    ),
    case(
        "honojs/hono",
        "28a9c128912d",
        "bun.lock",
        "bun 1.4.5",
        Accepts,
    ),
    case(
        "honojs/hono",
        "28a9c128912d",
        "benchmarks/routers/bun.lock",
        "bun 1.4.5",
        Rejects,
    ),
    case(
        "honojs/hono",
        "28a9c128912d",
        "benchmarks/query-param/package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "honojs/hono",
        "28a9c128912d",
        "benchmarks/jsx/yarn.lock",
        "yarn 1",
        Accepts,
    ),
    case(
        "jestjs/jest",
        "52db46e50404",
        "yarn.lock",
        "yarn 4.18.1",
        Accepts,
    ),
    case(
        "jestjs/jest",
        "52db46e50404",
        "e2e/pnp/yarn.lock",
        "yarn 4.18.1",
        Accepts,
    ),
    case(
        "jestjs/jest",
        "52db46e50404",
        "e2e/transform/transform-testrunner/yarn.lock",
        "yarn 4.18.1",
        Accepts,
    ),
    case(
        "jestjs/jest",
        "52db46e50404",
        "e2e/transform/transform-esm-testrunner/yarn.lock",
        "yarn 4.18.1",
        Accepts,
    ),
    case(
        "babel/babel",
        "1da3cfa1a255",
        "yarn.lock",
        "yarn 4.17.0",
        Accepts,
    ),
    case(
        "browserbase/mcp-server-browserbase",
        "1e196b3d3c4d",
        "pnpm-lock.yaml",
        "pnpm 10.12.4",
        Accepts,
    ),
    case(
        "google-gemini/gemini-cli",
        "5411f113cafa",
        "package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "google-gemini/gemini-cli",
        "5411f113cafa",
        "tools/caretaker-agent/cloudrun/egress-service/package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "google-gemini/gemini-cli",
        "5411f113cafa",
        "tools/caretaker-agent/cloudrun/ingestion-service/package-lock.json",
        "npm 11",
        Accepts,
    ),
    known(
        "LegendApp/legend-state",
        "9460e6f1cdae",
        "bun.lockb",
        "bun 1.4.5",
        Rejects,
        "bun.lockb is binary: chainward reports it as unreadable (warning) and does not judge it",
    ),
    case(
        "LegendApp/legend-state",
        "9460e6f1cdae",
        "package-lock.json",
        "npm 11",
        Rejects,
    ),
    case(
        "LegendApp/legend-state",
        "9460e6f1cdae",
        "yarn.lock",
        "yarn 1",
        Accepts,
    ),
    case(
        "mermaid-js/mermaid",
        "df032c942c32",
        "pnpm-lock.yaml",
        "pnpm 10.30.3",
        Accepts,
    ),
    case(
        "npm/cli",
        "780afc50e3a3",
        "package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "nuxt/nuxt",
        "4e0099839c3e",
        "pnpm-lock.yaml",
        "pnpm 11.22.0",
        Accepts,
    ),
    case(
        "pnpm/pnpm",
        "36e5ae6ac8d0",
        "pnpm-lock.yaml",
        "pnpm 12.0.0-rc.8",
        Unavailable,
    ),
    case(
        "pnpm/pnpm",
        "36e5ae6ac8d0",
        "pnpm11/__utils__/assert-project/test/fixture/project/pnpm-lock.yaml",
        "pnpm 7.33.7",
        Accepts,
    ),
    case(
        "pnpm/pnpm",
        "36e5ae6ac8d0",
        "pnpm11/__utils__/assert-store/test/fixture/project/pnpm-lock.yaml",
        "pnpm 9.15.9",
        Accepts,
    ),
    case(
        "pnpm/pnpm",
        "36e5ae6ac8d0",
        "pnpm11/benchmarks/fixture/pnpm-lock.yaml",
        "pnpm 12.0.0-rc.8",
        NotRead,
    ),
    case(
        "pnpm/pnpm",
        "36e5ae6ac8d0",
        "pnpm11/deps/inspection/list/example/pnpm-lock.yaml",
        "pnpm 7.33.7",
        Accepts,
    ),
    case(
        "pnpm/pnpm",
        "36e5ae6ac8d0",
        "pnpm11/deps/inspection/list/pnpm-lock.yaml",
        "pnpm 12.0.0-rc.8",
        NotRead,
    ),
    case(
        "pnpm/pnpm",
        "36e5ae6ac8d0",
        "pnpm11/deps/inspection/tree-builder/example/pnpm-lock.yaml",
        "pnpm 7.33.7",
        Accepts,
    ),
    case(
        "redhat-developer/rhdh",
        "3b46b7718ccb",
        ".ibm/yarn.lock",
        "yarn 3.8.7",
        Accepts,
    ),
    case(
        "redhat-developer/rhdh",
        "3b46b7718ccb",
        "dynamic-plugins/yarn.lock",
        "yarn 3.8.7",
        Accepts,
    ),
    case(
        "redhat-developer/rhdh",
        "3b46b7718ccb",
        "e2e-tests/yarn.lock",
        "yarn 3.8.7",
        Accepts,
    ),
    case(
        "redhat-developer/rhdh",
        "3b46b7718ccb",
        "yarn.lock",
        "yarn 3.8.7",
        Accepts,
    ),
    case(
        "reduxjs/redux-toolkit",
        "74200d87c27c",
        "examples/publish-ci/expo/yarn.lock",
        "yarn 4.4.1",
        Accepts,
    ),
    case(
        "reduxjs/redux-toolkit",
        "74200d87c27c",
        "examples/publish-ci/next/yarn.lock",
        "yarn 4.4.1",
        Accepts,
    ),
    case(
        "reduxjs/redux-toolkit",
        "74200d87c27c",
        "examples/publish-ci/node/yarn.lock",
        "yarn 4.4.1",
        Accepts,
    ),
    case(
        "reduxjs/redux-toolkit",
        "74200d87c27c",
        "examples/publish-ci/react-native/yarn.lock",
        "yarn 4.4.1",
        Accepts,
    ),
    case(
        "reduxjs/redux-toolkit",
        "74200d87c27c",
        "examples/publish-ci/vite/yarn.lock",
        "yarn 4.4.1",
        Accepts,
    ),
    case(
        "reduxjs/redux-toolkit",
        "74200d87c27c",
        "yarn.lock",
        "yarn 4.4.1",
        Accepts,
    ),
    case(
        "supabase-community/supabase-mcp",
        "17fb90f8655a",
        "pnpm-lock.yaml",
        "pnpm 10.34.9",
        Accepts,
    ),
    case(
        "TanStack/router",
        "0eb45738c07f",
        "pnpm-lock.yaml",
        "pnpm 11.21.0",
        Accepts,
    ),
    case(
        "typescript-eslint/typescript-eslint",
        "56c9ed90d0ae",
        "pnpm-lock.yaml",
        "pnpm 12.0.0-rc.7",
        Accepts,
    ),
    case(
        "upstash/context7",
        "c3248289c2ad",
        "pnpm-lock.yaml",
        "pnpm 10.34.9",
        Accepts,
    ),
    case(
        "vitejs/vite",
        "a98c8d95d552",
        "pnpm-lock.yaml",
        "pnpm 10.34.5",
        Accepts,
    ),
    // Python MCP servers: uv.lock judged by `uv lock --check --offline` (uv 0.13.9) on a copy
    // with an empty cache (Python downloads off, no build), 2026-12-05. The two not judged have
    // dynamic metadata that only a build reveals.
    case(
        "FinnMacCumail/mcp-netbox",
        "93cf6bc839ec",
        "uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "GongRzhe/Office-Word-MCP-Server",
        "568d8d8a1f70",
        "uv.lock",
        "uv 0.13.9",
        Rejects,
    ),
    case(
        "MarkusPfundstein/mcp-obsidian",
        "eb33932a66ee",
        "uv.lock",
        "uv 0.13.9",
        Rejects,
    ),
    case(
        "PrefectHQ/fastmcp",
        "743ddffd0a07",
        "examples/testing_demo/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "PrefectHQ/fastmcp",
        "743ddffd0a07",
        "uv.lock",
        "uv 0.13.9",
        Unavailable,
    ),
    case(
        "Snowflake-Labs/mcp",
        "933a5f3f78bc",
        "uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "ahujasid/blender-mcp",
        "da4e16d2069c",
        "uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "samples/mcp-integration-with-kb/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "samples/mcp-integration-with-nova-canvas/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/amazon-bedrock-agentcore-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/amazon-kendra-index-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/amazon-keyspaces-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/amazon-mq-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/amazon-neptune-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/amazon-qbusiness-anonymous-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/amazon-qindex-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/amazon-sns-sqs-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/amazon-translate-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/aurora-dsql-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/aws-api-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/aws-appsync-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/aws-bedrock-custom-model-import-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/aws-dataprocessing-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/aws-documentation-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/aws-for-sap-management-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/aws-healthomics-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/aws-iac-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/aws-iot-sitewise-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/aws-location-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/aws-network-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/aws-pricing-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/aws-serverless-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/aws-support-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/aws-transform-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/bedrock-kb-retrieval-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/billing-cost-management-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/ccapi-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/cloudtrail-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/cloudwatch-applicationsignals-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/cloudwatch-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/document-loader-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/documentdb-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/dynamodb-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/ecs-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/eks-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/elasticache-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/finch-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/healthimaging-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/healthlake-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/iam-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/lambda-tool-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/mcp-lambda-handler/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/memcached-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/mssql-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/mysql-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/openapi-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/oracle-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/postgres-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/prometheus-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/redshift-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/roda-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/s3-tables-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/sagemaker-ai-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/security-agent-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/stepfunctions-tool-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/timestream-for-influxdb-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/valkey-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "awslabs/mcp",
        "100b55b6d92f",
        "src/well-architected-security-mcp-server/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "blazickjp/arxiv-mcp-server",
        "78eaa8418ee8",
        "uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "chroma-core/chroma-mcp",
        "078dc678636b",
        "uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "haris-musa/excel-mcp-server",
        "f0c0ecdcd7e5",
        "uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "kagisearch/kagimcp",
        "17c4dfd25fbf",
        "uv.lock",
        "uv 0.13.9",
        Rejects,
    ),
    case(
        "langchain-ai/langchain-mcp-adapters",
        "cc0f2843fd5b",
        "examples/servers/streamable-http-stateless/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "langchain-ai/langchain-mcp-adapters",
        "cc0f2843fd5b",
        "uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "lastmile-ai/mcp-agent",
        "04cae7ea5ba3",
        "uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "modelcontextprotocol/python-sdk",
        "57394b0548d1",
        "uv.lock",
        "uv 0.13.9",
        Unavailable,
    ),
    case(
        "modelcontextprotocol/servers",
        "76d64c822f51",
        "src/fetch/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "modelcontextprotocol/servers",
        "76d64c822f51",
        "src/git/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "modelcontextprotocol/servers",
        "76d64c822f51",
        "src/time/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "motherduckdb/mcp-server-motherduck",
        "adef923b4242",
        "uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "neo4j-contrib/mcp-neo4j",
        "dbc01ba78f17",
        "servers/mcp-neo4j-cloud-aura-api/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "neo4j-contrib/mcp-neo4j",
        "dbc01ba78f17",
        "servers/mcp-neo4j-cypher/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "neo4j-contrib/mcp-neo4j",
        "dbc01ba78f17",
        "servers/mcp-neo4j-data-modeling/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "neo4j-contrib/mcp-neo4j",
        "dbc01ba78f17",
        "servers/mcp-neo4j-memory/uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "oraios/serena",
        "7fcbca7e6255",
        "uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "pydantic/logfire-mcp",
        "9850c41df974",
        "uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "qdrant/mcp-server-qdrant",
        "e4ec69b2daa1",
        "uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "redis/mcp-redis",
        "5945b0b5b098",
        "uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "sooperset/mcp-atlassian",
        "436b37e4854a",
        "uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "tadata-org/fastapi_mcp",
        "e5cad13cabfc",
        "uv.lock",
        "uv 0.13.9",
        Accepts,
    ),
    case(
        "zcaceres/markdownify-mcp",
        "024f97cea9a9",
        "uv.lock",
        "uv 0.13.9",
        Rejects,
    ),
    // Added 2026-12-07 (a sweep of 17 repositories; verdicts by the package managers named,
    // run on copies with --ignore-scripts, pnpm --ignore-pnpmfile, yarn without its
    // yarnPath and plugins).
    case(
        "modelcontextprotocol/typescript-sdk",
        "3924de99df83",
        "pnpm-lock.yaml",
        "pnpm 10.26.1",
        Accepts,
    ),
    case(
        "cloudflare/mcp-server-cloudflare",
        "70ff69055372",
        "pnpm-lock.yaml",
        "pnpm 10.8.0",
        Accepts,
    ),
    case(
        "makenotion/notion-mcp-server",
        "1d38420769c8",
        "package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "wonderwhy-er/DesktopCommanderMCP",
        "1eccc8b09cc0",
        "package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "executeautomation/mcp-playwright",
        "2349c2891e7c",
        "package-lock.json",
        "npm 11",
        Rejects,
    ),
    case(
        "executeautomation/mcp-playwright",
        "2349c2891e7c",
        "docs/package-lock.json",
        "npm 11",
        Accepts,
    ),
    case(
        "firecrawl/firecrawl-mcp-server",
        "678c92a43084",
        "pnpm-lock.yaml",
        "pnpm 10.34.9",
        Accepts,
    ),
    case(
        "stripe/agent-toolkit",
        "57599ddf4e66",
        "llm/ai-sdk/pnpm-lock.yaml",
        "pnpm 9.15.9",
        Accepts,
    ),
    case(
        "stripe/agent-toolkit",
        "57599ddf4e66",
        "llm/token-meter/pnpm-lock.yaml",
        "pnpm 9.15.9",
        Accepts,
    ),
    case(
        "stripe/agent-toolkit",
        "57599ddf4e66",
        "tools/modelcontextprotocol/pnpm-lock.yaml",
        "pnpm 9.11.0",
        Accepts,
    ),
    case(
        "stripe/agent-toolkit",
        "57599ddf4e66",
        "tools/typescript/pnpm-lock.yaml",
        "pnpm 9.11.0",
        Accepts,
    ),
    case(
        "vercel/ai",
        "ed857f50f112",
        "pnpm-lock.yaml",
        "pnpm 10.33.4",
        Accepts,
    ),
    case(
        "vercel/ai",
        "ed857f50f112",
        "packages/harness-acp/src/v1/bridge/pnpm-lock.yaml",
        "pnpm 9.15.9",
        Accepts,
    ),
    case(
        "vercel/ai",
        "ed857f50f112",
        "packages/harness-codex/src/bridge/pnpm-lock.yaml",
        "pnpm 9.15.9",
        Accepts,
    ),
    case(
        "vercel/ai",
        "ed857f50f112",
        "packages/harness-deepagents/src/bridge/pnpm-lock.yaml",
        "pnpm 9.15.9",
        Accepts,
    ),
    case(
        "vercel/ai",
        "ed857f50f112",
        "packages/harness-grok-build/src/bridge/pnpm-lock.yaml",
        "pnpm 9.15.9",
        Accepts,
    ),
    case(
        "vercel/ai",
        "ed857f50f112",
        "packages/harness-opencode/src/bridge/pnpm-lock.yaml",
        "pnpm 9.15.9",
        Accepts,
    ),
    case(
        "vercel/ai",
        "ed857f50f112",
        "packages/harness-claude-code/src/bridge/pnpm-lock.yaml",
        "pnpm 10.34.9",
        Accepts,
    ),
    case(
        "withastro/astro",
        "99d3d3dbbfa4",
        "pnpm-lock.yaml",
        "pnpm 11.13.1 (trust policy off: the mirror lacks time data)",
        Accepts,
    ),
    case(
        "sveltejs/kit",
        "aa810a04146b",
        "pnpm-lock.yaml",
        "pnpm 11.19.0",
        Accepts,
    ),
    case(
        "elysiajs/elysia",
        "8358ff9efbce",
        "bun.lock",
        "bun 1.4.5",
        Accepts,
    ),
    case(
        "elysiajs/elysia",
        "8358ff9efbce",
        "test/node/cjs/pnpm-lock.yaml",
        "pnpm 8",
        Accepts,
    ),
    case(
        "elysiajs/elysia",
        "8358ff9efbce",
        "test/node/esm/pnpm-lock.yaml",
        "pnpm 8",
        Accepts,
    ),
    case(
        "elysiajs/elysia",
        "8358ff9efbce",
        "test/node/cjs/bun.lockb",
        "bun 1.4.5",
        Unavailable,
    ),
    case(
        "elysiajs/elysia",
        "8358ff9efbce",
        "test/node/esm/bun.lockb",
        "bun 1.4.5",
        Unavailable,
    ),
    known(
        "elysiajs/elysia",
        "8358ff9efbce",
        "test/cloudflare/package-lock.json",
        "npm 11",
        Rejects,
        "committed, but test/cloudflare/.gitignore lists it: the corpus copy has no .git, so chainward skips it as ignored; in a git checkout it reads it and reports npm's 45 `Missing:` errors",
    ),
    case(
        "t3-oss/create-t3-app",
        "c74237d63769",
        "pnpm-lock.yaml",
        "pnpm 10.8.0",
        Accepts,
    ),
    case(
        "remix-run/react-router",
        "cab1a69054aa",
        "pnpm-lock.yaml",
        "pnpm 11.7.0",
        Accepts,
    ),
    case(
        "emotion-js/emotion",
        "b882bcba8513",
        "yarn.lock",
        "yarn 3.2.3",
        Accepts,
    ),
    case(
        "reduxjs/react-redux",
        "a742e64a673b",
        "yarn.lock",
        "yarn 4.18.1",
        Accepts,
    ),
    case(
        "reduxjs/react-redux",
        "a742e64a673b",
        "website/yarn.lock",
        "yarn 4.18.1",
        Accepts,
    ),
    case(
        "reduxjs/react-redux",
        "a742e64a673b",
        "examples/publish-ci/rr-rsc-context/yarn.lock",
        "yarn 4.18.1",
        Accepts,
    ),
    case(
        "anthropics/claude-code-action",
        "24dcd50c0568",
        "bun.lock",
        "bun 1.4.5",
        Accepts,
    ),
    case(
        "anthropics/claude-code-action",
        "24dcd50c0568",
        "base-action/bun.lock",
        "bun 1.4.5",
        Accepts,
    ),
    case(
        "anthropics/claude-code-action",
        "24dcd50c0568",
        "base-action/package-lock.json",
        "npm 11",
        Rejects,
    ),
    case(
        "anthropics/claude-code-action",
        "24dcd50c0568",
        "base-action/test/mcp-test/bun.lock",
        "bun 1.4.5",
        Rejects,
    ),
    case(
        "facebook/lexical",
        "5d5102235132",
        "pnpm-lock.yaml",
        "pnpm 10.34.1",
        Accepts,
    ),
];

const LOCKFILES: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    "bun.lock",
    "bun.lockb",
    "uv.lock",
];

pub fn run(args: &[String]) -> Result<()> {
    let root = crate::workspace_root();
    let corpus = args
        .iter()
        .position(|a| a == "--corpus")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("CHAINWARD_CORPUS").map(PathBuf::from))
        .unwrap_or_else(|| root.join("target/corpus"));
    // `--exe PATH`: another build (an earlier version, to see what changed).
    let exe = match args
        .iter()
        .position(|a| a == "--exe")
        .and_then(|i| args.get(i + 1))
    {
        // Absolute: chainward runs in each repository's folder.
        Some(exe) => std::fs::canonicalize(exe).with_context(|| format!("--exe {exe}"))?,
        None => crate::release_binary(&root)?,
    };
    println!(
        "chainward corpus: {} (recorded verdicts of {} lockfiles)\n",
        corpus.display(),
        CASES.len()
    );
    println!(
        "{:<34} {:<48} {:<13} {:<11} {:>9}  result",
        "repository", "lockfile", "manager", "verdict", "chainward"
    );
    let mut by_repo: BTreeMap<&str, Vec<&Case>> = BTreeMap::new();
    for c in CASES {
        by_repo.entry(c.repo).or_default().push(c);
    }
    let (mut agree, mut disagree, mut skipped) = (0, 0, 0);
    let mut failures = Vec::new();
    for (repo, cases) in by_repo {
        let dir = corpus.join(repo.replace('/', "+"));
        if !dir.is_dir() {
            println!(
                "{repo:<34} (not in the corpus: fetch {repo} at {} into {})",
                cases[0].commit,
                dir.display()
            );
            skipped += cases.len();
            continue;
        }
        let errors = out_of_sync_by_lockfile(&exe, &dir)?;
        for c in cases {
            let found = errors.get(c.lockfile).copied().unwrap_or(0);
            let ok = match c.verdict {
                Accepts | NotRead => found == 0,
                Rejects => found > 0,
                Unavailable => true,
            };
            let result = match (c.verdict, ok, c.exception) {
                (Unavailable, _, _) => "not judged".to_string(),
                (_, true, _) => "agree".to_string(),
                (_, false, Some(why)) => format!("known exception: {why}"),
                (_, false, None) => "DISAGREE".to_string(),
            };
            match (c.verdict, ok, c.exception) {
                (Unavailable, _, _) => skipped += 1,
                (_, true, _) => agree += 1,
                (_, false, Some(_)) => agree += 1,
                (_, false, None) => {
                    disagree += 1;
                    failures.push(format!("{repo} {}", c.lockfile));
                }
            }
            println!(
                "{:<34} {:<48} {:<13} {:<11} {:>9}  {result}",
                repo,
                c.lockfile,
                c.manager,
                format!("{:?}", c.verdict).to_lowercase(),
                found
            );
        }
    }
    println!("\n{agree} agree, {disagree} disagree, {skipped} not judged or not in the corpus");
    if !failures.is_empty() {
        bail!(
            "chainward disagrees with the package manager on: {}",
            failures.join(", ")
        );
    }
    Ok(())
}

/// `npm-ci/lockfile-out-of-sync` errors per lockfile (relative to `dir`): each finding counts for
/// the lockfile whose folder is the nearest above the file it points at.
fn out_of_sync_by_lockfile(exe: &Path, dir: &Path) -> Result<BTreeMap<String, usize>> {
    let out = Command::new(exe)
        .args([
            "check",
            "--format",
            "json",
            "--select",
            "npm-ci/lockfile-out-of-sync",
            ".",
        ])
        .current_dir(dir)
        .output()
        .with_context(|| format!("running chainward in {}", dir.display()))?;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "chainward in {}: not JSON ({})",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .next()
                .unwrap_or("")
        )
    })?;
    let mut counts = BTreeMap::new();
    for f in json["findings"].as_array().into_iter().flatten() {
        if f["severity"] != "error" {
            continue;
        }
        let Some(path) = f["location"]["path"].as_str() else {
            continue;
        };
        if let Some(lock) = nearest_lockfile(dir, path) {
            *counts.entry(lock).or_insert(0) += 1;
        }
    }
    Ok(counts)
}

/// The lockfile in the folder of `path` or the nearest folder above it (within `dir`).
fn nearest_lockfile(dir: &Path, path: &str) -> Option<String> {
    let mut folder = Path::new(path).parent().map(Path::to_path_buf);
    if LOCKFILES.iter().any(|l| path.ends_with(l)) {
        return Some(path.to_string());
    }
    while let Some(f) = folder {
        for name in LOCKFILES {
            let candidate = f.join(name);
            if dir.join(&candidate).is_file() {
                return Some(candidate.to_string_lossy().replace('\\', "/"));
            }
        }
        folder = f.parent().map(Path::to_path_buf);
    }
    None
}
