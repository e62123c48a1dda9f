extends Control
## The title menu: a name field, and Start opens the level. Counts wheel
## turns and remembers where the mouse last moved.

var wheel := 0
var last_mouse := Vector2.ZERO


func _input(event: InputEvent) -> void:
	var button := event as InputEventMouseButton
	if button and button.pressed and button.button_index == MOUSE_BUTTON_WHEEL_UP:
		wheel += 1
	elif event is InputEventMouseMotion:
		last_mouse = (event as InputEventMouseMotion).position


func _on_start_pressed() -> void:
	get_tree().change_scene_to_file("res://platformer/level.tscn")
