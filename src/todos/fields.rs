//! The page's one kind of island: it checks the title field of the form inside it with the
//! server's own rules (`model::normalize_title`) before anything is sent, and cancels an edit on
//! Escape. The form itself is server HTML (the island's children), a plain post either way;
//! without JavaScript the server checks, and the page it redirects to shows the error.
//!
//! Why the island works on the form's DOM rather than render the field from props: island props
//! travel as JSON, and parsing them (serde_json, uuid, `AppError`'s Deserialize) was a third of
//! the wasm: 75 KB brotli for two islands with props, 40 KB for this one.

use leptos::ev::{Event, KeyboardEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos::web_sys::{Element, HtmlAnchorElement, HtmlFormElement, HtmlInputElement};

use super::model::normalize_title;
use crate::error::AppError;

/// Wraps a form with a `title` field whose `aria-describedby` names its error message; Escape
/// in it follows the form's link (the edit form's Cancel).
#[island]
pub fn TitleCheck(children: Children) -> impl IntoView {
    view! {
        <div class="title-check" on:submit=check on:input=clear on:keydown=escape>
            {children()}
        </div>
    }
}

/// Hydrates a `TitleCheck` in `el` (its `<leptos-island>`) and returns its state, which keeps
/// its event listeners: dropped, they are removed. Leptos' own export for an island (the
/// `TitleCheck_<hash>` that `#[island]` makes) forgets that state instead, so each island
/// would keep its elements, and with them every page `enhance.js` swaps out, for the life of
/// the window. The children are built as that export builds them: server HTML, kept as it is.
#[cfg(feature = "hydrate")]
pub fn hydrate_title_check(el: &leptos::web_sys::HtmlElement) -> Box<dyn std::any::Any> {
    use leptos::tachys::html::islands::IslandChildren;
    use leptos::tachys::view::Position;

    let owner = Owner::current();
    let children: Children = Box::new(move || {
        IslandChildren::new_with_on_hydrate((), move || {
            if let Some(owner) = &owner {
                owner.set();
            }
        })
        .into_any()
    });
    let island = TitleCheck(TitleCheckProps::builder().children(children).build());
    Box::new(island.hydrate_from_position::<true>(el, Position::Current))
}

/// The form an event happened in, and its title field.
fn form_and_title(
    target: Option<leptos::web_sys::EventTarget>,
) -> Option<(HtmlFormElement, HtmlInputElement)> {
    let element = target?.dyn_into::<Element>().ok()?;
    let form = element
        .closest("form")
        .ok()??
        .dyn_into::<HtmlFormElement>()
        .ok()?;
    let title = form
        .query_selector("[name=title]")
        .ok()??
        .dyn_into::<HtmlInputElement>()
        .ok()?;
    Some((form, title))
}

/// Shows (or, with `None`, clears) the field's error where the server would have put it.
fn show(title: &HtmlInputElement, error: Option<AppError>) {
    let _ = title.set_attribute(
        "aria-invalid",
        if error.is_some() { "true" } else { "false" },
    );
    let message = title
        .get_attribute("aria-describedby")
        .and_then(|id| document().get_element_by_id(&id));
    if let Some(message) = message {
        message.set_text_content(error.map(|e| e.to_string()).as_deref());
    }
}

fn check(ev: SubmitEvent) {
    if let Some((_, title)) = form_and_title(ev.target())
        && let Err(e) = normalize_title(&title.value())
    {
        ev.prevent_default();
        show(&title, Some(e.into()));
    }
}

fn clear(ev: Event) {
    if let Some((_, title)) = form_and_title(ev.target()) {
        show(&title, None);
    }
}

fn escape(ev: KeyboardEvent) {
    if ev.key() != "Escape" {
        return;
    }
    let cancel = form_and_title(ev.target())
        .and_then(|(form, _)| form.query_selector("a[href]").ok().flatten())
        .and_then(|link| link.dyn_into::<HtmlAnchorElement>().ok());
    if let Some(link) = cancel {
        ev.prevent_default();
        // In place, through `enhance.js`, as a click on Cancel would.
        link.click();
    }
}
