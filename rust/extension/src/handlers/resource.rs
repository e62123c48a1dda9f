//! Resource files: create them from any Resource class, read them, change them.

use godot::classes::{Resource, ResourceLoader, ResourceSaver};
use godot::prelude::*;
use godot_mcp_protocol::commands::resource::*;
use godot_mcp_protocol::{ErrorBody, ErrorCode, paths};

use super::{Ctx, fs_path, save_resource, undo::undo_action, written};
use crate::convert;

pub fn create_resource(_: &mut Ctx, params: CreateResource) -> Result<ResourceInfo, ErrorBody> {
    let path = paths::normalize_file(&params.path, &["tres", "res"])?;
    let file = fs_path(&path)?;
    if file.exists() && !params.overwrite {
        return Err(
            ErrorBody::new(ErrorCode::AlreadyExists, format!("{path} already exists"))
                .with_hint("pass overwrite: true, or change it with set_resource_properties"),
        );
    }
    let mut resource = convert::new_resource(&params.class, "", &params.properties)?;
    save_resource(&resource, &path)?;
    // Later loads of the path must get this resource, not an older cached one.
    resource.take_over_path(&path);
    Ok(info(path, &resource))
}

pub fn get_resource(_: &mut Ctx, params: GetResource) -> Result<ResourceInfo, ErrorBody> {
    let path = paths::normalize(&params.path)?;
    let resource = load(&path)?;
    Ok(info(path, &resource))
}

pub fn set_resource_properties(
    ctx: &mut Ctx,
    params: SetResourceProperties,
) -> Result<ResourceInfo, ErrorBody> {
    let path = paths::normalize(&params.path)?;
    let resource = load(&path)?;
    let values = convert::to_variants(&resource.clone().upcast(), &params.properties)?;
    let saver = ResourceSaver::singleton();
    let save_args = vslice![resource.clone(), GString::from(&path)];
    let mut undo = undo_action(&format!("edit {path}"))?;
    for (name, value) in &values {
        undo.add_do_property(&resource, name.as_str(), value);
        undo.add_undo_property(&resource, name.as_str(), &resource.get(name.as_str()));
    }
    undo.add_do_method(&saver, "save", save_args);
    undo.add_undo_method(&saver, "save", save_args);
    let before = written::before(&path);
    undo.commit(&mut ctx.journal);
    written::verify(&path, before)?;
    Ok(info(path, &resource))
}

fn load(path: &str) -> Result<Gd<Resource>, ErrorBody> {
    if !fs_path(path)?.is_file() {
        return Err(
            ErrorBody::new(ErrorCode::FileNotFound, format!("no resource at {path}"))
                .with_hint("list_files shows the project's files; create_resource makes one"),
        );
    }
    ResourceLoader::singleton().load(path).ok_or_else(|| {
        ErrorBody::new(
            ErrorCode::GodotError,
            format!("{path} could not be loaded as a resource"),
        )
        .with_hint("read_text_file shows a text file's contents")
    })
}

fn info(path: String, resource: &Gd<Resource>) -> ResourceInfo {
    ResourceInfo {
        path,
        class: resource.get_class().to_string(),
        properties: convert::saved_resource_properties(&resource.clone().upcast()),
    }
}
