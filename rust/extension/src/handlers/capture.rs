//! Screenshots of the editor's window and views, and of the running game.
//!
//! Captures wait for fresh frames rather than reading whatever a viewport
//! last held: the editor normally redraws only when something changes (its
//! low-processor mode), and a hidden 2D or 3D view is not drawn at all. So
//! while a capture waits, the editor draws continuously and the view is
//! drawn even if hidden; both settings return to what they were when the
//! capture ends. The game captures its own window, the way the editor's
//! Game view asks for it, and answers with a PNG file.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use godot::classes::image::Format;
use godot::classes::sub_viewport::UpdateMode;
use godot::classes::{Engine, Image, Os, SubViewport, Viewport};
use godot::prelude::*;
use godot_mcp_protocol::commands::capture::{
    CaptureTarget, DEFAULT_MAX_SIZE, GetScreenshot, MAX_SIZE_RANGE, Screenshot, fit,
};
use godot_mcp_protocol::image::Image as Encoded;
use godot_mcp_protocol::{ErrorBody, ErrorCode};

use super::{Ctx, edited_scene, editor_interface};
use godot_mcp_protocol::router::Answer;

/// Frames drawn after the request before the editor's capture is taken.
const FRESH_FRAMES: i32 = 2;
pub(super) const CAPTURE_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest PNG an answer may carry: base64 grows it by a third, and the
/// whole answer must fit the connection's outbound cap.
const PNG_BUDGET: usize = crate::server::MAX_OUTBOUND_BYTES / 4 * 3 - (64 << 10);
const _: () = assert!(PNG_BUDGET / 3 * 4 < crate::server::MAX_OUTBOUND_BYTES);
/// Screenshot request ids, apart from the ones the editor's Game view uses.
const FIRST_GAME_SHOT: i64 = 1 << 40;

thread_local! {
    static NEXT_SHOT: std::cell::Cell<i64> = const { std::cell::Cell::new(FIRST_GAME_SHOT) };
}

pub fn get_screenshot(
    ctx: &mut Ctx,
    params: GetScreenshot,
) -> Result<Answer<Screenshot>, ErrorBody> {
    let max = params.max_size.unwrap_or(DEFAULT_MAX_SIZE);
    if !MAX_SIZE_RANGE.contains(&max) {
        return Err(ErrorBody::new(
            ErrorCode::InvalidParams,
            format!("max_size {max} is outside {MAX_SIZE_RANGE:?}"),
        )
        .with_hint("pass a max_size from 16 to 4096, or leave it out for 1024"));
    }
    if super::headless() {
        return Err(ErrorBody::new(
            ErrorCode::EditorNotReady,
            "this editor runs headless, so nothing is rendered to capture",
        )
        .with_sub_code("rendering_off")
        .with_hint(
            "start the editor with a display (or under Xvfb) and --rendering-driver opengl3 instead of --headless",
        ));
    }
    match params.target {
        CaptureTarget::Game => game(ctx, max),
        target => Ok(editor_view(target, max)?),
    }
}

fn editor_view(target: CaptureTarget, max: u32) -> Result<Answer<Screenshot>, ErrorBody> {
    let scene = || {
        edited_scene()
            .map(|s| s.path)
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "no saved scene".into())
    };
    let (viewport, view, what): (Gd<Viewport>, Option<Gd<SubViewport>>, String) = match target {
        CaptureTarget::Viewport2d => {
            let view = editor_interface()
                .get_editor_viewport_2d()
                .ok_or_else(no_view)?;
            (
                view.clone().upcast(),
                Some(view),
                format!("the editor's 2D view of {}", scene()),
            )
        }
        CaptureTarget::Viewport3d => {
            let view = editor_interface()
                .get_editor_viewport_3d()
                .ok_or_else(no_view)?;
            (
                view.clone().upcast(),
                Some(view),
                format!("the editor's 3D view of {}", scene()),
            )
        }
        _ => {
            let window = editor_interface()
                .get_base_control()
                .and_then(|c| c.get_viewport())
                .ok_or_else(no_view)?;
            (window, None, "the whole editor window".into())
        }
    };
    let hold = Redraw::hold(view);
    let drawn = Engine::singleton().get_frames_drawn() + FRESH_FRAMES;
    Ok(Answer::Later {
        poll: Box::new(move || {
            let _hold = &hold;
            if Engine::singleton().get_frames_drawn() < drawn {
                return None;
            }
            let image = viewport.get_texture().and_then(|t| t.get_image());
            Some(
                image
                    .ok_or_else(no_view)
                    .and_then(|i| encode(target, i, max, &what)),
            )
        }),
        waiting_for: "the editor to draw a frame",
    })
}

/// Asks the game for two screenshots and answers with the second: the game
/// takes a screenshot of the frame it last drew, and between the two
/// requests it has drawn at least one, so a game that just started does not
/// answer with an empty window.
fn game(ctx: &mut Ctx, max: u32) -> Result<Answer<Screenshot>, ErrorBody> {
    let debugger = ctx.debugger.clone().ok_or_else(no_game)?;
    let first = request_shot(&debugger)?;
    let runs = ctx.runs.clone();
    let mut waiting = (first, true);
    Ok(Answer::Later {
        poll: Box::new(move || {
            let path = runs.borrow_mut().shots.remove(&waiting.0)?;
            if waiting.1 {
                let _ = std::fs::remove_file(&path);
                match request_shot(&debugger) {
                    Ok(id) => waiting = (id, false),
                    Err(e) => return Some(Err(e)),
                }
                return None;
            }
            let image = Image::load_from_file(&path);
            let _ = std::fs::remove_file(&path);
            let what = match runs.borrow().current() {
                Some(run) => format!("the running game (run {}, {})", run.run_id, run.scene),
                None => "the running game".into(),
            };
            Some(
                image
                    .ok_or_else(|| {
                        ErrorBody::new(ErrorCode::GodotError, "cannot read the game's screenshot")
                            .with_hint("try again; the game may have ended meanwhile")
                    })
                    .and_then(|i| encode(CaptureTarget::Game, i, max, &what)),
            )
        }),
        waiting_for: "the game to send a screenshot",
    })
}

fn request_shot(debugger: &Gd<crate::debugger::GodotMcpDebugger>) -> Result<i64, ErrorBody> {
    let id = NEXT_SHOT.get();
    NEXT_SHOT.set(id + 1);
    let sent = debugger
        .bind()
        .send_to_game("scene:rq_screenshot", &varray![id]);
    sent.then_some(id).ok_or_else(no_game)
}

/// Scales to `max`, and further if the PNG would not fit an answer.
fn encode(
    target: CaptureTarget,
    mut image: Gd<Image>,
    max: u32,
    what: &str,
) -> Result<Screenshot, ErrorBody> {
    let size = |i: &Gd<Image>| {
        (
            u32::try_from(i.get_width()).unwrap_or(0),
            u32::try_from(i.get_height()).unwrap_or(0),
        )
    };
    let (source_width, source_height) = size(&image);
    if image.is_empty() || source_width == 0 || source_height == 0 {
        return Err(no_view());
    }
    image.clear_mipmaps();
    image.convert(Format::RGB8);
    let mut limit = max;
    loop {
        let (width, height) = fit(source_width, source_height, limit);
        if (width, height) != size(&image) {
            image.resize(width as i32, height as i32);
        }
        let png = image.save_png_to_buffer().to_vec();
        if png.len() <= PNG_BUDGET {
            let scaled = if (width, height) == (source_width, source_height) {
                String::new()
            } else {
                format!(", scaled down from {source_width}x{source_height}")
            };
            return Ok(Screenshot {
                target,
                width,
                height,
                source_width,
                source_height,
                png_bytes: png.len(),
                description: format!(
                    "{}: {what}, {width}x{height} PNG ({:.1} KB){scaled}",
                    target.as_str(),
                    png.len() as f64 / 1024.0
                ),
                image: Encoded {
                    mime_type: "image/png".into(),
                    data: base64::engine::general_purpose::STANDARD.encode(&png),
                },
            });
        }
        limit = smaller(limit, png.len());
        if limit < *MAX_SIZE_RANGE.start() {
            return Err(ErrorBody::new(
                ErrorCode::ResponseTooLarge,
                "the screenshot does not fit in an answer even when scaled down",
            )
            .with_hint("pass a smaller max_size"));
        }
    }
}

/// A longest side whose PNG should fit the budget, from one that gave `bytes`.
fn smaller(limit: u32, bytes: usize) -> u32 {
    let ratio = (PNG_BUDGET as f64 / bytes as f64).sqrt() * 0.9;
    ((f64::from(limit) * ratio) as u32).min(limit.saturating_sub(1))
}

fn no_view() -> ErrorBody {
    ErrorBody::new(
        ErrorCode::GodotError,
        "the editor has no image for this view",
    )
    .with_hint("open a scene, or capture the whole editor with target editor")
}

fn no_game() -> ErrorBody {
    ErrorBody::new(ErrorCode::InvalidOperation, "no game is running")
        .with_hint("start one with run_project, then capture it")
}

thread_local! {
    /// Captures waiting for frames, and the user's low-processor setting
    /// to restore when the last one ends.
    static HOLDS: RefCell<(u32, bool)> = const { RefCell::new((0, false)) };
    /// Views made to draw while hidden: holds and their own update mode.
    static VIEWS: RefCell<HashMap<InstanceId, (u32, UpdateMode)>> = RefCell::new(HashMap::new());
}

/// Keeps the editor drawing (and a view drawn) while a capture waits.
struct Redraw {
    view: Option<Gd<SubViewport>>,
}

impl Redraw {
    fn hold(view: Option<Gd<SubViewport>>) -> Self {
        HOLDS.with_borrow_mut(|(holds, saved)| {
            if *holds == 0 {
                let mut os = Os::singleton();
                *saved = os.is_in_low_processor_usage_mode();
                os.set_low_processor_usage_mode(false);
            }
            *holds += 1;
        });
        if let Some(view) = &view {
            let mut view = view.clone();
            VIEWS.with_borrow_mut(|views| {
                let entry = views
                    .entry(view.instance_id())
                    .or_insert((0, view.get_update_mode()));
                entry.0 += 1;
            });
            view.set_update_mode(UpdateMode::ALWAYS);
        }
        Self { view }
    }
}

impl Drop for Redraw {
    fn drop(&mut self) {
        if let Some(mut view) = self.view.take().filter(|v| v.is_instance_valid()) {
            let restore = VIEWS.with_borrow_mut(|views| {
                let id = view.instance_id();
                let entry = views.get_mut(&id)?;
                entry.0 -= 1;
                (entry.0 == 0).then(|| views.remove(&id).map(|(_, mode)| mode))?
            });
            if let Some(mode) = restore {
                view.set_update_mode(mode);
            }
        }
        HOLDS.with_borrow_mut(|(holds, saved)| {
            *holds -= 1;
            if *holds == 0 {
                Os::singleton().set_low_processor_usage_mode(*saved);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinking_reaches_the_budget_and_always_shrinks() {
        assert!(smaller(4096, PNG_BUDGET * 4) <= 4096 / 2);
        assert!((85..=90).contains(&smaller(100, PNG_BUDGET + 1)));
        assert!(smaller(20, PNG_BUDGET) < 20);
    }
}
