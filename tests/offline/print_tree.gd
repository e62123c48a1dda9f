# Loads each scene given after `--`, instantiates it and prints its tree as
# JSON on one `TREE ` line: what Godot itself makes of files written offline.
extends SceneTree

const PROPS := ["position", "scale", "rotation", "modulate", "visible", "z_index", "text", "horizontal_alignment", "speed", "shape"]


func _init() -> void:
	for path in OS.get_cmdline_user_args():
		var packed := load(path) as PackedScene
		if packed == null:
			push_error("print_tree: cannot load %s" % path)
			continue
		var root := packed.instantiate()
		var nodes := []
		_walk(root, root, nodes)
		print("TREE ", JSON.stringify({"scene": path, "nodes": nodes}))
		root.free()
	quit(0)


func _walk(root: Node, node: Node, out: Array) -> void:
	var script: Script = node.get_script()
	var groups := []
	for g in node.get_groups():
		if not str(g).begins_with("_"):
			groups.append(str(g))
	groups.sort()
	var props := {}
	for p in PROPS:
		if p in node:
			var value = node.get(p)
			# A resource prints as its class and the properties that matter here.
			if value is Resource:
				value = "%s radius=%s" % [value.get_class(), value.get("radius")]
			props[p] = var_to_str(value)
	out.append({
		"path": "." if node == root else str(root.get_path_to(node)),
		"name": str(node.name),
		"type": node.get_class(),
		"script": script.resource_path if script else "",
		"groups": groups,
		"props": props,
	})
	for child in node.get_children():
		if child.owner == root:
			_walk(root, child, out)
