//! Which editor a call goes to.
//!
//! Editors announce themselves with discovery files. With one editor open,
//! every call goes to it; with several, a call names one with `session`, or
//! the agent picks one with `select_session`; without either, the editor
//! whose project holds the client's folder is meant. Links are kept per project
//! folder, so an editor that is closed and reopened (and so gets a new
//! session id and token) is reached again through the same link. A shim
//! started with `GODOT_MCP_PORT` talks only to the editor on that port.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use godot_mcp_protocol::commands::session::{SessionInfo, Sessions};
use godot_mcp_protocol::discovery::{self, Discovery};
use godot_mcp_protocol::{ErrorBody, ErrorCode};
use tokio::sync::broadcast;

use crate::link::{EditorLink, LinkEvent, not_connected};
use crate::lock;

pub struct Registry {
    fixed_port: Option<u16>,
    /// Where discovery files may be.
    dirs: Arc<[PathBuf]>,
    /// The client's folders, to pick its project's editor among several.
    places: Vec<PathBuf>,
    /// Keyed by project folder, or by `port:N` for a fixed port.
    links: Mutex<HashMap<String, Arc<EditorLink>>>,
    /// The chosen session and its project folder, to follow it across restarts.
    selected: Mutex<Option<(String, String)>>,
    events: broadcast::Sender<LinkEvent>,
}

impl Registry {
    pub fn new(fixed_port: Option<u16>) -> Self {
        Self {
            fixed_port,
            dirs: discovery::dirs().into(),
            places: discovery::client_places(),
            links: Mutex::default(),
            selected: Mutex::default(),
            events: broadcast::channel(256).0,
        }
    }

    /// Events from every editor link.
    pub fn subscribe(&self) -> broadcast::Receiver<LinkEvent> {
        self.events.subscribe()
    }

    /// The link a call should use: the named session, the selected one, or
    /// the only one.
    pub fn resolve(&self, session: Option<&str>) -> Result<Arc<EditorLink>, ErrorBody> {
        if let Some(port) = self.fixed_port {
            return self.resolve_fixed(port, session);
        }
        let found = Discovery::list_all(&self.dirs);
        if let Some(id) = session {
            let record = found
                .iter()
                .find(|d| d.session_id == id)
                .ok_or_else(|| unknown_session(id, &found))?;
            return Ok(self.link_for_project(&record.project_path));
        }
        let selected = lock(&self.selected).clone();
        if let Some((id, project)) = selected {
            // Follow the chosen project if its editor was restarted.
            let record = found
                .iter()
                .find(|d| d.session_id == id)
                .or_else(|| found.iter().find(|d| d.project_path == project));
            if let Some(record) = record {
                *lock(&self.selected) =
                    Some((record.session_id.clone(), record.project_path.clone()));
                return Ok(self.link_for_project(&record.project_path));
            }
        }
        match found.as_slice() {
            [one] => Ok(self.link_for_project(&one.project_path)),
            [] => {
                let refused: Vec<String> = self
                    .dirs
                    .iter()
                    .filter_map(|d| discovery::check_dir(d).err())
                    .collect();
                if !refused.is_empty() {
                    return Err(ErrorBody::new(
                        ErrorCode::EditorNotConnected,
                        format!("refused to read discovery records: {}", refused.join("; ")),
                    )
                    .with_hint(discovery::DIR_HINT));
                }
                // An editor that was connected may be restarting: its link
                // answers with a clear error and reconnects by itself.
                let links = lock(&self.links);
                if links.len() == 1 {
                    return Ok(links.values().next().cloned().expect("one link"));
                }
                Err(not_connected(
                    "this machine",
                    &format!("no editor has a discovery file in {}", self.searched()),
                ))
            }
            many => match discovery::preferred(many, &self.places) {
                Some(mine) => Ok(self.link_for_project(&mine.project_path)),
                None => Err(ErrorBody::new(
                    ErrorCode::SessionRequired,
                    format!("{} editors are open: {}", many.len(), describe(many)),
                )
                .with_hint("pass session, or call select_session once")),
            },
        }
    }

    fn searched(&self) -> String {
        let dirs: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
        dirs.join(" or ")
    }

    fn resolve_fixed(
        &self,
        port: u16,
        session: Option<&str>,
    ) -> Result<Arc<EditorLink>, ErrorBody> {
        let searched = self.searched();
        let link = self.link(port_key(port), move |dirs| {
            Discovery::list_all(dirs)
                .into_iter()
                .find(|d| d.port == port)
                .ok_or_else(|| {
                    not_connected(
                        &format!("ws://127.0.0.1:{port}"),
                        &format!("no editor on port {port} has a discovery file in {searched}"),
                    )
                })
        });
        if let Some(id) = session {
            let current = Discovery::list_all(&self.dirs)
                .into_iter()
                .find(|d| d.port == port)
                .map(|d| d.session_id);
            if current.as_deref() != Some(id) {
                return Err(ErrorBody::new(
                    ErrorCode::UnknownSession,
                    format!("session {id:?} is not the editor on port {port}"),
                )
                .with_hint("this server was started with GODOT_MCP_PORT and talks to that editor only; omit session"));
            }
        }
        Ok(link)
    }

    fn link_for_project(&self, project: &str) -> Arc<EditorLink> {
        let wanted = project.to_owned();
        self.link(project.to_owned(), move |dirs| {
            Discovery::list_all(dirs)
                .into_iter()
                .find(|d| d.project_path == wanted)
                .ok_or_else(|| {
                    not_connected(
                        "this machine",
                        &format!("the editor of {wanted} is not running"),
                    )
                })
        })
    }

    fn link(
        &self,
        key: String,
        locate: impl Fn(&[PathBuf]) -> Result<Discovery, ErrorBody> + Send + Sync + 'static,
    ) -> Arc<EditorLink> {
        lock(&self.links)
            .entry(key)
            .or_insert_with(|| {
                let dirs = Arc::clone(&self.dirs);
                EditorLink::new(Box::new(move || locate(&dirs)), self.events.clone())
            })
            .clone()
    }

    /// The link key of an editor's record: its project, or the fixed port.
    fn key_of(&self, record: &Discovery) -> String {
        match self.fixed_port {
            Some(port) => port_key(port),
            None => record.project_path.clone(),
        }
    }

    /// Every open editor, with whether this shim is connected to it.
    pub fn list(&self) -> Sessions {
        let found = Discovery::list_all(&self.dirs);
        let links = lock(&self.links);
        let sessions = found
            .iter()
            .filter(|d| self.fixed_port.is_none_or(|p| p == d.port))
            .map(|d| {
                let picture = links.get(&self.key_of(d)).map(|l| l.picture());
                let connected = picture.as_ref().is_some_and(|p| {
                    p.connected
                        && p.welcome
                            .as_ref()
                            .is_some_and(|w| w.session_id == d.session_id)
                });
                SessionInfo {
                    session_id: d.session_id.clone(),
                    project_name: d.project_name.clone(),
                    project_path: d.project_path.clone(),
                    port: d.port,
                    pid: d.pid,
                    connected,
                    readiness: picture.filter(|_| connected).and_then(|p| p.readiness),
                }
            })
            .collect::<Vec<_>>();
        drop(links);
        let selected = match (&*lock(&self.selected), sessions.as_slice()) {
            (Some((id, _)), _) if sessions.iter().any(|s| &s.session_id == id) => Some(id.clone()),
            (_, [one]) => Some(one.session_id.clone()),
            _ => None,
        };
        Sessions { sessions, selected }
    }

    pub fn select(&self, id: &str) -> Result<Sessions, ErrorBody> {
        let found = Discovery::list_all(&self.dirs);
        let record = found
            .iter()
            .find(|d| d.session_id == id)
            .filter(|d| self.fixed_port.is_none_or(|p| p == d.port))
            .ok_or_else(|| unknown_session(id, &found))?;
        *lock(&self.selected) = Some((record.session_id.clone(), record.project_path.clone()));
        Ok(self.list())
    }
}

fn port_key(port: u16) -> String {
    format!("port:{port}")
}

fn describe(found: &[Discovery]) -> String {
    found
        .iter()
        .map(|d| format!("{} ({})", d.session_id, d.project_path))
        .collect::<Vec<_>>()
        .join(", ")
}

fn unknown_session(id: &str, found: &[Discovery]) -> ErrorBody {
    let open = if found.is_empty() {
        "no editor is open".to_owned()
    } else {
        format!("open: {}", describe(found))
    };
    ErrorBody::new(
        ErrorCode::UnknownSession,
        format!("no editor has session {id:?}; {open}"),
    )
    .with_hint(
        "call list_sessions for the current session ids (they change when an editor restarts)",
    )
}
