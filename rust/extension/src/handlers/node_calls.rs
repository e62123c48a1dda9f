//! The engine calls a tree listing makes per node, made directly.
//!
//! Through gdext's typed API every call checks again that it runs on the main
//! thread and that its object is alive, and wraps each node it returns in a
//! `Gd`. A listing makes about eight calls per node, and those checks and
//! wrappers were a third of the main thread's time for a 2,000-node tree.
//! [`NodeCalls`] makes the same calls through the engine's method binds: the
//! thread is checked once, when it is made (it is not `Send`), and liveness
//! once per node by the walk, which knows when nodes can be freed.
//!
//! This uses gdext's low-level `sys` layer, so the workspace pins gdext's
//! exact version; the method hashes are Godot's stable ones.

use std::ffi::c_void;
use std::marker::PhantomData;
use std::ptr;

use godot::builtin::{Array, GString, StringName, Variant};
use godot::obj::{Gd, GodotClass};
use godot::sys::{self, GodotFfi};
use godot_mcp_protocol::{ErrorBody, ErrorCode};

/// A node's object pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawNode(sys::GDExtensionObjectPtr);

impl RawNode {
    pub fn of<T: GodotClass>(node: &Gd<T>) -> RawNode {
        let id = node.instance_id().to_i64() as u64;
        // SAFETY: the binding is up while any `Gd` exists; the lookup only
        // reads Godot's object table.
        RawNode(unsafe { sys::interface_fn!(object_get_instance_from_id)(id) })
    }

    pub fn is_null(self) -> bool {
        self.0.is_null()
    }
}

/// Method binds and interface functions for reading nodes.
pub struct NodeCalls {
    ptrcall: sys::GDExtensionInterfaceObjectMethodBindPtrcall,
    from_id: sys::GDExtensionInterfaceObjectGetInstanceFromId,
    id_of: sys::GDExtensionInterfaceObjectGetInstanceId,
    child_count: sys::GDExtensionMethodBindPtr,
    child: sys::GDExtensionMethodBindPtr,
    owner: sys::GDExtensionMethodBindPtr,
    name: sys::GDExtensionMethodBindPtr,
    class: sys::GDExtensionMethodBindPtr,
    scene_file_path: sys::GDExtensionMethodBindPtr,
    script: sys::GDExtensionMethodBindPtr,
    groups: sys::GDExtensionMethodBindPtr,
    /// Made and used on the main thread only.
    _main_thread: PhantomData<*const ()>,
}

impl NodeCalls {
    /// Looks the methods up; on the main thread, as every handler runs.
    pub fn new() -> Result<NodeCalls, ErrorBody> {
        if !sys::is_main_thread() {
            return Err(bug("node calls made off the main thread".into()));
        }
        // SAFETY: handlers run on the main thread with the binding up; these
        // only read the interface table.
        let (ptrcall, from_id, id_of) = unsafe {
            let interface = sys::get_interface();
            (
                interface.object_method_bind_ptrcall,
                interface.object_get_instance_from_id,
                interface.object_get_instance_id,
            )
        };
        Ok(NodeCalls {
            ptrcall,
            from_id,
            id_of,
            child_count: bind("Node", "get_child_count", 894402480)?,
            child: bind("Node", "get_child", 541253412)?,
            owner: bind("Node", "get_owner", 3160264692)?,
            name: bind("Node", "get_name", 2002593661)?,
            class: bind("Object", "get_class", 201670096)?,
            scene_file_path: bind("Node", "get_scene_file_path", 201670096)?,
            script: bind("Object", "get_script", 1214101251)?,
            groups: bind("Node", "get_groups", 3995934104)?,
            _main_thread: PhantomData,
        })
    }

    /// The instance id of a node, to find it again in a later frame.
    ///
    /// # Safety
    /// `node` is alive.
    pub unsafe fn id(&self, node: RawNode) -> u64 {
        unsafe { (self.id_of)(node.0) }
    }

    /// Whether the node that had `id` is still the object at `node`.
    pub fn is_alive(&self, node: RawNode, id: u64) -> bool {
        // SAFETY: a lookup in Godot's object table, which answers null for
        // a freed id.
        let found = unsafe { (self.from_id)(id) };
        !found.is_null() && found == node.0
    }

    /// # Safety
    /// `node` is a live `Node`.
    pub unsafe fn child_count(&self, node: RawNode) -> i64 {
        let internal = false;
        let mut count: i64 = 0;
        unsafe {
            self.call(
                self.child_count,
                node,
                &[bool_arg(&internal)],
                (&raw mut count).cast(),
            )
        };
        count
    }

    /// The child at `index` (not counting internal ones), or null.
    ///
    /// # Safety
    /// `node` is a live `Node`.
    pub unsafe fn child(&self, node: RawNode, index: i64) -> RawNode {
        let internal = false;
        let mut child: sys::GDExtensionObjectPtr = ptr::null_mut();
        unsafe {
            self.call(
                self.child,
                node,
                &[int_arg(&index), bool_arg(&internal)],
                (&raw mut child).cast(),
            )
        };
        RawNode(child)
    }

    /// The node's owner, null when it has none.
    ///
    /// # Safety
    /// `node` is a live `Node`.
    pub unsafe fn owner(&self, node: RawNode) -> RawNode {
        let mut owner: sys::GDExtensionObjectPtr = ptr::null_mut();
        unsafe { self.call(self.owner, node, &[], (&raw mut owner).cast()) };
        RawNode(owner)
    }

    /// # Safety
    /// `node` is a live `Node`.
    pub unsafe fn name(&self, node: RawNode) -> StringName {
        unsafe { StringName::new_with_init(|ret| self.call(self.name, node, &[], ret.cast())) }
    }

    /// # Safety
    /// `node` is a live `Node`.
    pub unsafe fn class(&self, node: RawNode) -> GString {
        unsafe { GString::new_with_init(|ret| self.call(self.class, node, &[], ret.cast())) }
    }

    /// # Safety
    /// `node` is a live `Node`.
    pub unsafe fn scene_file_path(&self, node: RawNode) -> GString {
        unsafe {
            GString::new_with_init(|ret| self.call(self.scene_file_path, node, &[], ret.cast()))
        }
    }

    /// # Safety
    /// `node` is a live `Node`.
    pub unsafe fn script(&self, node: RawNode) -> Variant {
        unsafe { Variant::new_with_init(|ret| self.call(self.script, node, &[], ret.cast())) }
    }

    /// # Safety
    /// `node` is a live `Node`.
    pub unsafe fn groups(&self, node: RawNode) -> Array<StringName> {
        unsafe { Array::new_with_init(|ret| self.call(self.groups, node, &[], ret.cast())) }
    }

    /// # Safety
    /// `node` is a live `Node`, `bind` one of ours, `args` and `ret` what it
    /// takes and returns.
    unsafe fn call(
        &self,
        bind: sys::GDExtensionMethodBindPtr,
        node: RawNode,
        args: &[sys::GDExtensionConstTypePtr],
        ret: *mut c_void,
    ) {
        unsafe { (self.ptrcall)(bind, node.0, args.as_ptr(), ret.cast()) }
    }
}

/// Ptrcall arguments are pointers to the values as the engine reads them:
/// a `bool` as one byte, every integer as an `i64`.
fn bool_arg(value: &bool) -> sys::GDExtensionConstTypePtr {
    ptr::from_ref(value).cast()
}

fn int_arg(value: &i64) -> sys::GDExtensionConstTypePtr {
    ptr::from_ref(value).cast()
}

fn bind(class: &str, method: &str, hash: i64) -> Result<sys::GDExtensionMethodBindPtr, ErrorBody> {
    let class_name = StringName::from(class);
    let method_name = StringName::from(method);
    // SAFETY: on the main thread with the binding up; both names outlive the call.
    let bind = unsafe {
        sys::interface_fn!(classdb_get_method_bind)(
            class_name.sys().cast(),
            method_name.sys().cast(),
            hash,
        )
    };
    if bind.is_null() {
        return Err(bug(format!(
            "this Godot has no {class}.{method} with the expected signature"
        )));
    }
    Ok(bind)
}

fn bug(message: String) -> ErrorBody {
    ErrorBody::new(ErrorCode::InternalError, message)
        .with_hint("this is a godot-mcp bug worth reporting, with your Godot version")
}
