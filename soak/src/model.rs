//! What one soak user was told about its todos: the rows the app acknowledged, as it last said
//! they are, and the ones an unanswered call may have changed (which the check skips).

use std::collections::{HashMap, HashSet};

use rand::seq::IteratorRandom;
use serde_json::Value;

use soak::users::Todo;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub title: String,
    pub done: bool,
}

#[derive(Default)]
pub struct Model {
    /// Rows the app acknowledged, as it last described them.
    pub known: HashMap<String, Known>,
    /// Rows the app acknowledged deleting.
    pub deleted: HashSet<String>,
    /// Rows a call without an answer may have changed.
    pub uncertain: HashSet<String>,
    /// Titles of adds without an answer: they may or may not exist.
    pub maybe: HashSet<String>,
    /// Acknowledged rows the app later said were gone (404), a list did not show, or a list
    /// showed otherwise than the app last said: writes lost along the way.
    pub vanished: usize,
}

/// An answer the app gave about the request itself (not "could not reach InsForge", not no
/// answer at all): what it says happened, happened.
fn definite(status: u16) -> bool {
    (200..500).contains(&status)
}

fn todo(value: Option<&Value>) -> Option<Todo> {
    value.and_then(|v| serde_json::from_value(v.clone()).ok())
}

impl Model {
    /// A row to act on.
    pub fn pick(&self) -> Option<Todo> {
        let (id, known) = self.known.iter().choose(&mut rand::rng())?;
        Some(Todo {
            id: id.clone(),
            title: known.title.clone(),
            is_complete: known.done,
        })
    }

    pub fn added(&mut self, title: &str, status: u16, answer: Option<&Value>) {
        match todo(answer) {
            Some(t) if status == 200 => {
                self.known.insert(
                    t.id,
                    Known {
                        title: t.title,
                        done: t.is_complete,
                    },
                );
            }
            _ if definite(status) => {}
            _ => {
                self.maybe.insert(title.to_string());
            }
        }
    }

    pub fn changed(&mut self, id: &str, status: u16, answer: Option<&Value>) {
        match todo(answer) {
            Some(t) if status == 200 => {
                self.uncertain.remove(id);
                self.known.insert(
                    t.id,
                    Known {
                        title: t.title,
                        done: t.is_complete,
                    },
                );
            }
            _ if status == 404 => self.gone(id),
            _ if definite(status) => {}
            _ => {
                self.uncertain.insert(id.to_string());
            }
        }
    }

    pub fn deleted(&mut self, id: &str, status: u16) {
        match status {
            200 => {
                self.known.remove(id);
                self.uncertain.remove(id);
                self.deleted.insert(id.to_string());
            }
            404 => self.gone(id),
            s if definite(s) => {}
            _ => {
                self.uncertain.insert(id.to_string());
            }
        }
    }

    /// The app says a row is not there: lost, if it was acknowledged and nothing unanswered
    /// could have removed it.
    fn gone(&mut self, id: &str) {
        if self.known.remove(id).is_some() && !self.uncertain.remove(id) {
            self.vanished += 1;
        }
    }

    /// A list the app answered: it settles what unanswered calls did (this user's calls come
    /// one after another, so nothing of theirs is still under way).
    pub fn saw(&mut self, todos: &[Todo]) {
        let listed: HashMap<&str, &Todo> = todos.iter().map(|t| (t.id.as_str(), t)).collect();
        for t in todos {
            let shown = Known {
                title: t.title.clone(),
                done: t.is_complete,
            };
            if !self.uncertain.contains(&t.id)
                && self.known.get(&t.id).is_some_and(|known| *known != shown)
            {
                // An acknowledged row that is not as the app last said: a write lost.
                self.vanished += 1;
                self.known.insert(t.id.clone(), shown);
                continue;
            }
            if self.maybe.remove(&t.title) || self.uncertain.remove(&t.id) {
                self.known.insert(
                    t.id.clone(),
                    Known {
                        title: t.title.clone(),
                        done: t.is_complete,
                    },
                );
            }
        }
        let missing: Vec<String> = self
            .known
            .keys()
            .filter(|id| !listed.contains_key(id.as_str()))
            .cloned()
            .collect();
        for id in missing {
            // An unanswered delete explains it; nothing else does.
            self.gone(&id);
        }
        self.uncertain.retain(|id| listed.contains_key(id.as_str()));
    }

    /// What the final list shows against what the user was told: acknowledged rows missing
    /// or different, and acknowledged deletes that came back.
    pub fn lost(&self, todos: &[Todo]) -> usize {
        let listed: HashMap<&str, &Todo> = todos.iter().map(|t| (t.id.as_str(), t)).collect();
        let missing = self
            .known
            .iter()
            .filter(|(id, _)| !self.uncertain.contains(*id))
            .filter(|(id, known)| {
                listed
                    .get(id.as_str())
                    .is_none_or(|t| t.title != known.title || t.is_complete != known.done)
            })
            .count();
        let resurrected = self
            .deleted
            .iter()
            .filter(|id| listed.contains_key(id.as_str()))
            .count();
        missing + resurrected + self.vanished
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(id: &str, title: &str, done: bool) -> Todo {
        Todo {
            id: id.into(),
            title: title.into(),
            is_complete: done,
        }
    }

    fn answer(id: &str, title: &str, done: bool) -> Value {
        json!({ "id": id, "title": title, "is_complete": done, "created_at": "2026-12-02T00:00:00Z" })
    }

    #[test]
    fn an_acknowledged_write_that_is_not_kept_is_lost() {
        let mut m = Model::default();
        m.added("a", 200, Some(&answer("1", "a", false)));
        m.changed("1", 200, Some(&answer("1", "a", true)));
        assert_eq!(m.lost(&[row("1", "a", true)]), 0);
        // The completion was acknowledged, but the row shows otherwise.
        assert_eq!(m.lost(&[row("1", "a", false)]), 1);
        // Or it is gone.
        assert_eq!(m.lost(&[]), 1);
        // A 404 for an acknowledged row, and a list without one, are losses found on the way.
        let mut m = Model::default();
        m.added("b", 200, Some(&answer("2", "b", false)));
        m.changed("2", 404, None);
        assert_eq!(m.vanished, 1);
        m.added("c", 200, Some(&answer("3", "c", false)));
        m.saw(&[]);
        assert_eq!(m.vanished, 2);
    }

    #[test]
    fn what_an_unanswered_call_may_have_done_is_not_a_loss() {
        let mut m = Model::default();
        m.added("a", 200, Some(&answer("1", "a", false)));
        m.deleted("1", 503);
        m.added("b", 0, None);
        // The delete happened after all, and the add too.
        m.saw(&[row("9", "b", false)]);
        assert_eq!(m.vanished, 0);
        assert_eq!(m.lost(&[row("9", "b", false)]), 0);
        // An acknowledged delete that comes back is a loss.
        m.deleted("9", 200);
        assert_eq!(m.lost(&[row("9", "b", false)]), 1);
    }
}
