//! Solid's JSX: compiled by `babel-preset-solid` (from the project) in the Node helper, with
//! `solid-refresh` in dev so an edited component is swapped in and keeps its signals. Two
//! transform steps, each with its source map: oxc strips TypeScript from `.tsx` files (JSX
//! kept), then Babel compiles the JSX to JavaScript. React's JSX transform never sees them.

use std::sync::Arc;

use nexxo_diagnostics::Diagnostic;
use nexxo_pipeline::{HookFilter, Hooks, Lang, ModuleHost, Plugin, TransformArgs, Transformed};
use serde_json::{json, Map};

use crate::compilers::NodeCompilers;
use crate::strip_types::strip_types;
use crate::FrameworkMode;

/// The project's own JSX and TSX files (packages ship compiled code).
fn solid_filter() -> HookFilter {
    HookFilter::extensions(&["jsx", "tsx"]).without_packages()
}

/// `.tsx` → JSX: the TypeScript removed by oxc, the JSX left for Babel.
pub struct SolidTypeStrip {
    pub root: std::path::PathBuf,
}

impl Plugin for SolidTypeStrip {
    fn name(&self) -> &str {
        "nexxo:solid-types"
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            transform: Some(solid_filter()),
            ..Hooks::default()
        }
    }

    fn transform(
        &self,
        args: &TransformArgs,
        _host: &dyn ModuleHost,
    ) -> Result<Option<Transformed>, Diagnostic> {
        if args.lang != Lang::Tsx {
            return Ok(None);
        }
        let path = std::path::Path::new(nexxo_pipeline::ids::split_query(args.id).0);
        let display = nexxo_css::relative_name(&self.root, path);
        let stripped = strip_types(&display, args.code, true)?;
        Ok(Some(Transformed {
            code: stripped.code,
            map: stripped.map,
            files: Vec::new(),
            lang: Some(Lang::Jsx),
        }))
    }
}

/// JSX → JavaScript through `babel-preset-solid` (and `solid-refresh` in dev).
pub struct SolidJsx {
    compilers: Arc<NodeCompilers>,
    mode: FrameworkMode,
}

impl SolidJsx {
    pub fn new(compilers: Arc<NodeCompilers>, mode: FrameworkMode) -> Self {
        Self { compilers, mode }
    }
}

impl Plugin for SolidJsx {
    fn name(&self) -> &str {
        "nexxo:solid"
    }

    fn hooks(&self) -> Hooks {
        Hooks {
            transform: Some(solid_filter()),
            ..Hooks::default()
        }
    }

    fn transform(
        &self,
        args: &TransformArgs,
        _host: &dyn ModuleHost,
    ) -> Result<Option<Transformed>, Diagnostic> {
        if args.lang != Lang::Jsx {
            return Ok(None);
        }
        let path = nexxo_pipeline::ids::split_query(args.id).0;
        let mut request = Map::new();
        request.insert("filename".into(), json!(path));
        request.insert("source".into(), json!(args.code));
        request.insert("production".into(), json!(self.mode.production));
        request.insert("hmr".into(), json!(self.mode.hmr));
        let result = self
            .compilers
            .run("solid.compile", "babel-preset-solid", request)?;
        let code = result["code"].as_str().unwrap_or_default().to_string();
        let map = match &result["map"] {
            serde_json::Value::Null => None,
            serde_json::Value::String(json) => Some(json.clone()),
            map => Some(map.to_string()),
        };
        Ok(Some(Transformed {
            code,
            map,
            files: Vec::new(),
            lang: Some(Lang::Js),
        }))
    }
}
