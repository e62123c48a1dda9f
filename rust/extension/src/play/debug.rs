//! The debugger tools' part inside the game: the stack and the variables of
//! a game stopped in the script debugger, and expressions evaluated there.
//!
//! While the game is stopped, the engine's debug loop still hands messages
//! with a registered prefix to their capture, so these requests arrive on
//! the debugger channel and run inside the stopped script call. The script
//! stack of that call is what `Engine.capture_script_backtraces` sees; it is
//! empty when the game is not stopped (requests then come between frames).

use godot::classes::{Engine, Expression, ScriptBacktrace};
use godot::prelude::*;
use godot_mcp_protocol::commands::debug::{
    DebugState, Evaluated, FrameEval, SHOWN_ITEMS, Snapshot, Variables,
};
use godot_mcp_protocol::commands::runs::StackFrame;
use godot_mcp_protocol::{ErrorBody, ErrorCode};
use serde_json::{Map, Value};

use crate::convert;

/// The script stack with variables, innermost first; `None` when no script
/// runs (the game is not stopped in the debugger).
fn backtrace() -> Option<Gd<ScriptBacktrace>> {
    Engine::singleton()
        .capture_script_backtraces_ex()
        .include_variables(true)
        .done()
        .iter_shared()
        .find(|b| b.get_frame_count() > 0)
}

fn stack(b: &Gd<ScriptBacktrace>) -> Vec<StackFrame> {
    (0..b.get_frame_count())
        .map(|i| StackFrame {
            file: b.get_frame_file(i).to_string(),
            line: u32::try_from(b.get_frame_line(i)).unwrap_or(0),
            function: b.get_frame_function(i).to_string(),
        })
        .collect()
}

/// A frame's variables by kind, as (name, value) pairs.
struct Raw {
    locals: Vec<(String, Variant)>,
    members: Vec<(String, Variant)>,
    globals: Vec<(String, Variant)>,
}

fn raw(b: &Gd<ScriptBacktrace>, frame: u32) -> Result<Raw, ErrorBody> {
    let count = b.get_frame_count();
    let i = i32::try_from(frame)
        .ok()
        .filter(|i| *i < count)
        .ok_or_else(|| {
            ErrorBody::new(
                ErrorCode::InvalidParams,
                format!("no stack frame {frame}; the stack has {count}"),
            )
            .with_hint("frames count from 0, the innermost")
        })?;
    let pairs = |n: i32, name: &dyn Fn(i32) -> GString, value: &dyn Fn(i32) -> Variant| {
        (0..n)
            .map(|v| (name(v).to_string(), value(v)))
            .collect::<Vec<_>>()
    };
    Ok(Raw {
        locals: pairs(
            b.get_local_variable_count(i),
            &|v| b.get_local_variable_name(i, v),
            &|v| b.get_local_variable_value(i, v),
        ),
        members: pairs(
            b.get_member_variable_count(i),
            &|v| b.get_member_variable_name(i, v),
            &|v| b.get_member_variable_value(i, v),
        ),
        globals: pairs(
            b.get_global_variable_count(),
            &|v| b.get_global_variable_name(v),
            &|v| b.get_global_variable_value(v),
        ),
    })
}

fn values(pairs: &[(String, Variant)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(n, v)| (n.clone(), convert::to_json_capped(v, SHOWN_ITEMS)))
        .collect()
}

/// The stack and the selected frame's variables; an empty stack when the
/// game is not stopped in the debugger.
pub fn state(p: DebugState, frozen: bool) -> Result<Snapshot, ErrorBody> {
    let Some(b) = backtrace() else {
        return Ok(Snapshot {
            frozen,
            ..Snapshot::default()
        });
    };
    let index = p.frame.unwrap_or(0);
    let vars = raw(&b, index)?;
    Ok(Snapshot {
        stack: stack(&b),
        frame: Some(Variables {
            index,
            locals: values(&vars.locals),
            members: values(&vars.members),
            globals: values(&vars.globals),
        }),
        frozen,
    })
}

/// Evaluates an Expression on the frame's `self`, whose names are the
/// frame's locals, members and globals (in that order of precedence) and
/// the engine's singletons, as the editor's Evaluator does.
pub fn eval(p: FrameEval) -> Result<Evaluated, ErrorBody> {
    let b = backtrace().ok_or_else(|| {
        ErrorBody::new(
            ErrorCode::NotPaused,
            "the game is not paused in the debugger",
        )
    })?;
    let index = p.frame.unwrap_or(0);
    let vars = raw(&b, index)?;
    let mut names = PackedStringArray::new();
    let mut inputs = VarArray::new();
    let (global_names, global_values) = super::inspect::globals();
    let all = vars
        .locals
        .iter()
        .chain(&vars.members)
        .chain(&vars.globals)
        .cloned()
        .chain(
            global_names
                .as_slice()
                .iter()
                .map(GString::to_string)
                .zip(global_values.iter_shared()),
        );
    for (name, value) in all {
        if !names.as_slice().iter().any(|n| n.to_string() == name) {
            names.push(&name);
            inputs.push(&value);
        }
    }
    let mut expression = Expression::new_gd();
    let bad = |why: String| {
        ErrorBody::new(
            ErrorCode::ExpressionError,
            format!("{:?}: {why}", p.expression),
        )
        .with_hint("a Godot Expression over the frame's locals, members and globals, e.g. n * 2")
    };
    if expression
        .parse_ex(&p.expression)
        .input_names(&names)
        .done()
        != godot::global::Error::OK
    {
        return Err(bad(expression.get_error_text().to_string()));
    }
    let base = p
        .self_id
        .and_then(|id| Gd::<Object>::try_from_instance_id(InstanceId::from_i64(id)).ok());
    let mut run = expression.execute_ex().inputs(&inputs).show_error(false);
    if let Some(base) = &base {
        run = run.base_instance(base);
    }
    let value = run.done();
    if expression.has_execute_failed() {
        return Err(bad(expression.get_error_text().to_string()));
    }
    Ok(Evaluated {
        frame: index,
        value: convert::to_json_capped(&value, SHOWN_ITEMS),
    })
}
