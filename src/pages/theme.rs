//! Light, dark or the system's scheme, kept in a cookie so the server renders the right one
//! from the first byte. Which button is current is pure CSS (`html[data-theme]`), so the markup
//! is the same on server and client.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::SetTheme;
use crate::app::Theme;

#[component]
pub fn ThemeToggle() -> impl IntoView {
    let action = ServerAction::<SetTheme>::new();
    let location = leptos_router::hooks::use_location();
    let here = move || {
        let search = location.search.get();
        let query = if search.is_empty() {
            String::new()
        } else {
            format!("?{search}")
        };
        format!("{}{query}", location.pathname.get())
    };
    let choice = move |theme: Theme, label: &'static str| {
        // Applied at once in the browser; the server only has to remember it.
        let apply = move |_| {
            if let Some(root) = document().document_element() {
                let _ = root.set_attribute("data-theme", theme.as_str());
            }
        };
        view! {
            <ActionForm action on:submit=apply>
                <input type="hidden" name="theme" value=theme.as_str() />
                <input type="hidden" name="back" value=here />
                <button type="submit" class=format!("theme-{}", theme.as_str()) title=label>
                    {label}
                </button>
            </ActionForm>
        }
    };
    view! {
        <div class="theme-toggle" role="group" aria-label="Colour scheme">
            {choice(Theme::Light, "Light")}
            {choice(Theme::Dark, "Dark")}
            {choice(Theme::System, "System")}
        </div>
    }
}
