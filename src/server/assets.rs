//! The browser half's files. In a release build their names carry a hash of their content
//! (`insforge-auth.<hash>.wasm`), listed in `hash.txt` beside the server binary, as
//! `cargo leptos build --release` and `scripts/build-site.sh` write it and as Leptos reads it
//! for the page's `<script>` and `<link>`: browsers may keep those for a year, since a new build
//! has new names. Everything else in the site root is kept for a day; pages and server
//! functions are never kept (`headers`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use leptos::config::LeptosOptions;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Files without a hash in their name (the favicon; the browser half of a debug build): kept a
/// little while, then asked for again.
const BRIEFLY: &str = "public, max-age=86400";

#[derive(Debug, thiserror::Error)]
pub enum AssetsError {
    #[error(
        "{path}: {reason}. Release builds serve the site's files under content-hashed names \
         listed there: build with scripts/build-site.sh (or `cargo leptos build --release`), \
         or set LEPTOS_HASH_FILES=false to serve unhashed names"
    )]
    HashFile { path: PathBuf, reason: String },
    #[error(
        "{0} is missing: the site under LEPTOS_SITE_ROOT is not from the build hash.txt describes; build it again"
    )]
    Missing(PathBuf),
}

/// The request paths of the content-hashed files (empty when names are not hashed).
#[derive(Debug, Default, Clone)]
pub struct Assets {
    immutable: Arc<HashSet<String>>,
}

impl Assets {
    /// Reads the hashes Leptos will name the files by, and checks the files are there: a build
    /// that does not match the binary stops the server at start rather than break every page.
    pub fn load(options: &LeptosOptions) -> Result<Assets, AssetsError> {
        if !options.hash_files {
            return Ok(Assets::default());
        }
        let path = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(Path::to_path_buf))
            .unwrap_or_default()
            .join(options.hash_file.as_ref());
        let hash_file = |reason: String| AssetsError::HashFile {
            path: path.clone(),
            reason,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| hash_file(e.to_string()))?;
        let mut immutable = HashSet::new();
        for (ext, hash) in text
            .lines()
            .filter_map(|line| line.split_once(':'))
            .map(|(ext, hash)| (ext.trim(), hash.trim()))
        {
            if !matches!(ext, "js" | "wasm" | "css") {
                continue;
            }
            let file = format!("{}.{hash}.{ext}", options.output_name);
            let on_disk = Path::new(options.site_root.as_ref())
                .join(options.site_pkg_dir.as_ref())
                .join(&file);
            if !on_disk.is_file() {
                return Err(AssetsError::Missing(on_disk));
            }
            immutable.insert(format!("/{}/{file}", options.site_pkg_dir));
        }
        if immutable.len() != 3 {
            return Err(hash_file(
                "it should name the js, wasm and css files".into(),
            ));
        }
        Ok(Assets {
            immutable: Arc::new(immutable),
        })
    }
}

/// How long browsers may keep a file of the site root (the layer of the router's fallback,
/// which serves them).
pub async fn cache_control(State(assets): State<Assets>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let read = matches!(*request.method(), Method::GET | Method::HEAD);
    let mut response = next.run(request).await;
    let found = response.status().is_success() || response.status().as_u16() == 304;
    if !read || !found || is_html(&response) {
        return response;
    }
    let policy = if assets.immutable.contains(&path) {
        IMMUTABLE
    } else {
        BRIEFLY
    };
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(policy));
    response
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}
