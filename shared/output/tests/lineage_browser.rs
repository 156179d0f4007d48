//! The lineage page in a real headless Chromium, at the example's size and at 1,000
//! models: what a person sees on opening (every exposure in view, no label running out of
//! its box, ids in the side panel wrapped between their parts), what one click on "Show
//! all" draws, and what the page costs (elements in the DOM, milliseconds, printed, not
//! asserted, so the tests cannot flake on a loaded machine).
//!
//! Each page is measured by a small script the test appends to a copy of it, which runs
//! after the page's own and writes what it measured on `<body>`; Chromium's `--dump-dom`
//! hands the DOM back. Screenshots are kept under `target/tmp/lineage-browser-output/`.
//! (`docs/lineage.png` is the demo's page instead: the example manifest with the exposures
//! the simulator's example site gives, as `infra/demo.sh` then `autoexpose lineage` draw it.)
//! Without Chromium the tests fail and say how to install it (`infra/setup-chromium.sh`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use autoexpose_output::{LineageOptions, lineage_html};

mod lineage_support;
use lineage_support::projects::{self, Project, Shape};

// ---- driving Chromium ----

fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return PathBuf::from(path);
    }
    for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    panic!("Chromium is not installed: run `bash infra/setup-chromium.sh` (or set CHROMIUM)");
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("lineage-browser-output")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Runs headless Chromium at 1400×900 on `url` with `extra` switches; kills it after
/// three minutes.
fn run_chromium(dir: &Path, url: &str, extra: &[String]) -> Output {
    let profile = dir.join(format!("profile-{}", extra.len()));
    let mut command = Command::new(chromium());
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--window-size=1400,900",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap_or_else(|e| {
        panic!("cannot start Chromium ({e}): run `bash infra/setup-chromium.sh`")
    });
    // Read the pipes on threads so a large DOM cannot block Chromium on a full pipe.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut buf).map(|_| buf)
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut buf).map(|_| buf)
    });
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for Chromium") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("Chromium did not finish within three minutes on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out_reader.join().expect("reader").expect("stdout"),
        stderr: err_reader.join().expect("reader").expect("stderr"),
    }
}

fn file_url(page: &Path, fragment: &str) -> String {
    let path = page.canonicalize().expect("page exists");
    format!("file://{}{fragment}", path.display())
}

/// Takes a 1400×900 screenshot of the page and returns the PNG's path.
fn screenshot(page: &Path, fragment: &str, name: &str) -> PathBuf {
    let dir = page.parent().expect("page has a directory");
    let png = dir.join(name);
    let out = run_chromium(
        dir,
        &file_url(page, fragment),
        &[format!("--screenshot={}", png.display())],
    );
    assert!(
        out.status.success() && png.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&png).expect("read screenshot");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    // A blank or error page compresses to a few kilobytes; a drawn graph does not.
    assert!(bytes.len() > 30_000, "{} bytes: blank?", bytes.len());
    png
}

// ---- measuring in the page ----

/// What the measuring script reads of the graph drawn at that moment: the exposures
/// whose box is not wholly inside the visible canvas, the labels that run out of their
/// box, and the size of the DOM.
const MEASURE: &str = r#"
function measure(prefix) {
  var b = document.body;
  var view = document.getElementById("canvas").getBoundingClientRect();
  var svg = document.getElementById("graph");
  var exposures = svg.querySelectorAll("g.node.k-exposure, g.node.k-manual-exposure");
  var out = [];
  exposures.forEach(function (n) {
    var r = n.getBoundingClientRect();
    if (r.left < view.left - 0.5 || r.right > view.right + 0.5 ||
        r.top < view.top - 0.5 || r.bottom > view.bottom + 0.5) {
      out.push(n.getAttribute("data-id"));
    }
  });
  var overflowing = [];
  svg.querySelectorAll("g.node").forEach(function (n) {
    var box = n.querySelector("rect.box");
    var w = Number(box.getAttribute("width"));
    var h = Number(box.getAttribute("height"));
    n.querySelectorAll("text").forEach(function (t) {
      var bb = t.getBBox();
      if (bb.x + bb.width > w - 6 || bb.y + bb.height > h - 3 || bb.y < 3) {
        overflowing.push(n.getAttribute("data-id") + ":" + t.textContent);
      }
    });
  });
  b.setAttribute(prefix + "-exposures", String(exposures.length));
  b.setAttribute(prefix + "-out-of-view", out.join(" "));
  b.setAttribute(prefix + "-overflowing", overflowing.join(" | "));
  b.setAttribute(prefix + "-nodes", String(svg.querySelectorAll("g.node").length));
  b.setAttribute(prefix + "-elements", String(document.getElementsByTagName("*").length));
}
function timed(name, action) {
  var started = performance.now();
  action();
  document.body.getBoundingClientRect();
  document.body.setAttribute("data-t-" + name + "-ms", String(Math.round(performance.now() - started)));
}
function clickNode(id) {
  var node = document.querySelector('#graph g.node[data-id="' + id + '"]');
  node.dispatchEvent(new MouseEvent("click", { bubbles: true }));
}
// Text pieces of the panel's id (between its break opportunities) that the browser broke
// across lines, and the number of lines.
function idWrapping() {
  var id = document.getElementById("d-id");
  var broken = 0;
  var tops = new Set();
  id.childNodes.forEach(function (c) {
    if (c.nodeType !== 3) { return; }
    var range = document.createRange();
    range.selectNodeContents(c);
    var own = new Set();
    Array.prototype.forEach.call(range.getClientRects(), function (r) {
      own.add(Math.round(r.top));
      tops.add(Math.round(r.top));
    });
    if (own.size > 1) { broken += 1; }
  });
  document.body.setAttribute("data-t-id-pieces-broken", String(broken));
  document.body.setAttribute("data-t-id-lines", String(tops.size));
}
"#;

/// Writes a copy of `page` that runs `actions` (JavaScript using [`MEASURE`]'s functions)
/// after the page's own script, opens it in Chromium and returns the `<body>` tag.
fn measured(page: &Path, fragment: &str, actions: &str) -> String {
    let html = std::fs::read_to_string(page).expect("page");
    let script = format!(
        "<script>(function () {{\n{MEASURE}\nmeasure(\"data-t-open\");\n{actions}\n}})();</script>\n</body>"
    );
    let copy = page.with_file_name("measured.html");
    std::fs::write(&copy, html.replacen("</body>", &script, 1)).expect("write copy");
    let dir = page.parent().expect("page has a directory");
    let out = run_chromium(dir, &file_url(&copy, fragment), &["--dump-dom".into()]);
    assert!(
        out.status.success(),
        "Chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8(out.stdout).expect("DOM is UTF-8");
    let body = &dom[dom.find("<body").expect("a body")..];
    let tag = body[..body.find('>').expect("tag ends")].to_string();
    assert!(
        tag.contains("data-ready=\"true\"") && tag.contains("data-t-open-nodes"),
        "the scripts did not finish; Chromium said: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    tag
}

fn body_attr(tag: &str, name: &str) -> String {
    let start = tag
        .find(&format!(" {name}=\""))
        .unwrap_or_else(|| panic!("<body> has no {name}: {tag}"))
        + name.len()
        + 3;
    let len = tag[start..].find('"').expect("quoted");
    tag[start..start + len].to_string()
}

fn number(tag: &str, name: &str) -> usize {
    body_attr(tag, name)
        .parse()
        .unwrap_or_else(|_| panic!("{name} is a number"))
}

/// Writes the page of `project` to `dir/lineage.html`, printing how long it took to make.
fn write_page(dir: &Path, project: &Project, title: &str) -> PathBuf {
    let started = Instant::now();
    let html = lineage_html(
        &project.manifest,
        &project.dag,
        &project.exposures,
        &LineageOptions {
            title: title.into(),
            generated_at: None,
        },
    );
    println!(
        "{title}: page of {} KiB laid out and written in {} ms",
        html.len() / 1024,
        started.elapsed().as_millis()
    );
    let page = dir.join("lineage.html");
    std::fs::write(&page, html).expect("write page");
    page
}

fn thousand_models() -> Project {
    projects::generated(&Shape {
        models: 1000,
        exposures: 50,
    })
}

// ---- the tests ----

#[test]
fn the_example_opens_with_every_exposure_in_view_and_every_label_inside_its_box() {
    let dir = scratch("example");
    let project = projects::jaffle_shop();
    let page = write_page(&dir, &project, "jaffle_shop · dbt lineage");
    let body = measured(&page, "", "");
    let exposures = project.exposures.len() + project.manifest.exposures.len();
    assert_eq!(number(&body, "data-t-open-exposures"), exposures);
    assert_eq!(body_attr(&body, "data-t-open-out-of-view"), "");
    assert_eq!(body_attr(&body, "data-t-open-overflowing"), "");
    println!(
        "example: {} nodes drawn, {} DOM elements, script {} ms",
        number(&body, "data-t-open-nodes"),
        number(&body, "data-t-open-elements"),
        number(&body, "data-script-ms")
    );
    screenshot(&page, "", "example.png");
}

#[test]
fn the_unique_id_in_the_side_panel_wraps_between_its_parts() {
    let dir = scratch("panel");
    let project = projects::jaffle_shop();
    let page = write_page(&dir, &project, "jaffle_shop");
    let longest = project
        .exposures
        .iter()
        .max_by_key(|e| e.name.len())
        .expect("an exposure");
    let id = format!("exposure.jaffle_shop.{}", longest.name);
    let body = measured(
        &page,
        "",
        &format!("clickNode({id:?}); idWrapping();", id = id),
    );
    assert_eq!(body_attr(&body, "data-selected"), id);
    assert!(
        number(&body, "data-t-id-lines") >= 2,
        "{id} fits one line: the test proves nothing"
    );
    assert_eq!(number(&body, "data-t-id-pieces-broken"), 0, "{id}");
}

#[test]
fn a_thousand_model_project_opens_on_what_its_fifty_exposures_read() {
    let dir = scratch("thousand");
    let project = thousand_models();
    let upstream = projects::upstream_of_exposures(&project);
    let page = write_page(&dir, &project, "big · 1,000 models");
    let body = measured(
        &page,
        "",
        "timed(\"select\", function () { clickNode(\"exposure.big.dashboard_007\"); });",
    );
    assert_eq!(number(&body, "data-t-open-exposures"), 50);
    assert_eq!(
        body_attr(&body, "data-t-open-out-of-view"),
        "",
        "exposures out of view on opening"
    );
    assert_eq!(number(&body, "data-t-open-nodes"), upstream.len() + 50);
    assert!(
        upstream.len() < 1000,
        "some of the project feeds no exposure"
    );
    assert_eq!(body_attr(&body, "data-t-open-overflowing"), "");
    assert_eq!(
        body_attr(&body, "data-selected"),
        "exposure.big.dashboard_007"
    );
    println!(
        "1,000 models, opening: {} of {} dbt nodes drawn, {} edges, {} DOM elements; \
         script {} ms; selecting an exposure {} ms; zoom {}",
        upstream.len(),
        number(&body, "data-project-nodes"),
        number(&body, "data-drawn-edges"),
        number(&body, "data-t-open-elements"),
        number(&body, "data-script-ms"),
        number(&body, "data-t-select-ms"),
        body_attr(&body, "data-zoom"),
    );
    screenshot(&page, "", "thousand.png");
    screenshot(&page, "#select=dashboard_007", "thousand-selected.png");
}

#[test]
fn the_rest_of_a_thousand_model_project_is_one_click_away() {
    let dir = scratch("thousand-all");
    let project = thousand_models();
    let page = write_page(&dir, &project, "big · 1,000 models");
    let body = measured(
        &page,
        "",
        "timed(\"scope\", function () { document.getElementById(\"scope\").click(); }); \
         measure(\"data-t-all\");",
    );
    let all = project.manifest.relations.len();
    assert_eq!(number(&body, "data-project-nodes"), all);
    assert_eq!(number(&body, "data-t-all-nodes"), all + 50);
    assert_eq!(body_attr(&body, "data-scope"), "project");
    assert_eq!(body_attr(&body, "data-t-all-out-of-view"), "");
    assert!(number(&body, "data-t-open-elements") < number(&body, "data-t-all-elements"));
    println!(
        "1,000 models, whole project: {} nodes, {} edges, {} DOM elements (opening: {}); \
         the click took {} ms",
        number(&body, "data-t-all-nodes"),
        number(&body, "data-drawn-edges"),
        number(&body, "data-t-all-elements"),
        number(&body, "data-t-open-elements"),
        number(&body, "data-t-scope-ms"),
    );
    screenshot(&page, "#scope=all", "thousand-all.png");
}
