//! The browser half's files. In a release build their names carry a hash of their content
//! (`insforge-auth.<hash>.wasm`), listed in `hash.txt` beside the server binary, as
//! `cargo leptos build --release` and `scripts/build-site.sh` write it; read once at start, the
//! names go to every page (`browser::BrowserFiles`): browsers may keep those files for a year,
//! since a new build has new names. Everything else in the site root is kept for a day; pages
//! and server functions are never kept (`headers`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::config::LeptosOptions;

use crate::browser::BrowserFiles;
use crate::paths::HEALTH;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Files without a hash in their name beside hashed ones (the favicon): kept a day.
const BRIEFLY: &str = "public, max-age=86400";
/// Without hashed names (a debug build, `LEPTOS_HASH_FILES=false`) the same names change
/// content with every build: asked for again each time.
const UNHASHED: &str = "no-cache";

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

/// The browser's files: their names, and which request paths are content-hashed (none when
/// names are not hashed).
#[derive(Debug, Default, Clone)]
pub struct Assets {
    pub files: BrowserFiles,
    /// Served by the server itself (`script_route`).
    pub scripts: Vec<Script>,
    immutable: Arc<HashSet<String>>,
}

/// A script the server carries in its binary (`src/enhance.js`, `src/islands.js`), served under
/// a name with a hash of its content: kept by browsers for good, like the build's files, and
/// not sent again with every page, as it would be inline.
#[derive(Debug, Clone)]
pub struct Script {
    pub path: String,
    pub body: Bytes,
    /// The body in gzip at its best level, made once at start (the gzip layer's fastest level
    /// made enhance.js 4.3 KB on the wire for every first visit, not 3.0).
    pub gzipped: Option<Bytes>,
}

impl Script {
    fn new(options: &LeptosOptions, stem: &str, body: String) -> Script {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(body.as_bytes());
        let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Script {
            path: format!("/{}/{stem}.{hash}.js", options.site_pkg_dir),
            gzipped: super::gzip::compress_once(body.as_bytes()),
            body: Bytes::from(body),
        }
    }

    fn all(options: &LeptosOptions) -> [Script; 2] {
        [
            Script::new(
                options,
                "enhance",
                include_str!("../enhance.js").replace("__HEALTH__", HEALTH),
            ),
            Script::new(options, "islands", include_str!("../islands.js").into()),
        ]
    }
}

/// Serves a `Script`.
pub fn script_route<S: Clone + Send + Sync + 'static>(
    script: &Script,
) -> axum::routing::MethodRouter<S> {
    let (body, gzipped) = (script.body.clone(), script.gzipped.clone());
    axum::routing::get(move |request: HeaderMap| {
        // References to the bytes made at start, not copies.
        let gzipped = gzipped
            .clone()
            .filter(|_| super::gzip::accepts_gzip(&request));
        let body = body.clone();
        async move {
            let headers = [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, IMMUTABLE),
                (header::VARY, "accept-encoding"),
            ];
            match gzipped {
                Some(gzipped) => {
                    (headers, [(header::CONTENT_ENCODING, "gzip")], gzipped).into_response()
                }
                None => (headers, body).into_response(),
            }
        }
    })
}

impl Assets {
    /// Reads the hashes the files are named by, and checks the files are there: a build that
    /// does not match the binary stops the server at start rather than break every page.
    pub fn load(options: &LeptosOptions) -> Result<Assets, AssetsError> {
        let name = |ext: &str, hash: Option<&str>| {
            let pkg = &options.site_pkg_dir;
            let output = &options.output_name;
            match hash {
                Some(hash) => format!("/{pkg}/{output}.{hash}.{ext}"),
                // wasm-bindgen's own name, unless cargo-leptos named it (as Leptos decides).
                None if ext == "wasm" && option_env!("LEPTOS_OUTPUT_NAME").is_none() => {
                    format!("/{pkg}/{output}_bg.wasm")
                }
                None => format!("/{pkg}/{output}.{ext}"),
            }
        };
        let scripts = Script::all(options);
        let [enhance, islands] = scripts.clone().map(|s| s.path);
        let scripts = scripts.to_vec();
        if !options.hash_files {
            return Ok(Assets {
                files: BrowserFiles {
                    js: name("js", None),
                    wasm: name("wasm", None),
                    css: name("css", None),
                    enhance,
                    islands,
                },
                scripts,
                immutable: Arc::default(),
            });
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
        let mut files = BrowserFiles {
            enhance,
            islands,
            ..BrowserFiles::default()
        };
        for (ext, hash) in text
            .lines()
            .filter_map(|line| line.split_once(':'))
            .map(|(ext, hash)| (ext.trim(), hash.trim()))
        {
            if !matches!(ext, "js" | "wasm" | "css") {
                continue;
            }
            let path = name(ext, Some(hash));
            let on_disk = Path::new(options.site_root.as_ref()).join(&path[1..]);
            if !on_disk.is_file() {
                return Err(AssetsError::Missing(on_disk));
            }
            match ext {
                "js" => files.js = path.clone(),
                "wasm" => files.wasm = path.clone(),
                _ => files.css = path.clone(),
            }
            immutable.insert(path);
        }
        if immutable.len() != 3 {
            return Err(hash_file(
                "it should name the js, wasm and css files".into(),
            ));
        }
        Ok(Assets {
            files,
            scripts,
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
    // No 304s: leptos_axum's file handler does not pass conditional headers on.
    if !read || !response.status().is_success() || is_html(&response) {
        return response;
    }
    let policy = if assets.immutable.contains(&path) {
        IMMUTABLE
    } else if assets.immutable.is_empty() {
        UNHASHED
    } else {
        BRIEFLY
    };
    let headers = response.headers_mut();
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(policy));
    // The .br or .gz beside the file went to a browser that asked for it: caches in between
    // must keep one answer per Accept-Encoding (tower-http's ServeDir does not say so).
    if !headers.contains_key(header::VARY) {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::handler::Handler;
    use axum::http::StatusCode;
    use axum::middleware::from_fn_with_state;
    use axum::response::IntoResponse;

    use super::*;

    async fn headers_of(
        assets: Assets,
        path: &str,
    ) -> (StatusCode, Option<String>, Option<String>) {
        let file = |uri: axum::http::Uri| async move {
            if uri.path() == "/gone" {
                (StatusCode::NOT_FOUND, "no").into_response()
            } else {
                "bytes".into_response()
            }
        };
        let app: Router =
            Router::new().fallback(file.layer(from_fn_with_state(assets, cache_control)));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("listen");
        let url = format!("http://{}{path}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        let res = reqwest::get(&url).await.expect("answer");
        let header = |name| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        (res.status(), header("cache-control"), header("vary"))
    }

    #[tokio::test]
    async fn hashed_files_are_kept_for_good_the_rest_briefly_and_nothing_without_hashes() {
        let hashed = Assets {
            files: BrowserFiles::default(),
            scripts: Vec::new(),
            immutable: Arc::new(HashSet::from(["/pkg/app.abc.wasm".to_string()])),
        };
        let (_, cache, vary) = headers_of(hashed.clone(), "/pkg/app.abc.wasm").await;
        assert_eq!(cache.as_deref(), Some(IMMUTABLE));
        assert_eq!(vary.as_deref(), Some("accept-encoding"));
        let (_, cache, _) = headers_of(hashed.clone(), "/favicon.svg").await;
        assert_eq!(cache.as_deref(), Some(BRIEFLY));
        let (status, cache, _) = headers_of(hashed, "/gone").await;
        assert_eq!((status, cache), (StatusCode::NOT_FOUND, None));
        let (_, cache, _) = headers_of(Assets::default(), "/pkg/app.wasm").await;
        assert_eq!(cache.as_deref(), Some(UNHASHED));
    }

    #[tokio::test]
    async fn the_servers_own_scripts_are_named_by_their_content_and_kept_for_good() {
        let options = LeptosOptions::builder().output_name("app").build();
        let assets = Assets::load(&options).expect("names not hashed");
        let enhance = &assets.scripts[0];
        assert_eq!(assets.files.enhance, enhance.path);
        assert_eq!(assets.files.islands, assets.scripts[1].path);
        assert!(enhance.path.starts_with("/pkg/enhance.") && enhance.path.ends_with(".js"));
        let text = std::str::from_utf8(&enhance.body).expect("utf-8");
        assert!(text.contains(&format!("\"{HEALTH}\"")));
        assert!(!text.contains("__HEALTH__"));
        let changed = Script::new(&options, "enhance", format!("{text} "));
        assert_ne!(changed.path, enhance.path, "a new content, a new name");

        let app: Router = Router::new().route(&enhance.path, script_route(enhance));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("listen");
        let url = format!(
            "http://{}{}",
            listener.local_addr().expect("addr"),
            enhance.path
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        let res = reqwest::get(&url).await.expect("answer");
        assert_eq!(res.status(), StatusCode::OK);
        let header = |name| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        assert_eq!(header("cache-control").as_deref(), Some(IMMUTABLE));
        assert_eq!(
            header("content-type").as_deref(),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(header("vary").as_deref(), Some("accept-encoding"));
        assert_eq!(header("content-encoding"), None);
        assert_eq!(res.bytes().await.expect("body"), enhance.body);

        // Asked in gzip: the bytes compressed at start, which decode to the script.
        let res = reqwest::Client::new()
            .get(&url)
            .header("accept-encoding", "br, gzip")
            .send()
            .await
            .expect("answer");
        let encoding = res.headers().get("content-encoding").cloned();
        assert_eq!(
            encoding.as_ref().and_then(|v| v.to_str().ok()),
            Some("gzip")
        );
        let gzipped = res.bytes().await.expect("body");
        assert!(
            gzipped.len() < enhance.body.len() / 2,
            "{} bytes",
            gzipped.len()
        );
        let mut decoded = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&gzipped[..]),
            &mut decoded,
        )
        .expect("gzip");
        assert_eq!(decoded, enhance.body);
    }

    #[test]
    fn a_release_without_its_hash_file_does_not_start() {
        let mut options = LeptosOptions::builder().output_name("app").build();
        assert!(
            Assets::load(&options).is_ok(),
            "names not hashed: nothing to check"
        );
        options.hash_files = true;
        options.hash_file = "no-such-hash.txt".into();
        let err = Assets::load(&options).expect_err("no hash file");
        assert!(err.to_string().contains("scripts/build-site.sh"), "{err}");
    }
}
