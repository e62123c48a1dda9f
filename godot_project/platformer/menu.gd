extends Control
## The title menu: Start opens the level.


func _on_start_pressed() -> void:
	get_tree().change_scene_to_file("res://platformer/level.tscn")
