//! What one soak user was told about its todos: the rows the app acknowledged, as it last said
//! they are, and the ones an unanswered call may have changed (which the check skips).

use std::collections::{HashMap, HashSet};

use rand::seq::IteratorRandom;
use serde_json::Value;

use crate::users::Todo;

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

    pub fn added(&mut self, title: &str, answer: Option<&Value>) {
        match todo(answer) {
            Some(t) => {
                self.known.insert(
                    t.id,
                    Known {
                        title: t.title,
                        done: t.is_complete,
                    },
                );
            }
            None => {
                self.maybe.insert(title.to_string());
            }
        }
    }

    pub fn changed(&mut self, id: &str, answer: Option<&Value>) {
        match todo(answer) {
            Some(t) => {
                self.uncertain.remove(id);
                self.known.insert(
                    t.id,
                    Known {
                        title: t.title,
                        done: t.is_complete,
                    },
                );
            }
            None => {
                self.uncertain.insert(id.to_string());
            }
        }
    }

    pub fn deleted(&mut self, id: &str, acknowledged: bool) {
        if acknowledged {
            self.known.remove(id);
            self.uncertain.remove(id);
            self.deleted.insert(id.to_string());
        } else {
            self.uncertain.insert(id.to_string());
        }
    }

    /// A list the app answered: it settles what unanswered calls did (this user's calls come
    /// one after another, so nothing of theirs is still under way).
    pub fn saw(&mut self, todos: &[Todo]) {
        let listed: HashMap<&str, &Todo> = todos.iter().map(|t| (t.id.as_str(), t)).collect();
        for t in todos {
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
        let gone: Vec<String> = self
            .uncertain
            .iter()
            .filter(|id| !listed.contains_key(id.as_str()))
            .cloned()
            .collect();
        for id in gone {
            self.uncertain.remove(&id);
            self.known.remove(&id);
        }
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
        missing + resurrected
    }
}
