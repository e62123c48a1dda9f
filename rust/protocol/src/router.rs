//! The one road from an action name to a typed handler and back.
//!
//! A [`Router`] maps command names to handlers of one context type: it
//! deserializes the parameters into the command's struct, calls the typed
//! handler, and encodes its typed output once. The editor extension, the
//! shim's offline mode and the shim's own commands each build one router
//! from it, so a command is registered with one line in a known place and
//! which commands a backend serves is data a test can read.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::catalog::{Command, parse};
use crate::{ErrorBody, ErrorCode, errors};

/// A result that may only be known in a later call of its `poll`.
pub enum Answer<T> {
    Now(T),
    /// Polled (once per editor frame) until it yields or the route's
    /// deadline passes.
    Later {
        poll: Box<dyn FnMut() -> Option<Result<T, ErrorBody>>>,
        /// What is awaited, for the timeout message, e.g. "the game to start".
        waiting_for: &'static str,
    },
}

/// How a router holds encoded outputs.
pub trait Encoding {
    type Out;
    fn encode<T: Serialize>(output: &T) -> Result<Self::Out, ErrorBody>;
}

/// Outputs encoded straight to JSON text, for answers sent as they are.
pub struct Text;

impl Encoding for Text {
    type Out = Box<RawValue>;
    fn encode<T: Serialize>(output: &T) -> Result<Box<RawValue>, ErrorBody> {
        serde_json::value::to_raw_value(output).map_err(cannot_encode)
    }
}

/// Outputs as JSON trees, for answers that are amended before they are sent.
pub struct Tree;

impl Encoding for Tree {
    type Out = Value;
    fn encode<T: Serialize>(output: &T) -> Result<Value, ErrorBody> {
        serde_json::to_value(output).map_err(cannot_encode)
    }
}

fn cannot_encode(e: serde_json::Error) -> ErrorBody {
    ErrorBody::new(
        ErrorCode::InternalError,
        format!("cannot encode the result: {e}"),
    )
}

/// A typed handler that may answer in a later frame.
pub type LaterHandler<C, P> = fn(&mut C, P) -> Result<Answer<<P as Command>::Output>, ErrorBody>;

type Erased<C, O> = Box<dyn Fn(&mut C, Value) -> Result<Answer<O>, ErrorBody> + Send + Sync>;

/// One registered command.
pub struct Route<C, O> {
    pub name: &'static str,
    pub read_only: bool,
    /// Whether it changes the editor's scenes or project (a write outside
    /// the play-test tools, which change only the running game).
    pub edits_project: bool,
    /// How long the handler may take to answer in later frames; `None`
    /// for handlers that always answer at once.
    pub deadline: Option<Duration>,
    handler: Erased<C, O>,
}

impl<C, O> Route<C, O> {
    /// Deserializes `params` and runs the handler.
    pub fn call(&self, ctx: &mut C, params: Value) -> Result<Answer<O>, ErrorBody> {
        (self.handler)(ctx, params)
    }

    /// Runs the handler for a caller that needs the answer at once, such
    /// as a batch step.
    pub fn call_now(&self, ctx: &mut C, params: Value) -> Result<O, ErrorBody> {
        match self.call(ctx, params)? {
            Answer::Now(value) => Ok(value),
            Answer::Later { .. } => Err(ErrorBody::new(
                ErrorCode::InvalidOperation,
                format!(
                    "{} answers in a later frame and cannot run inside a batch",
                    self.name
                ),
            )
            .with_hint(format!("call {} on its own", self.name))),
        }
    }
}

/// Command names to handlers taking a `C`, with outputs encoded by `E`.
pub struct Router<C, E: Encoding = Text> {
    routes: Vec<Route<C, E::Out>>,
    index: HashMap<&'static str, usize>,
    /// Names registered more than once (the later registration is ignored).
    duplicates: Vec<&'static str>,
    encoding: PhantomData<fn() -> E>,
}

impl<C: 'static, E: Encoding + 'static> Default for Router<C, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: 'static, E: Encoding + 'static> Router<C, E> {
    pub fn new() -> Self {
        Self {
            routes: Vec::new(),
            index: HashMap::new(),
            duplicates: Vec::new(),
            encoding: PhantomData,
        }
    }

    /// Registers a handler that answers at once.
    pub fn now<P: Command + 'static>(
        self,
        handler: fn(&mut C, P) -> Result<P::Output, ErrorBody>,
    ) -> Self {
        self.add::<P>(None, move |ctx, params| {
            handler(ctx, params).map(Answer::Now)
        })
    }

    /// Registers a handler that may answer later, within `deadline`.
    pub fn later<P: Command + 'static>(
        self,
        handler: LaterHandler<C, P>,
        deadline: Duration,
    ) -> Self {
        self.add::<P>(Some(deadline), handler)
    }

    fn add<P: Command + 'static>(
        mut self,
        deadline: Option<Duration>,
        handler: impl Fn(&mut C, P) -> Result<Answer<P::Output>, ErrorBody> + Send + Sync + 'static,
    ) -> Self {
        if self.index.contains_key(P::NAME) {
            self.duplicates.push(P::NAME);
            return self;
        }
        let erased = move |ctx: &mut C, params: Value| {
            Ok(match handler(ctx, parse::<P>(params)?)? {
                Answer::Now(output) => Answer::Now(E::encode(&output)?),
                Answer::Later {
                    mut poll,
                    waiting_for,
                } => Answer::Later {
                    poll: Box::new(move || poll().map(|r| r.and_then(|o| E::encode(&o)))),
                    waiting_for,
                },
            })
        };
        self.index.insert(P::NAME, self.routes.len());
        self.routes.push(Route {
            name: P::NAME,
            read_only: P::READ_ONLY,
            edits_project: !P::READ_ONLY && P::TOOLSET != crate::catalog::Toolset::Play,
            deadline,
            handler: Box::new(erased),
        });
        self
    }

    pub fn get(&self, name: &str) -> Option<&Route<C, E::Out>> {
        self.index.get(name).map(|&i| &self.routes[i])
    }

    /// The route for `name`, or the error naming the actions that exist.
    pub fn route(&self, name: &str) -> Result<&Route<C, E::Out>, ErrorBody> {
        self.get(name)
            .ok_or_else(|| errors::unknown_action(name, self.names()))
    }

    /// Runs `name` with `params`; an unknown name is an `UNKNOWN_ACTION` error.
    pub fn call(
        &self,
        ctx: &mut C,
        name: &str,
        params: Value,
    ) -> Result<Answer<E::Out>, ErrorBody> {
        self.route(name)?.call(ctx, params)
    }

    /// Runs `name` for a caller that needs the answer at once.
    pub fn call_now(&self, ctx: &mut C, name: &str, params: Value) -> Result<E::Out, ErrorBody> {
        self.route(name)?.call_now(ctx, params)
    }

    /// The registered names, in registration order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.routes.iter().map(|r| r.name)
    }

    pub fn routes(&self) -> impl Iterator<Item = &Route<C, E::Out>> {
        self.routes.iter()
    }

    /// Names that were registered more than once: always a mistake.
    pub fn duplicates(&self) -> &[&'static str] {
        &self.duplicates
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::node::{AddNode, NodeAdded, RemoveNode};
    use crate::commands::scene::{GetSceneTree, SceneTree};
    use serde_json::json;

    fn add(count: &mut u32, p: AddNode) -> Result<NodeAdded, ErrorBody> {
        *count += 1;
        Ok(NodeAdded {
            scene_path: "res://a.tscn".into(),
            node_path: p.name.to_string(),
            class: p.class.to_string(),
            properties: Default::default(),
        })
    }

    fn tree(_: &mut u32, _: GetSceneTree) -> Result<Answer<SceneTree>, ErrorBody> {
        let mut polls = 0;
        Ok(Answer::Later {
            poll: Box::new(move || {
                polls += 1;
                (polls > 1).then(|| Err(ErrorBody::new(ErrorCode::SceneNotFound, "gone")))
            }),
            waiting_for: "the tree",
        })
    }

    fn router() -> Router<u32, Tree> {
        Router::new()
            .now::<AddNode>(add)
            .later::<GetSceneTree>(tree, Duration::from_secs(1))
    }

    #[test]
    fn parses_calls_and_encodes() {
        let mut count = 0;
        let r = router();
        let out = r
            .call(
                &mut count,
                "add_node",
                json!({"type": "Node2D", "name": "A"}),
            )
            .unwrap();
        let Answer::Now(value) = out else {
            panic!("answered later")
        };
        assert_eq!(value["node_path"], "A");
        assert_eq!(count, 1);
    }

    #[test]
    fn bad_params_and_unknown_names_are_errors() {
        let r = router();
        let e = r
            .call(&mut 0, "add_node", json!({"type": 1}))
            .err()
            .unwrap();
        assert_eq!(e.code, ErrorCode::InvalidParams);
        let e = r.call(&mut 0, "add_nod", json!({})).err().unwrap();
        assert_eq!(e.code, ErrorCode::UnknownAction);
        assert!(e.hint.unwrap().contains("did you mean add_node"));
    }

    #[test]
    fn later_answers_are_encoded_when_polled() {
        let r = router();
        let Answer::Later { mut poll, .. } =
            r.call(&mut 0, "get_scene_tree", json!({})).ok().unwrap()
        else {
            panic!("answered at once")
        };
        assert!(poll().is_none());
        assert_eq!(poll().unwrap().unwrap_err().code, ErrorCode::SceneNotFound);
        let e = r
            .get("get_scene_tree")
            .unwrap()
            .call_now(&mut 0, json!({}))
            .err()
            .unwrap();
        assert_eq!(e.code, ErrorCode::InvalidOperation);
    }

    #[test]
    fn a_name_registered_twice_is_reported() {
        let r = router().now::<AddNode>(add);
        assert_eq!(r.duplicates(), ["add_node"]);
        assert_eq!(r.names().count(), 2);
        assert!(r.get(RemoveNode::NAME).is_none());
        assert_eq!(
            r.get("get_scene_tree").unwrap().deadline,
            Some(Duration::from_secs(1))
        );
        assert!(!r.get("add_node").unwrap().read_only);
    }
}
