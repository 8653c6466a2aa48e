package lang_test

import (
	"fmt"

	"higate/lang"
)

func ExampleClassify() {
	for _, text := range []string{"Hallo 👋", "STOP", "Hi, what are your prices?"} {
		intent, tag := lang.Classify(text, "+31612345678")
		fmt.Println(intent, tag)
	}
	// Output:
	// greeting nl
	// opt-out nl
	// none und
}

func ExampleConfirmation() {
	_, tag := lang.Classify("Hola!!", "+34612345678")
	fmt.Println(lang.Confirmation(tag, "+31612345678"))
	// Output:
	// Te has registrado en la pasarela de mensajes +31612345678. Responde BAJA en cualquier momento para dejar de recibir mensajes.
}

func ExampleEmojify() {
	fmt.Println(lang.Emojify("Good job! (y) See http://x.io/a:-)b"))
	// Output:
	// Good job! 👍 See http://x.io/a:-)b
}
