// Package lang recognises greetings and opt-out words in inbound text, tells
// their language, renders the localized system replies, and turns emoticon
// shortcuts in outbound text into emoji.
//
// The flow for an inbound message is:
//
//	intent, tag := lang.Classify(text, sender)
//	switch intent {
//	case lang.Greeting:
//		reply = lang.Confirmation(tag, gateway)
//	case lang.OptOut:
//		reply = lang.OptOutConfirmation(tag, gateway)
//	default:
//		reply = lang.Hint(lang.ForSender(sender), gateway) // at most daily
//	}
//
// A text is a greeting when it is made only of greeting words and fillers,
// at most 8 words: "Hi", "Hi there 👋", "Hallo zusammen", "你好啊". Fillers
// are the few words per language that people put around a greeting or an
// opt-out without changing it (whom they greet, "please", particles), so
// "stop please" opts out while "I will stop by tomorrow" and "don't stop"
// do not. Classify's documentation states the rule in full.
//
// Emojify turns emoticon shortcuts (:) ;) :D <3 (y) ...) into emoji only
// where they stand as a token of their own, never inside a word or a URL.
//
// Everything here is a pure function over tables built once at start-up, so
// it is safe for concurrent use and cheap enough to run on every message.
// The word lists (words.go), the calling-code table (countries.go) and the
// reply texts (translations.go) are data files; adding a spelling or a
// language means editing data, not code.
package lang

// Intent is what an inbound text asks for. The zero value, None, is the
// answer for any text that is not a greeting or an opt-out.
type Intent int

// The intents.
const (
	None     Intent = iota // anything else
	Greeting               // register me
	OptOut                 // stop sending me messages
)

// String returns the intent's name for logs and metrics.
func (i Intent) String() string {
	switch i {
	case None:
		return "none"
	case Greeting:
		return "greeting"
	case OptOut:
		return "opt-out"
	}
	return "unknown"
}
