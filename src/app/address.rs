//! The run's link where people look for it: the address bar (web: `history.replaceState`,
//! debounced, so a reload or a bookmark reproduces the current settings), the window title
//! (desktop), the link box of the left panel and the "Copy link" confirmation.

use web_time::Instant;

/// A change is published once the link has been stable this long (dragging a value changes it
/// every frame; the browser limits `replaceState` calls).
const DEBOUNCE_S: f64 = 0.3;

/// How long "Copy link" shows its confirmation.
const COPIED_S: f64 = 2.0;

/// The link as published and as shown in the link box.
#[derive(Default)]
pub struct AddressBar {
    /// The query last written to the address bar or title.
    published: Option<String>,
    /// When the current link first differed from the published one.
    changed_since: Option<Instant>,
    /// The link box's text: the current link, unless the user is typing another.
    pub input: String,
    /// The user has typed into the link box (it no longer follows the run).
    pub editing: bool,
    copied_at: Option<Instant>,
}

impl AddressBar {
    /// Follows the run's link `query` (without `?`): the link box shows it unless the user is
    /// editing, and the address bar or title gets it once it has been stable for a moment.
    pub fn follow(&mut self, ctx: &egui::Context, query: &str) {
        if !self.editing {
            self.input = share_link(query);
        }
        if self.published.as_deref() == Some(query) {
            self.changed_since = None;
            return;
        }
        let since = *self.changed_since.get_or_insert_with(Instant::now);
        let waited = since.elapsed().as_secs_f64();
        if waited < DEBOUNCE_S {
            ctx.request_repaint_after(std::time::Duration::from_secs_f64(DEBOUNCE_S - waited));
            return;
        }
        publish(ctx, query);
        self.published = Some(query.to_owned());
        self.changed_since = None;
    }

    /// The query last published (tests and the JS API).
    pub fn published(&self) -> Option<&str> {
        self.published.as_deref()
    }

    /// Puts the link of `query` on the clipboard and starts the confirmation.
    pub fn copy(&mut self, ctx: Option<&egui::Context>, query: &str) -> String {
        let link = share_link(query);
        if let Some(ctx) = ctx {
            ctx.copy_text(link.clone());
        }
        self.copied_at = Some(Instant::now());
        link
    }

    /// Whether the "copied" confirmation is showing.
    pub fn just_copied(&self) -> bool {
        self.copied_at
            .is_some_and(|t| t.elapsed().as_secs_f64() < COPIED_S)
    }
}

/// Writes the link where the platform shows it.
fn publish(ctx: &egui::Context, query: &str) {
    #[cfg(target_arch = "wasm32")]
    {
        let _ = ctx;
        if let Some(window) = web_sys::window()
            && let Ok(history) = window.history()
        {
            let path = window.location().pathname().unwrap_or_default();
            // Failures (e.g. a sandboxed frame) leave the address as it was.
            let _ = history.replace_state_with_url(
                &wasm_bindgen::JsValue::NULL,
                "",
                Some(&format!("{path}?{query}")),
            );
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    ctx.send_viewport_cmd(egui::ViewportCommand::Title(format!(
        "stepscope — ?{query}"
    )));
}

/// The full link of the running page (web) or the query alone (desktop, which accepts it as
/// an argument).
pub fn share_link(query: &str) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        if let Some(loc) = web_sys::window().map(|w| w.location()) {
            let origin = loc.origin().unwrap_or_default();
            let path = loc.pathname().unwrap_or_default();
            return format!("{origin}{path}?{query}");
        }
    }
    format!("?{query}")
}
