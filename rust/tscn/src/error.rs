//! This crate's one error type.

/// What can go wrong reading or editing a scene file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The text is not valid `.tscn`/`.tres` syntax.
    #[error("{line}:{column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        message: String,
    },
    /// The file parses but does not describe a valid scene or resource.
    #[error("{0}")]
    Invalid(String),
    #[error("no node at {0:?}")]
    NodeNotFound(String),
    #[error("{parent:?} already has a child named {name:?}")]
    NodeExists { parent: String, name: String },
    #[error("invalid node name {0:?}: names may not be empty or contain . : @ / \" %")]
    InvalidName(String),
    #[error("{0}")]
    InvalidOperation(String),
}

impl Error {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid(message.into())
    }
}
