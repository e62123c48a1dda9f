extends Node2D
## A floor, the hero, a coin and the score. Registers its input actions at
## run time, so the project's input map stays as it is.

const ACTIONS := {"move_left": KEY_A, "move_right": KEY_D, "jump": KEY_SPACE}

var score := 0


func _enter_tree() -> void:
	for action: String in ACTIONS:
		if not InputMap.has_action(action):
			InputMap.add_action(action)
			var key := InputEventKey.new()
			key.physical_keycode = ACTIONS[action]
			InputMap.action_add_event(action, key)
			InputMap.action_add_event(action, _pad_event(action))


## A gamepad drives the hero too: A jumps, the left stick walks.
func _pad_event(action: String) -> InputEvent:
	if action == "jump":
		var button := InputEventJoypadButton.new()
		button.button_index = JOY_BUTTON_A
		return button
	var stick := InputEventJoypadMotion.new()
	stick.axis = JOY_AXIS_LEFT_X
	stick.axis_value = -1.0 if action == "move_left" else 1.0
	return stick


func _on_coin_collected() -> void:
	score += 1
	$Score.text = "Score: %d" % score
