package lang_test

import (
	"fmt"

	"higate/lang"
)

func ExampleClassify() {
	for _, text := range []string{
		"Hallo 👋", "Hallo zusammen!", "STOP", "stop please", "Hi, what are your prices?",
		"I will stop by tomorrow",
	} {
		intent, tag := lang.Classify(text, "+31612345678")
		fmt.Println(intent, tag)
	}
	// Output:
	// greeting nl
	// greeting de
	// opt-out nl
	// opt-out en
	// none und
	// none und
}

func ExampleConfirmation() {
	_, tag := lang.Classify("Hola!!", "+34612345678")
	fmt.Println(lang.Confirmation(tag, "+31612345678"))
	// Output:
	// Te has registrado en la pasarela de mensajes +31612345678. Responde BAJA en cualquier momento para dejar de recibir mensajes.
}

func ExampleEmojify() {
	fmt.Println(lang.Emojify("Good job! (y) See http://x.io/a:-)b at 12:30 :)"))
	// Output:
	// Good job! 👍 See http://x.io/a:-)b at 12:30 🙂
}
