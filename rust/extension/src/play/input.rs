//! Input events in game_input's forms, given to the game as real input
//! (`Input.parse_input_event`): actions, `_input`, `_unhandled_input` and
//! the GUI all see them.

use godot::classes::notify::ControlNotification;
use godot::classes::{
    Control, Input, InputEvent, InputEventAction, InputEventJoypadButton, InputEventJoypadMotion,
    InputEventKey, InputEventMouseButton, InputEventMouseMotion, InputMap, Os,
};
use godot::global::{JoyAxis, JoyButton, Key, MouseButton};
use godot::obj::EngineEnum;
use godot::prelude::*;
use godot_mcp_protocol::play::EventForm;
use godot_mcp_protocol::{ErrorBody, ErrorCode};

use super::inspect;

/// Checks what can be checked before the event is due.
pub fn check(event: &EventForm) -> Result<(), ErrorBody> {
    match event {
        EventForm::Action { action, .. } => known_action(action),
        EventForm::Key { key, .. } => keycode(key).map(drop),
        EventForm::Click(target) => inspect::click_target(target).map(drop),
        _ => Ok(()),
    }
}

fn known_action(action: &str) -> Result<(), ErrorBody> {
    if InputMap::singleton().has_action(action) {
        return Ok(());
    }
    let actions: Vec<String> = InputMap::singleton()
        .get_actions()
        .iter_shared()
        .map(|a| a.to_string())
        .filter(|a| !a.starts_with("ui_"))
        .collect();
    Err(ErrorBody::new(
        ErrorCode::InvalidValue,
        format!("the game has no input action {action:?}"),
    )
    .with_hint(format!(
        "project actions: {} (and the built-in ui_* ones)",
        actions.join(", ")
    )))
}

fn keycode(name: &str) -> Result<Key, ErrorBody> {
    let key = Os::singleton().find_keycode_from_string(name);
    if key == Key::NONE {
        return Err(ErrorBody::new(
            ErrorCode::InvalidValue,
            format!("{name:?} is not a key name Godot knows"),
        )
        .with_hint("use names like Space, Enter, A, Left, Escape, F1"));
    }
    Ok(key)
}

fn parse(event: Gd<InputEvent>) {
    Input::singleton().parse_input_event(&event);
}

fn vec2(p: [f64; 2]) -> Vector2 {
    Vector2::new(p[0] as f32, p[1] as f32)
}

/// Queues the event; the engine delivers it before the next frame.
pub fn apply(event: &EventForm) -> Result<(), ErrorBody> {
    // Each form checks itself here, so nothing is resolved twice.
    match event {
        EventForm::Action {
            action,
            pressed,
            strength,
        } => {
            known_action(action)?;
            let mut e = InputEventAction::new_gd();
            e.set_action(action.as_str());
            e.set_pressed(*pressed);
            e.set_strength(*strength as f32);
            parse(e.upcast());
        }
        EventForm::Key {
            key,
            pressed,
            shift,
            ctrl,
            alt,
            meta,
        } => {
            let code = keycode(key)?;
            let mut e = InputEventKey::new_gd();
            e.set_keycode(code);
            e.set_physical_keycode(code);
            e.set_pressed(*pressed);
            e.set_shift_pressed(*shift);
            e.set_ctrl_pressed(*ctrl);
            e.set_alt_pressed(*alt);
            e.set_meta_pressed(*meta);
            parse(e.upcast());
        }
        EventForm::MouseButton {
            button,
            position,
            pressed,
        } => {
            if *pressed && let Some(control) = inspect::control_at(vec2(*position)) {
                hover(&control);
            }
            mouse_button(*button as i32, vec2(*position), *pressed)
        }
        EventForm::MouseMotion { position } => {
            let mut e = InputEventMouseMotion::new_gd();
            e.set_position(vec2(*position));
            e.set_global_position(vec2(*position));
            parse(e.upcast());
        }
        EventForm::JoypadButton {
            button,
            pressed,
            device,
        } => {
            let mut e = InputEventJoypadButton::new_gd();
            e.set_button_index(JoyButton::from_ord(*button as i32));
            e.set_pressed(*pressed);
            e.set_device(*device as i32);
            parse(e.upcast());
        }
        EventForm::JoypadAxis {
            axis,
            value,
            device,
        } => {
            let mut e = InputEventJoypadMotion::new_gd();
            e.set_axis(JoyAxis::from_ord(*axis as i32));
            e.set_axis_value(*value as f32);
            e.set_device(*device as i32);
            parse(e.upcast());
        }
        EventForm::Text(text) => {
            for c in text.chars() {
                for pressed in [true, false] {
                    let mut e = InputEventKey::new_gd();
                    e.set_unicode(c as u32);
                    e.set_pressed(pressed);
                    parse(e.upcast());
                }
            }
        }
        EventForm::Click(target) => {
            let control = inspect::click_target(target)?;
            let rect = control.get_global_rect();
            let centre = rect.position + rect.size / 2.0;
            // From the canvas to the window, through any stretch transform.
            let at = control
                .get_viewport()
                .map(|v| v.get_final_transform())
                .filter(|t| t.determinant().abs() > 1e-6)
                .map_or(centre, |t| t * centre);
            let mut motion = InputEventMouseMotion::new_gd();
            motion.set_position(at);
            motion.set_global_position(at);
            parse(motion.upcast());
            hover(&control);
            mouse_button(MouseButton::LEFT.ord(), at, true);
            mouse_button(MouseButton::LEFT.ord(), at, false);
        }
    }
    Ok(())
}

/// A window the system pointer has not entered (always so headless, and
/// under a display when the pointer is elsewhere) gives no Control hover,
/// and a Button takes a mouse press only while hovered. So the Control
/// under a press is told the mouse entered it, as the window would.
fn hover(control: &Gd<Control>) {
    let hovered = control
        .get_viewport()
        .and_then(|v| v.gui_get_hovered_control());
    if hovered.as_ref() != Some(control) {
        control.clone().notify(ControlNotification::MOUSE_ENTER);
    }
}

fn mouse_button(index: i32, at: Vector2, pressed: bool) {
    let mut e = InputEventMouseButton::new_gd();
    e.set_button_index(MouseButton::from_ord(index));
    e.set_position(at);
    e.set_global_position(at);
    e.set_pressed(pressed);
    if pressed && index == MouseButton::LEFT.ord() {
        e.set_button_mask(godot::global::MouseButtonMask::LEFT);
    }
    parse(e.upcast());
}
