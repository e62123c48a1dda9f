extends CharacterBody2D
## Walks on move_left / move_right, falls under gravity, jumps on jump.

@export var speed := 120.0
@export var jump_velocity := -300.0
@export var gravity := 900.0

var jumps := 0
var ticks := 0


func _physics_process(delta: float) -> void:
	ticks += 1
	if not is_on_floor():
		velocity.y += gravity * delta
	elif Input.is_action_just_pressed("jump"):
		velocity.y = jump_velocity
		jumps += 1
	velocity.x = Input.get_axis("move_left", "move_right") * speed
	move_and_slide()


func teleport(to: Vector2) -> Vector2:
	var from := position
	position = to
	velocity = Vector2.ZERO
	return from


## For play-tests: a script error, which the editor's debugger stops at.
func stumble() -> void:
	var steps: Array = []
	steps[1] = 0
