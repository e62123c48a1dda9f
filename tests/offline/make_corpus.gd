# Builds scenes and resources with the engine's own savers, so the offline
# parser is proven against exactly what Godot writes. Run headless with
# `--script res://make_corpus.gd`; every file lands under res://corpus/.
extends SceneTree

const DIR := "res://corpus"


func _init() -> void:
	DirAccess.make_dir_recursive_absolute(DIR)
	var script := FileAccess.open(DIR + "/mover.gd", FileAccess.WRITE)
	script.store_string("extends Node2D\n\n@export var speed := 5.0\n@export var label := \"\"\n")
	script.close()
	# The editor gives every script a uid kept beside it in a .uid file.
	var script_uid := ResourceUID.create_id()
	var uid_file := FileAccess.open(DIR + "/mover.gd.uid", FileAccess.WRITE)
	uid_file.store_string(ResourceUID.id_to_text(script_uid) + "\n")
	uid_file.close()
	ResourceUID.add_id(script_uid, DIR + "/mover.gd")
	var resources := _resources()
	for name in resources:
		_store(name, resources[name])
	_store("empty.tscn", _pack(Node.new()))
	_store("nodes_2d.tscn", _pack(_nodes_2d()))
	_store("nodes_3d.tscn", _pack(_nodes_3d()))
	_store("ui.tscn", _pack(_ui()))
	_store("values.tscn", _pack(_values()))
	_store("big_arrays.tscn", _pack(_big_arrays()))
	# Instancing needs the saved files, so these come last, in order.
	_store("instanced.tscn", _pack(_instanced()))
	_store("inherited.tscn", _inherited())
	print("corpus: saved %d files" % _saved)
	quit(0)


var _saved := 0


## Saves with a fresh uid, as the editor does, so references carry `uid=`.
func _store(name: String, resource: Resource) -> void:
	var path := DIR + "/" + name
	var err := ResourceSaver.save(resource, path)
	if err == OK:
		var uid := ResourceUID.create_id()
		err = ResourceSaver.set_uid(path, uid)
		ResourceUID.add_id(uid, path)
	if err != OK:
		push_error("corpus: cannot save %s: %d" % [path, err])
	else:
		_saved += 1


func _pack(root: Node) -> PackedScene:
	_own(root, root)
	var packed := PackedScene.new()
	var err := packed.pack(root)
	if err != OK:
		push_error("corpus: cannot pack %s" % root.name)
	root.free()
	return packed


func _own(root: Node, node: Node) -> void:
	for child in node.get_children():
		if child.owner == null:
			child.owner = root
		if child.scene_file_path.is_empty():
			_own(root, child)


func _add(parent: Node, node: Node, name: String) -> Node:
	node.name = name
	parent.add_child(node)
	return node


## A one-second animation moving `path` from the origin to `to`.
func _move_animation(path: String, to: Vector2) -> Animation:
	var anim := Animation.new()
	anim.length = 1.0
	var track := anim.add_track(Animation.TYPE_VALUE)
	anim.track_set_path(track, NodePath(path))
	anim.track_insert_key(track, 0.0, Vector2(0, 0))
	anim.track_insert_key(track, 1.0, to)
	return anim


func _resources() -> Dictionary:
	var out := {}
	var gradient := Gradient.new()
	gradient.offsets = PackedFloat32Array([0.0, 0.25, 1.0])
	gradient.colors = PackedColorArray([Color.RED, Color(0.1, 0.2, 0.3, 0.4), Color.TRANSPARENT])
	out["gradient.tres"] = gradient
	var curve := Curve.new()
	curve.add_point(Vector2(0, 0))
	curve.add_point(Vector2(0.5, 0.75), 1.5, -0.5)
	curve.add_point(Vector2(1, 1))
	out["curve.tres"] = curve
	var material := StandardMaterial3D.new()
	material.albedo_color = Color(0.8, 0.2, 0.1)
	material.metallic = 0.75
	material.roughness = 0.125
	material.emission_enabled = true
	material.emission = Color(1, 1, 0)
	out["material.tres"] = material
	var shader := Shader.new()
	shader.code = "shader_type canvas_item;\n\n// \"quoted\" and \\ backslash\nvoid fragment() {\n\tCOLOR = vec4(1.0);\n}\n"
	out["shader.tres"] = shader
	var env := Environment.new()
	env.background_mode = Environment.BG_COLOR
	env.background_color = Color(0.05, 0.05, 0.1)
	env.glow_enabled = true
	out["environment.tres"] = env
	var theme := Theme.new()
	var box := StyleBoxFlat.new()
	box.bg_color = Color(0.2, 0.3, 0.4)
	box.corner_radius_top_left = 6
	theme.set_stylebox("panel", "Panel", box)
	theme.set_color("font_color", "Label", Color(0.9, 0.9, 0.9))
	theme.set_constant("separation", "VBoxContainer", 12)
	out["theme.tres"] = theme
	var tex := GradientTexture2D.new()
	tex.gradient = gradient
	tex.width = 32
	tex.height = 16
	out["gradient_texture.tres"] = tex
	var frames := SpriteFrames.new()
	frames.add_animation("run")
	frames.set_animation_speed("run", 12.0)
	frames.set_animation_loop("run", false)
	out["sprite_frames.tres"] = frames
	var anim := _move_animation("Sprite:position", Vector2(100, 50))
	anim.length = 2.0
	var method := anim.add_track(Animation.TYPE_METHOD)
	anim.track_set_path(method, NodePath("."))
	anim.track_insert_key(method, 0.5, {"method": &"queue_free", "args": []})
	out["animation.tres"] = anim
	var lib := AnimationLibrary.new()
	lib.add_animation(&"walk", anim)
	out["animation_library.tres"] = lib
	var noise := FastNoiseLite.new()
	noise.seed = 1234
	noise.frequency = 0.0125
	var noise_tex := NoiseTexture2D.new()
	noise_tex.noise = noise
	out["noise_texture.tres"] = noise_tex
	var mesh := ArrayMesh.new()
	var arrays := []
	arrays.resize(Mesh.ARRAY_MAX)
	arrays[Mesh.ARRAY_VERTEX] = PackedVector3Array([Vector3(0, 0, 0), Vector3(1, 0, 0), Vector3(0, 1, 0)])
	arrays[Mesh.ARRAY_NORMAL] = PackedVector3Array([Vector3(0, 0, 1), Vector3(0, 0, 1), Vector3(0, 0, 1)])
	mesh.add_surface_from_arrays(Mesh.PRIMITIVE_TRIANGLES, arrays)
	out["array_mesh.tres"] = mesh
	var polygon := ConvexPolygonShape2D.new()
	polygon.points = PackedVector2Array([Vector2(-1, -1), Vector2(1, -1), Vector2(0, 1.5)])
	out["convex_polygon.tres"] = polygon
	var image := Image.create(4, 4, false, Image.FORMAT_RGBA8)
	image.fill(Color(0.25, 0.5, 0.75, 1))
	out["image_texture.tres"] = ImageTexture.create_from_image(image)
	return out


func _nodes_2d() -> Node:
	var root := Node2D.new()
	root.name = "World"
	var body := _add(root, CharacterBody2D.new(), "Hero") as CharacterBody2D
	body.position = Vector2(320, 180.5)
	body.rotation = 0.1
	body.scale = Vector2(-1, 2)
	body.add_to_group("players", true)
	body.add_to_group("saved", true)
	var mover := _add(root, Node2D.new(), "Mover") as Node2D
	mover.set_script(load(DIR + "/mover.gd"))
	mover.set("speed", 7.5)
	mover.set("label", "ok")
	var shape := _add(body, CollisionShape2D.new(), "Shape") as CollisionShape2D
	var capsule := CapsuleShape2D.new()
	capsule.radius = 12.0
	capsule.height = 40.0
	shape.shape = capsule
	var sprite := _add(body, Sprite2D.new(), "Sprite") as Sprite2D
	var tex := GradientTexture2D.new()
	var gradient := Gradient.new()
	gradient.colors = PackedColorArray([Color.BLACK, Color.WHITE])
	tex.gradient = gradient
	sprite.texture = tex
	sprite.modulate = Color(1, 0.5, 0.5, 0.75)
	sprite.flip_h = true
	var area := _add(root, Area2D.new(), "Pickup") as Area2D
	area.collision_layer = 5
	area.collision_mask = 0xFFFFFFFF
	var circle := _add(area, CollisionShape2D.new(), "Circle") as CollisionShape2D
	circle.shape = CircleShape2D.new()
	circle.shape.radius = 8.0
	area.body_entered.connect(Callable(root, &"queue_free"), CONNECT_PERSIST)
	body.tree_exited.connect(Callable(area, &"set_monitoring").bind(false), CONNECT_PERSIST | CONNECT_DEFERRED)
	var line := _add(root, Line2D.new(), "Line") as Line2D
	line.points = PackedVector2Array([Vector2(0, 0), Vector2(10, 20), Vector2(-3.25, 1e-5)])
	line.width = 2.5
	line.default_color = Color(0, 1, 0)
	var poly := _add(root, Polygon2D.new(), "Polygon") as Polygon2D
	poly.polygon = PackedVector2Array([Vector2(0, 0), Vector2(16, 0), Vector2(8, 12)])
	var cam := _add(root, Camera2D.new(), "Camera") as Camera2D
	cam.zoom = Vector2(2, 2)
	cam.limit_left = -100
	var timer := _add(root, Timer.new(), "Timer") as Timer
	timer.wait_time = 0.25
	timer.autostart = true
	timer.timeout.connect(Callable(cam, &"reset_smoothing"), CONNECT_PERSIST)
	var player := _add(root, AnimationPlayer.new(), "Anim") as AnimationPlayer
	var lib := AnimationLibrary.new()
	var anim := _move_animation("Hero:position", Vector2(64, 0))
	lib.add_animation(&"move", anim)
	player.add_animation_library(&"", lib)
	var path := _add(root, Path2D.new(), "Path") as Path2D
	var curve := Curve2D.new()
	curve.add_point(Vector2(0, 0), Vector2(-5, 0), Vector2(5, 0))
	curve.add_point(Vector2(100, 50))
	path.curve = curve
	var particles := _add(root, GPUParticles2D.new(), "Particles") as GPUParticles2D
	var pm := ParticleProcessMaterial.new()
	pm.gravity = Vector3(0, 98, 0)
	pm.color_ramp = GradientTexture1D.new()
	particles.process_material = pm
	particles.amount = 16
	var unique := _add(root, Node2D.new(), "Unique") as Node2D
	unique.unique_name_in_owner = true
	unique.visible = false
	unique.z_index = -3
	unique.set_meta(&"note", "meta value")
	unique.set_meta(&"score", 42)
	var tilemap := _add(root, TileMapLayer.new(), "Tiles") as TileMapLayer
	var tileset := TileSet.new()
	tileset.tile_size = Vector2i(8, 8)
	tilemap.tile_set = tileset
	return root


func _nodes_3d() -> Node:
	var root := Node3D.new()
	root.name = "Level3D"
	var mesh := _add(root, MeshInstance3D.new(), "Box") as MeshInstance3D
	var box := BoxMesh.new()
	box.size = Vector3(2, 0.5, 1)
	var mat := StandardMaterial3D.new()
	mat.albedo_color = Color(0.3, 0.6, 0.9)
	box.material = mat
	mesh.mesh = box
	mesh.transform = Transform3D(Basis(Vector3(0, 1, 0), 0.5), Vector3(1, 2, 3))
	var sphere := _add(root, MeshInstance3D.new(), "Sphere") as MeshInstance3D
	sphere.mesh = SphereMesh.new()
	sphere.position = Vector3(-1.5, 0, 0.001)
	sphere.set_surface_override_material(0, mat)
	var body := _add(root, StaticBody3D.new(), "Floor") as StaticBody3D
	var col := _add(body, CollisionShape3D.new(), "Shape") as CollisionShape3D
	var bshape := BoxShape3D.new()
	bshape.size = Vector3(20, 1, 20)
	col.shape = bshape
	var light := _add(root, DirectionalLight3D.new(), "Sun") as DirectionalLight3D
	light.rotation_degrees = Vector3(-45, 30, 0)
	light.shadow_enabled = true
	light.light_color = Color(1, 0.95, 0.8)
	var omni := _add(root, OmniLight3D.new(), "Lamp") as OmniLight3D
	omni.omni_range = 7.5
	var cam := _add(root, Camera3D.new(), "Camera") as Camera3D
	cam.fov = 60.0
	cam.current = true
	cam.position = Vector3(0, 5, 10)
	var env := _add(root, WorldEnvironment.new(), "Env") as WorldEnvironment
	var environment := Environment.new()
	var sky := Sky.new()
	sky.sky_material = ProceduralSkyMaterial.new()
	environment.sky = sky
	environment.background_mode = Environment.BG_SKY
	env.environment = environment
	var rb := _add(root, RigidBody3D.new(), "Crate") as RigidBody3D
	rb.mass = 3.5
	rb.physics_material_override = PhysicsMaterial.new()
	rb.physics_material_override.bounce = 0.4
	var csg := _add(root, CSGBox3D.new(), "CSG") as CSGBox3D
	csg.size = Vector3(1, 2, 3)
	var marker := _add(root, Marker3D.new(), "Marker") as Marker3D
	marker.basis = Basis.from_scale(Vector3(1, 2, 3))
	var nav := _add(root, NavigationRegion3D.new(), "Nav") as NavigationRegion3D
	var navmesh := NavigationMesh.new()
	navmesh.vertices = PackedVector3Array([Vector3(0, 0, 0), Vector3(1, 0, 0), Vector3(0, 0, 1)])
	navmesh.add_polygon(PackedInt32Array([0, 1, 2]))
	nav.navigation_mesh = navmesh
	var audio := _add(root, AudioStreamPlayer3D.new(), "Audio") as AudioStreamPlayer3D
	audio.volume_db = -6.0
	var skel := _add(root, Skeleton3D.new(), "Skeleton") as Skeleton3D
	skel.add_bone("hip")
	skel.add_bone("leg")
	skel.set_bone_parent(1, 0)
	skel.set_bone_rest(1, Transform3D(Basis(), Vector3(0, -1, 0)))
	return root


func _ui() -> Node:
	var root := Control.new()
	root.name = "Menü"
	root.set_anchors_preset(Control.PRESET_FULL_RECT)
	var panel := _add(root, PanelContainer.new(), "Panel") as PanelContainer
	var style := StyleBoxFlat.new()
	style.bg_color = Color(0.1, 0.1, 0.1, 0.9)
	style.set_corner_radius_all(8)
	panel.add_theme_stylebox_override("panel", style)
	var vbox := _add(panel, VBoxContainer.new(), "VBox") as VBoxContainer
	vbox.add_theme_constant_override("separation", 10)
	var title := _add(vbox, Label.new(), "Title") as Label
	title.text = "Ünïcødé — 日本語 🎮\nsecond line\t\"quoted\" \\ back"
	title.horizontal_alignment = HORIZONTAL_ALIGNMENT_CENTER
	title.add_theme_color_override("font_color", Color(1, 0.8, 0))
	title.add_theme_font_size_override("font_size", 32)
	var button := _add(vbox, Button.new(), "Start") as Button
	button.text = "Start"
	button.tooltip_text = "Begin the game"
	button.custom_minimum_size = Vector2(200, 40)
	button.pressed.connect(Callable(title, &"set_text").bind("clicked"), CONNECT_PERSIST)
	var edit := _add(vbox, LineEdit.new(), "Name") as LineEdit
	edit.placeholder_text = "名前"
	var opt := _add(vbox, OptionButton.new(), "Options") as OptionButton
	opt.add_item("One")
	opt.add_item("Two", 7)
	var rich := _add(vbox, RichTextLabel.new(), "Rich") as RichTextLabel
	rich.bbcode_enabled = true
	rich.text = "[b]bold[/b] [color=#ff0000]red[/color]"
	var tex := _add(vbox, TextureRect.new(), "Icon") as TextureRect
	tex.stretch_mode = TextureRect.STRETCH_KEEP_ASPECT_CENTERED
	var grid := _add(vbox, GridContainer.new(), "Grid") as GridContainer
	grid.columns = 3
	for i in 5:
		var cell := _add(grid, ColorRect.new(), "Cell%d" % i) as ColorRect
		cell.color = Color.from_hsv(i / 5.0, 0.5, 0.9)
		cell.custom_minimum_size = Vector2(8, 8)
		cell.add_to_group("cells", true)
	var slider := _add(vbox, HSlider.new(), "Volume") as HSlider
	slider.min_value = -80.0
	slider.max_value = 6.0
	slider.step = 0.5
	slider.value = -12.5
	slider.value_changed.connect(Callable(root, &"set_meta").bind(&"volume"), CONNECT_PERSIST)
	var tree := _add(vbox, Tree.new(), "Tree") as Tree
	tree.columns = 2
	var tabs := _add(root, TabContainer.new(), "Tabs") as TabContainer
	_add(tabs, Control.new(), "Tab A")
	_add(tabs, Control.new(), "Tab-B_2")
	return root


func _values() -> Node:
	var root := Node.new()
	root.name = "Values"
	root.set_meta(&"int", -9223372036854775807)
	root.set_meta(&"float", 3.141592653589793)
	root.set_meta(&"small", 1.0e-30)
	root.set_meta(&"big", 6.02e23)
	root.set_meta(&"inf", INF)
	root.set_meta(&"neg_inf", -INF)
	root.set_meta(&"nan", NAN)
	root.set_meta(&"string", "line1\nline2 \"q\" \\ tab\t end")
	root.set_meta(&"empty", "")
	root.set_meta(&"sname", &"a_string_name")
	root.set_meta(&"npath", NodePath("../a/b:prop:sub"))
	root.set_meta(&"v2", Vector2(1.5, -2))
	root.set_meta(&"v2i", Vector2i(3, -4))
	root.set_meta(&"v3", Vector3(1, 2, 3))
	root.set_meta(&"v3i", Vector3i(1, 2, 3))
	root.set_meta(&"v4", Vector4(1, 2, 3, 4))
	root.set_meta(&"v4i", Vector4i(-1, -2, -3, -4))
	root.set_meta(&"rect", Rect2(1, 2, 3, 4))
	root.set_meta(&"recti", Rect2i(1, 2, 3, 4))
	root.set_meta(&"t2d", Transform2D(0.5, Vector2(10, 20)))
	root.set_meta(&"t3d", Transform3D(Basis(Vector3(1, 0, 0), 1.0), Vector3(4, 5, 6)))
	root.set_meta(&"basis", Basis.from_euler(Vector3(0.1, 0.2, 0.3)))
	root.set_meta(&"quat", Quaternion(0, 0.7071068, 0, 0.7071068))
	root.set_meta(&"aabb", AABB(Vector3(-1, -1, -1), Vector3(2, 2, 2)))
	root.set_meta(&"plane", Plane(Vector3(0, 1, 0), 5))
	root.set_meta(&"proj", Projection.create_perspective(70, 1.5, 0.1, 100))
	root.set_meta(&"color", Color(0.1, 0.2, 0.3, 0.4))
	root.set_meta(&"array", [1, "two", 3.0, null, true, [4, [5]], {"k": Vector2(1, 1)}])
	var typed: Array[int] = [1, 2, 3]
	root.set_meta(&"typed_array", typed)
	var typed_names: Array[StringName] = [&"a", &"b"]
	root.set_meta(&"typed_names", typed_names)
	root.set_meta(&"dict", {"a": 1, 2: "b", &"c": [1], Vector2(1, 2): {"nested": true}})
	var typed_dict: Dictionary[String, int] = {"one": 1, "two": 2}
	root.set_meta(&"typed_dict", typed_dict)
	root.set_meta(&"bytes", PackedByteArray([0, 1, 255]))
	root.set_meta(&"int32s", PackedInt32Array([-1, 0, 2147483647]))
	root.set_meta(&"int64s", PackedInt64Array([-9223372036854775807, 9223372036854775807]))
	root.set_meta(&"float32s", PackedFloat32Array([0.1, 1.0, -2.5]))
	root.set_meta(&"float64s", PackedFloat64Array([0.1, 1e100, -2.5]))
	root.set_meta(&"strings", PackedStringArray(["a", "b \"c\"", "日本"]))
	root.set_meta(&"v2s", PackedVector2Array([Vector2(1, 2)]))
	root.set_meta(&"v3s", PackedVector3Array([Vector3(1, 2, 3)]))
	root.set_meta(&"v4s", PackedVector4Array([Vector4(1, 2, 3, 4)]))
	root.set_meta(&"colors", PackedColorArray([Color(1, 0, 0), Color(0, 0, 1, 0.5)]))
	root.set_meta(&"empty_array", [])
	root.set_meta(&"empty_dict", {})
	root.set_meta(&"empty_packed", PackedVector2Array())
	var res := Resource.new()
	res.resource_name = "inline"
	root.set_meta(&"res", res)
	return root


func _big_arrays() -> Node:
	var root := Node2D.new()
	root.name = "Big"
	var line := _add(root, Line2D.new(), "Long") as Line2D
	var points := PackedVector2Array()
	for i in 5000:
		points.append(Vector2(i * 0.5, sin(i * 0.01) * 100.0))
	line.points = points
	var mesh := _add(root, MeshInstance2D.new(), "Mesh") as MeshInstance2D
	var am := ArrayMesh.new()
	var arrays := []
	arrays.resize(Mesh.ARRAY_MAX)
	var verts := PackedVector3Array()
	var idx := PackedInt32Array()
	for i in 3000:
		verts.append(Vector3(i, i * 2, i * 3))
		idx.append(i)
	arrays[Mesh.ARRAY_VERTEX] = verts
	arrays[Mesh.ARRAY_INDEX] = idx
	am.add_surface_from_arrays(Mesh.PRIMITIVE_POINTS, arrays)
	mesh.mesh = am
	var bytes := PackedByteArray()
	for i in 4096:
		bytes.append(i % 256)
	root.set_meta(&"blob", bytes)
	return root


func _instanced() -> Node:
	var root := Node2D.new()
	root.name = "Stage"
	var scene: PackedScene = load(DIR + "/nodes_2d.tscn")
	var a := scene.instantiate(PackedScene.GEN_EDIT_STATE_INSTANCE)
	a.name = "WorldA"
	root.add_child(a)
	a.position = Vector2(100, 0)
	var b := scene.instantiate(PackedScene.GEN_EDIT_STATE_INSTANCE)
	b.name = "WorldB"
	root.add_child(b)
	b.owner = root
	# Editable children: a node inside the instance is changed and saved.
	root.set_editable_instance(b, true)
	var hero := b.get_node("Hero") as Node2D
	hero.position = Vector2(1, 2)
	var extra := Node2D.new()
	extra.name = "Extra"
	hero.add_child(extra)
	extra.owner = root
	a.owner = root
	a.add_to_group("instances", true)
	var marker := _add(root, Marker2D.new(), "Marker")
	marker.owner = root
	marker.tree_entered.connect(Callable(a, &"hide"), CONNECT_PERSIST)
	return root


## An inherited scene as the editor's "New Inherited Scene" makes it; the
## engine loads this minimal text and writes it back in its own form.
func _inherited() -> PackedScene:
	var text := "[gd_scene format=3]\n\n"
	text += "[ext_resource type=\"PackedScene\" path=\"%s\" id=\"1\"]\n\n" % (DIR + "/instanced.tscn")
	text += "[node name=\"StageChild\" instance=ExtResource(\"1\")]\nposition = Vector2(5, 5)\n\n"
	text += "[node name=\"Marker\" parent=\".\"]\nposition = Vector2(9, 9)\n\n"
	text += "[node name=\"Added\" type=\"Label\" parent=\"WorldA\"]\ntext = \"inherited extra\"\n"
	var draft := FileAccess.open(DIR + "/inherited_draft.tmp.tscn", FileAccess.WRITE)
	draft.store_string(text)
	draft.close()
	var packed: PackedScene = ResourceLoader.load(DIR + "/inherited_draft.tmp.tscn", "", ResourceLoader.CACHE_MODE_IGNORE)
	DirAccess.remove_absolute(DIR + "/inherited_draft.tmp.tscn")
	return packed
