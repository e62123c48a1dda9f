extends Area2D
## A coin that disappears when touched.

signal collected


func _on_body_entered(_body: Node2D) -> void:
	collected.emit()
	queue_free()
